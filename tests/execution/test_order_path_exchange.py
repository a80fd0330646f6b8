"""The order path on the simulator through ccxt: journal first, never twice, doubts resolved."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import pytest

from peaktrade.core import trading_state as ts
from peaktrade.core.model import OrderIntent, OrderType, Side, TimeInForce
from peaktrade.core.orders import JournalOrder, OrderState
from peaktrade.core.trading_state import TradingState
from peaktrade.store import journal
from peaktrade.venues.ccxt_venue import CcxtVenue
from peaktrade.venues.executor import SubmitResult, VenueUpdate
from peaktrade.venues.sim import SimHandle
from tests.execution.conftest import Harness

MakePath = Callable[..., Awaitable[Harness]]


def market(side: Side = Side.BUY, qty: float = 0.01, symbol: str = "BTC/USDT") -> OrderIntent:
    return OrderIntent(symbol=symbol, side=side, qty=qty, type=OrderType.MARKET)


def limit(price: float, side: Side = Side.BUY, qty: float = 0.01, **kw: Any) -> OrderIntent:
    return OrderIntent(
        symbol="BTC/USDT", side=side, qty=qty, type=OrderType.LIMIT, price=price, **kw
    )


def mid(sim: SimHandle, symbol: str = "BTCUSDT") -> float:
    return float(sim.engine.markets[symbol].last)


async def resolve(h: Harness, cid: str, within_s: float = 10.0) -> JournalOrder:
    deadline = time.monotonic() + within_s
    while True:
        await h.resolver.resolve_once()
        order = await h.order(cid)
        if order.state not in (OrderState.UNKNOWN, OrderState.PENDING):
            return order  # type: ignore[no-any-return]
        assert time.monotonic() < deadline, f"{cid} still {order.state}"
        import anyio

        await anyio.sleep(0.05)


async def test_market_order_fills_and_is_journaled(
    make_path: MakePath, venue: CcxtVenue, sim: SimHandle
) -> None:
    h = await make_path(venue, venue)
    (result,) = await h.path.submit([market()])
    assert result.outcome == "accepted"
    order = await h.order(result.order.client_order_id)  # type: ignore[union-attr]
    assert order.state is OrderState.FILLED and order.filled_qty == pytest.approx(0.01)
    fills = await h.db.call(journal.fills_of, order.client_order_id)
    assert sum(f.qty for f in fills) == pytest.approx(0.01)
    assert sim.accepted_count(order.client_order_id) == 1
    assert h.path.net_positions()["BTC/USDT"] > 0


async def test_intent_is_journaled_before_the_executor_sees_it(
    make_path: MakePath, venue: CcxtVenue
) -> None:
    seen: list[OrderState] = []

    class Spy:
        name = "exchange"

        def __getattr__(self, item: str) -> Any:
            return getattr(venue, item)

        async def submit(self, order: JournalOrder) -> SubmitResult:
            stored = await h.db.call(journal.get_order, order.client_order_id)
            seen.append(stored.state)
            return await venue.submit(order)

    h = await make_path(Spy(), venue)
    await h.path.submit([market()])
    assert seen == [OrderState.PENDING]


async def test_limit_rests_then_cancels(
    make_path: MakePath, venue: CcxtVenue, sim: SimHandle
) -> None:
    h = await make_path(venue, venue)
    price = round(mid(sim) * 0.8, 2)
    (result,) = await h.path.submit([limit(price)])
    cid = result.order.client_order_id  # type: ignore[union-attr]
    assert (await h.order(cid)).state is OrderState.OPEN
    outcome, _, after = await h.path.cancel(cid)
    assert outcome == "accepted" and after is not None and after.state is OrderState.CANCELLED


async def test_ioc_that_cannot_fill_expires(
    make_path: MakePath, venue: CcxtVenue, sim: SimHandle
) -> None:
    h = await make_path(venue, venue)
    (result,) = await h.path.submit([limit(round(mid(sim) * 0.8, 2), tif=TimeInForce.IOC)])
    assert (await h.order(result.order.client_order_id)).state is OrderState.EXPIRED  # type: ignore[union-attr]


async def test_post_only_that_would_take_is_rejected(
    make_path: MakePath, venue: CcxtVenue, sim: SimHandle
) -> None:
    h = await make_path(venue, venue)
    (result,) = await h.path.submit([limit(round(mid(sim) * 1.2, 2), post_only=True)])
    order = await h.order(result.order.client_order_id)  # type: ignore[union-attr]
    assert order.state is OrderState.REJECTED and result.outcome == "rejected"


async def test_stop_loss_and_take_profit_limits_are_accepted(
    make_path: MakePath, venue: CcxtVenue, sim: SimHandle
) -> None:
    h = await make_path(venue, venue)
    m = mid(sim)
    stop = OrderIntent(
        symbol="BTC/USDT",
        side=Side.SELL,
        qty=0.01,
        type=OrderType.STOP_LOSS_LIMIT,
        price=round(m * 0.89, 2),
        stop_price=round(m * 0.9, 2),
    )
    take = OrderIntent(
        symbol="BTC/USDT",
        side=Side.SELL,
        qty=0.01,
        type=OrderType.TAKE_PROFIT_LIMIT,
        price=round(m * 1.11, 2),
        stop_price=round(m * 1.1, 2),
    )
    results = await h.path.submit([stop, take])
    assert [r.outcome for r in results] == ["accepted", "accepted"]
    for r in results:
        assert (await h.order(r.order.client_order_id)).state is OrderState.OPEN  # type: ignore[union-attr]


async def test_filter_failure_is_final(
    make_path: MakePath, venue: CcxtVenue, sim: SimHandle
) -> None:
    h = await make_path(venue, venue)
    (result,) = await h.path.submit([market(qty=0.0000001)])  # under LOT_SIZE minQty
    order = await h.order(result.order.client_order_id)  # type: ignore[union-attr]
    assert order.state is OrderState.REJECTED
    assert sim.accepted_count(order.client_order_id) == 0


async def test_insufficient_balance_is_final(make_path: MakePath, venue: CcxtVenue) -> None:
    h = await make_path(venue, venue)
    (result,) = await h.path.submit([market(qty=500.0)])  # far beyond the USDT balance
    order = await h.order(result.order.client_order_id)  # type: ignore[union-attr]
    assert order.state is OrderState.REJECTED
    assert order.reason in ("exchange.insufficient_funds", "exchange.filter_failure")


@pytest.mark.parametrize(
    "fault", ["http_503_committed", "reset_committed", "timeout_1007_committed"]
)
async def test_unknown_outcome_that_happened_is_found_by_lookup(
    make_path: MakePath, venue: CcxtVenue, sim: SimHandle, fault: str
) -> None:
    h = await make_path(venue, venue)
    sim.faults.set(fault, count=1, scope="order")  # type: ignore[arg-type]
    (result,) = await h.path.submit([market()])
    cid = result.order.client_order_id  # type: ignore[union-attr]
    assert result.outcome == "unknown"
    assert (await h.order(cid)).state is OrderState.UNKNOWN
    # the symbol is blocked while the order is in doubt
    (blocked,) = h.path.screen([market()])
    assert not blocked.allowed and blocked.refusal.code == "order.unknown_pending"  # type: ignore[union-attr]
    order = await resolve(h, cid)
    assert order.state is OrderState.FILLED
    assert sim.accepted_count(cid) == 1  # looked up, never sent again
    assert h.path.unknown == {}
    assert h.path.screen([market()])[0].allowed


@pytest.mark.parametrize("fault", ["http_503", "reset", "timeout_1007"])
async def test_unknown_outcome_that_did_not_happen_expires(
    make_path: MakePath, venue: CcxtVenue, sim: SimHandle, fault: str
) -> None:
    h = await make_path(venue, venue)
    sim.faults.set(fault, count=1, scope="order")  # type: ignore[arg-type]
    (result,) = await h.path.submit([market()])
    cid = result.order.client_order_id  # type: ignore[union-attr]
    assert result.outcome == "unknown"
    order = await resolve(h, cid)
    assert order.state is OrderState.EXPIRED and order.reason == "lookup.not_found"
    assert sim.accepted_count(cid) == 0


async def test_unresolved_order_escalates_to_reducing(
    make_path: MakePath, venue: CcxtVenue, sim: SimHandle
) -> None:
    h = await make_path(venue, venue, resolve_bound_s=0.3)
    sim.faults.set("timeout_1007", count=1, scope="order")
    (result,) = await h.path.submit([market()])
    cid = result.order.client_order_id  # type: ignore[union-attr]
    sim.faults.set("http_503")  # every lookup fails from now on
    deadline = time.monotonic() + 5
    while h.path.switch.state is TradingState.ACTIVE:
        await h.resolver.resolve_once()
        assert time.monotonic() < deadline
        import anyio

        await anyio.sleep(0.05)
    assert h.path.switch.state is TradingState.REDUCING
    assert "order.unresolved" in h.events.codes()
    assert next(e for e in h.events if e.code == "order.unresolved").level == "CRITICAL"
    sim.faults.clear()
    assert (await resolve(h, cid)).state in (OrderState.EXPIRED, OrderState.FILLED)
    assert any(e.code == "order.unresolved" and e.resolved for e in h.events)


async def escalate(h: Harness, sim: SimHandle) -> str:
    """An order sent and filled but answered with a timeout, then every lookup failing until
    the resolver raises ``order.unresolved``; returns its client order id."""
    sim.faults.set("timeout_1007_committed", count=1, scope="order")
    (result,) = await h.path.submit([market()])
    cid = result.order.client_order_id  # type: ignore[union-attr]
    sim.faults.set("http_503")
    deadline = time.monotonic() + 5
    while "order.unresolved" not in h.events.codes():
        await h.resolver.resolve_once()
        assert time.monotonic() < deadline
        await anyio.sleep(0.05)
    sim.faults.clear()
    return str(cid)


def resolutions(h: Harness, cid: str) -> list[str]:
    return [
        e.dedupe_key
        for e in h.events
        if e.code == "order.unresolved" and e.resolved and e.context["client_order_id"] == cid
    ]


async def test_unresolved_order_alert_resolves_on_a_late_report(
    make_path: MakePath, venue: CcxtVenue, sim: SimHandle
) -> None:
    h = await make_path(venue, venue, resolve_bound_s=0.3)
    cid = await escalate(h, sim)
    order = await h.order(cid)
    deadline = time.monotonic() + 10
    while not (found := await venue.lookup(order)).found:  # the exchange answers again
        assert time.monotonic() < deadline, found
        await anyio.sleep(0.05)
    assert found.report is not None
    # the private stream (or REST polling) brings the report, not the resolver
    await h.path.apply_update(VenueUpdate(report=found.report), kind="stream")
    assert (await h.order(cid)).state is OrderState.FILLED
    assert resolutions(h, cid) == [f"order.unresolved:{cid}"]
    await h.resolver.resolve_once()
    assert len(resolutions(h, cid)) == 1  # resolved once, not again by the next pass


async def test_order_overdue_at_restart_resolves_the_alert_the_last_run_left_open(
    make_path: MakePath, venue: CcxtVenue, sim: SimHandle
) -> None:
    before = await make_path(venue, venue, resolve_bound_s=0.3)
    sim.faults.set("timeout_1007_committed", count=1, scope="order")
    (result,) = await before.path.submit([market()])
    cid = result.order.client_order_id  # type: ignore[union-attr]
    sent = await before.order(cid)
    while time.time() * 1000 - sent.updated_ms < 300:  # in doubt past the bound while "down"
        await anyio.sleep(0.05)
    after = await make_path(venue, venue, resolve_bound_s=0.3)  # a new run: nothing in memory
    assert (await resolve(after, cid)).state is OrderState.FILLED
    assert resolutions(after, cid) == [f"order.unresolved:{cid}"]


async def test_rate_limit_backs_off_without_a_retry_storm(
    make_path: MakePath, venue: CcxtVenue, sim: SimHandle
) -> None:
    h = await make_path(venue, venue)
    sim.faults.set("http_429", count=1, scope="order", seconds=30)
    (first,) = await h.path.submit([market()])
    assert first.outcome == "retryable" and first.code == "exchange.rate_limited"
    assert (await h.order(first.order.client_order_id)).state is OrderState.REJECTED  # type: ignore[union-attr]
    assert venue.backed_off and "exchange.rate_limited" in h.events.codes()
    fired = sim.faults.fired["http_429"]
    (second,) = await h.path.submit([market(symbol="ETH/USDT")])
    assert second.code == "venue.backoff"  # failed fast, nothing sent
    assert sim.faults.fired["http_429"] == fired
    assert sim.accepted_count(second.order.client_order_id) == 0  # type: ignore[union-attr]


async def test_ban_raises_a_critical_event(
    make_path: MakePath, venue: CcxtVenue, sim: SimHandle
) -> None:
    h = await make_path(venue, venue)
    sim.faults.set("http_418", count=1, scope="order", seconds=30)
    (result,) = await h.path.submit([market()])
    assert result.outcome == "retryable"
    banned = [e for e in h.events if e.code == "exchange.banned"]
    assert banned and banned[0].level == "CRITICAL"
    assert banned[0].context["retry_after_s"] == 30


async def test_clock_skew_is_resynced_and_the_order_goes_once(
    make_path: MakePath, venue: CcxtVenue, sim: SimHandle
) -> None:
    h = await make_path(venue, venue)
    await venue.exchange.load_time_difference()
    sim.faults.set("clock_skew", offset_ms=-30_000)  # server 30 s behind: -1021
    (result,) = await h.path.submit([market()])
    assert result.outcome == "accepted", result
    assert venue.clock_resyncs == 1
    assert sim.accepted_count(result.order.client_order_id) == 1  # type: ignore[union-attr]


async def test_no_order_on_a_stale_quote(make_path: MakePath, venue: CcxtVenue) -> None:
    h = await make_path(venue, venue)
    h.quotes.mark_gap(["BTC/USDT"])
    (result,) = await h.path.submit([market()])
    assert result.outcome == "refused" and result.code == "data.stale_quote"
    assert result.order is None  # refused before the journal


async def test_halted_refuses_and_reducing_lets_reducers_through(
    make_path: MakePath, venue: CcxtVenue
) -> None:
    h = await make_path(venue, venue)
    await h.path.submit([market(qty=0.02)])
    actor = ts.Actor(source="test")
    await h.path.switch.apply(lambda s: ts.reduce(s, reason="t", actor=actor, now_ms=1))
    more, less = h.path.screen([market(qty=0.01), market(side=Side.SELL, qty=0.01)])
    assert not more.allowed and less.allowed and less.reduces
    await h.path.switch.apply(lambda s: ts.kill(s, reason="t", actor=actor, now_ms=2))
    (refused,) = await h.path.submit([market(side=Side.SELL, qty=0.01)])
    assert refused.outcome == "refused" and refused.code == "state.halted"
