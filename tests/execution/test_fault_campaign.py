"""The fault campaign: 500+ orders under every simulator fault, then the invariants hold.

One campaign runs for the module (15 to 30 s); each test reads one invariant off its report.
What the campaigns, the soak and the benchmarks found wrong in the order path has its own
deterministic test below them, against the simulator.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import msgspec
import pytest

from peaktrade.core.model import OrderIntent, OrderType, Side
from peaktrade.core.orders import JournalOrder, OrderState, Outcome
from peaktrade.drills.fault_campaign import CLOCK_SKEW_MS, FAULTS, CampaignReport, run_campaign
from peaktrade.execution.account_sync import AccountSync, UpdateChannel
from peaktrade.execution.kill_actions import cancel_open
from peaktrade.store import journal
from peaktrade.venues.ccxt_venue import CcxtVenue
from peaktrade.venues.config import AccountSyncConfig, MarketDataConfig
from peaktrade.venues.executor import LookupResult, SubmitResult, VenueUpdate
from peaktrade.venues.quotes import QuoteBook
from peaktrade.venues.sim import SimHandle
from peaktrade.venues.sim.faults import CAMPAIGN
from peaktrade.venues.streams import MarketData, PrivateStream
from tests.execution.conftest import Events, Harness, now_ms

SUBMISSIONS = 500
SEED = 7
MakePath = Callable[..., Awaitable[Harness]]


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CampaignReport]:
    workdir: Path = tmp_path_factory.mktemp("campaign")
    yield anyio.run(run_campaign, SUBMISSIONS, SEED, workdir, backend_options={"use_uvloop": True})


def _readable(items: list[str]) -> str:
    return f"{len(items)}: {items[:10]}"


@pytest.mark.slow
def test_campaign_journals_at_least_500_orders(campaign: CampaignReport) -> None:
    assert campaign.journaled >= SUBMISSIONS, campaign.outcomes
    assert campaign.accepted_by_exchange > SUBMISSIONS // 2, campaign.outcomes


@pytest.mark.slow
def test_every_fault_type_fires(campaign: CampaignReport) -> None:
    unfired = sorted(set(FAULTS) - {n for n, k in campaign.faults_fired.items() if k > 0})
    assert not unfired, f"never fired: {unfired}; fired: {campaign.faults_fired}"
    assert campaign.faults_fired.get("clock_skew", 0) > 0, campaign.faults_fired


def test_campaign_switches_on_every_simulator_fault() -> None:
    assert set(CAMPAIGN) <= set(FAULTS), f"not in the campaign: {set(CAMPAIGN) - set(FAULTS)}"
    assert CLOCK_SKEW_MS != 0  # the one state fault, toggled by the campaign itself


@pytest.mark.slow
def test_no_order_is_placed_twice(campaign: CampaignReport) -> None:
    v = campaign.violations
    assert not v.duplicates, f"client order ids accepted twice: {_readable(v.duplicates)}"
    assert not v.strays, f"exchange orders of ours not in the journal: {_readable(v.strays)}"


@pytest.mark.slow
def test_no_fill_is_lost_or_invented(campaign: CampaignReport) -> None:
    v = campaign.violations
    assert not v.lost_fills, f"exchange fills missing from the journal: {_readable(v.lost_fills)}"
    assert not v.invented_fills, f"journal fills the exchange never made: {v.invented_fills}"


@pytest.mark.slow
def test_journal_equals_the_exchange(campaign: CampaignReport) -> None:
    v = campaign.violations
    assert not v.state_mismatches, f"state or filled qty differ: {_readable(v.state_mismatches)}"
    assert not v.still_in_doubt, f"orders left in doubt: {_readable(v.still_in_doubt)}"


@pytest.mark.slow
def test_journal_integrity_holds_after_the_campaign(campaign: CampaignReport) -> None:
    assert not campaign.integrity, campaign.integrity
    assert campaign.ok


@pytest.mark.slow
def test_no_doubt_outlives_the_escalation_bound(campaign: CampaignReport) -> None:
    assert campaign.state_after_trading == "ACTIVE"  # an unresolved order would set REDUCING


# --- the races the campaign found ---------------------------------------------------------


def market(symbol: str = "BTC/USDT", qty: float = 0.01) -> OrderIntent:
    return OrderIntent(symbol=symbol, side=Side.BUY, qty=qty, type=OrderType.MARKET)


class Spy:
    """The real venue, with a hook around the call a race needs."""

    name = "exchange"
    native_oco = False

    def __init__(self, venue: CcxtVenue) -> None:
        self.venue = venue

    def __getattr__(self, item: str) -> Any:
        return getattr(self.venue, item)


async def test_an_order_settled_while_the_resolver_works_is_not_held_in_doubt(
    make_path: MakePath, venue: CcxtVenue
) -> None:
    spy = Spy(venue)
    h = await make_path(spy, venue)
    eth, btc = await h.db.call(
        journal.record_intents,
        [(market("ETH/USDT", 0.1), ""), (market("BTC/USDT"), "")],
        executor="exchange",
        ns=h.path.ns,
        now_ms=now_ms(),
    )

    async def lookup(order: JournalOrder) -> LookupResult:
        if order.client_order_id == eth.client_order_id:  # meanwhile BTC's own send ends
            await h.db.call(
                journal.update_order,
                btc.client_order_id,
                OrderState.REJECTED,
                now_ms=now_ms(),
                kind="t",
            )
        return await venue.lookup(order)

    spy.lookup = lookup  # type: ignore[method-assign]
    await h.resolver.resolve_once()
    assert btc.client_order_id not in h.path.unknown
    assert h.path.screen([market("BTC/USDT")])[0].allowed


async def test_a_stream_report_ahead_of_a_failed_reply_leaves_no_doubt(
    make_path: MakePath, venue: CcxtVenue
) -> None:
    spy = Spy(venue)
    h = await make_path(spy, venue)

    async def submit(order: JournalOrder) -> SubmitResult:
        placed = await venue.submit(order)  # the exchange has it, and says so on the stream
        await h.path.apply_update(VenueUpdate(report=placed.report), kind="stream")
        return SubmitResult(Outcome.UNKNOWN, code="exchange.unavailable")  # the reply is lost

    spy.submit = submit  # type: ignore[method-assign]
    (result,) = await h.path.submit([market()])
    assert result.order is not None and result.order.state is OrderState.FILLED
    assert h.path.unknown == {}
    assert h.path.screen([market()])[0].allowed


async def test_orders_waiting_behind_their_batch_are_not_expired_by_the_resolver(
    make_path: MakePath, venue: CcxtVenue
) -> None:
    spy = Spy(venue)
    h = await make_path(spy, venue, not_found_grace_s=0.01)
    sent: list[str] = []

    async def submit(order: JournalOrder) -> SubmitResult:
        if not sent:  # the first leg is slow; the resolver runs meanwhile
            await anyio.sleep(0.05)
            await h.resolver.resolve_once()
        sent.append(order.client_order_id)
        return await venue.submit(order)

    spy.submit = submit  # type: ignore[method-assign]
    first, second = await h.path.submit([market(), market()])
    assert first.outcome == second.outcome == "accepted"
    order = await h.order(second.order.client_order_id)  # type: ignore[union-attr]
    assert order.state is OrderState.FILLED
    assert h.path.unknown == {}


# --- what the benchmarks found ------------------------------------------------------------


async def test_cancel_all_on_kill_marks_every_order_cancelled(
    make_path: MakePath, venue: CcxtVenue, sim: SimHandle
) -> None:
    h = await make_path(venue, venue)
    prices = {
        "BTC/USDT": float(sim.last_price("BTCUSDT")),
        "ETH/USDT": float(sim.last_price("ETHUSDT")),
    }
    intents = [
        OrderIntent(
            symbol=symbol,
            side=Side.BUY,
            qty=0.01 if symbol == "BTC/USDT" else 0.1,
            type=OrderType.LIMIT,
            price=round(prices[symbol] * (0.9 - 0.01 * k), 2),
        )
        for symbol in prices
        for k in range(3)
    ]
    placed = await h.path.submit(intents)
    assert [r.outcome for r in placed] == ["accepted"] * 6
    summary = await cancel_open(h.path)  # no private stream here: the replies must do it
    assert summary.errors == [] and summary.still_live == []
    assert summary.cancelled == 6
    for r in placed:
        assert (await h.order(r.order.client_order_id)).state is OrderState.CANCELLED  # type: ignore[union-attr]


async def test_every_symbol_of_a_burst_reaches_the_quote_book(
    venue: CcxtVenue, sim: SimHandle, events: Events
) -> None:
    symbols = ["BTC/USDT", "ETH/USDT", "SOL/USDT", "BNB/USDT", "XRP/USDT"]
    book = QuoteBook(symbols, stale_after_s=30.0)
    seen: Counter[str] = Counter()
    book.subscribe(lambda q: seen.update([q.symbol]))
    md = MarketData(venue, book, MarketDataConfig(), events, now_ms)
    async with anyio.create_task_group() as tg:
        tg.start_soon(md.run)
        with anyio.fail_after(20):
            while (
                min((seen[s] for s in symbols), default=0) < 20
                and max(seen.values(), default=0) < 200
            ):
                await anyio.sleep(0.05)
        tg.cancel_scope.cancel()
    # the simulator pushes every symbol's top on every tick, in one burst
    assert min(seen[s] for s in symbols) >= max(seen.values()) // 2, dict(seen)


async def test_a_fill_missed_while_the_private_stream_was_down_is_fetched_after_it_is_back(
    make_path: MakePath, venue: CcxtVenue, sim: SimHandle
) -> None:
    h = await make_path(venue, venue)
    config = AccountSyncConfig(poll_interval_s=0.2, quiet_after_s=3.0)
    channel = UpdateChannel()
    private = PrivateStream(venue, config, channel.publish, ["BTC/USDT", "ETH/USDT"])
    sync = AccountSync(h.path, channel, config, ["BTC/USDT", "ETH/USDT"], 300.0, private.health)
    async with anyio.create_task_group() as tg:
        tg.start_soon(private.run)
        tg.start_soon(sync.run)
        with anyio.fail_after(10):
            while not private.health.connected:  # the stream is live once it reports a fill
                await h.path.submit([market("ETH/USDT", 0.01)])
                await anyio.sleep(0.1)
        (resting,) = await h.path.submit(
            [
                OrderIntent(
                    symbol="BTC/USDT",
                    side=Side.BUY,
                    qty=0.01,
                    type=OrderType.LIMIT,
                    price=round(float(sim.last_price("BTCUSDT")) * 0.99, 2),
                )
            ]
        )
        cid = resting.order.client_order_id  # type: ignore[union-attr]
        sim.faults.drop_websockets()  # the stream is down on the tick the price falls through
        sim.faults.gap(-3.0, "BTCUSDT")
        with anyio.fail_after(15):
            while (await h.order(cid)).state is not OrderState.FILLED:
                await h.path.submit([market("ETH/USDT", 0.01)])  # the stream is busy again
                await anyio.sleep(0.2)
        tg.cancel_scope.cancel()
    assert await h.db.call(journal.fills_of, cid)


async def test_market_data_reconnects_promptly_however_often_it_was_dropped_before(
    venue: CcxtVenue, sim: SimHandle, events: Events
) -> None:
    book = QuoteBook(["BTC/USDT", "ETH/USDT"], stale_after_s=30.0)
    config = MarketDataConfig(reconnect_base_s=0.1, reconnect_cap_s=30.0)
    md = MarketData(venue, book, config, events, now_ms)
    async with anyio.create_task_group() as tg:
        tg.start_soon(md.run)
        for drop in range(10):  # backoff doubling from 0.1 s would wait 25 s and more by now
            with anyio.fail_after(5):
                while not md.health.connected or md.health.reconnects < drop:
                    await anyio.sleep(0.02)
            sim.faults.drop_websockets()
            with anyio.fail_after(5):
                while md.health.reconnects <= drop:
                    await anyio.sleep(0.02)
        tg.cancel_scope.cancel()
    assert md.health.reconnects >= 10


# --- what the soak found ------------------------------------------------------------------


async def test_fills_that_share_a_millisecond_across_a_page_are_all_fetched(
    make_path: MakePath, venue: CcxtVenue, sim: SimHandle
) -> None:
    h = await make_path(venue, venue)
    await h.path.submit([market()])
    first = sim.engine.fills[-1]
    # one market order walking the book: many fills, one timestamp, more than a page of them
    copies = [msgspec.structs.replace(first, id=first.id + 1_000_000 + k) for k in range(1500)]
    sim.engine.fills.extend(copies)
    fetched = {f.fill.trade_id for f in await venue.fills_since(["BTC/USDT"], first.time - 1)}
    missing = {str(c.id) for c in copies} - fetched
    assert not missing, f"{len(missing)} fills never fetched"
