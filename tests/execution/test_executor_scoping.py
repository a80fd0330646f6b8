"""One database, one book per executor: paper rows never become exchange positions or orders.

On mainnet a paper run and a live run share the network's state database. What the exchange
executor loads, cancels, looks up, reconciles and flattens must come from its own rows only,
and a stage switch must hand the order path the new executor's book.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest

from peaktrade.config import Mode, parse_config
from peaktrade.core.model import Fill, OrderIntent, OrderType, Side
from peaktrade.core.orders import ExchangeOrderReport, JournalOrder, OcoIntent, OrderState
from peaktrade.daemon.clock import now_ms as daemon_now_ms
from peaktrade.daemon.stage_switch import resume, switch_executor
from peaktrade.daemon.trading import TradingSwitch
from peaktrade.daemon.venue_stack import VenueStack
from peaktrade.execution.account_sync import AccountSync, UpdateChannel
from peaktrade.execution.contingent import ContingentOrders
from peaktrade.execution.kill_actions import cancel_open, flatten
from peaktrade.execution.reconcile import reconcile
from peaktrade.execution.resolver import Resolver
from peaktrade.store import journal, triggers
from peaktrade.store.db import Database, connect
from peaktrade.venues.ccxt_venue import CcxtVenue
from peaktrade.venues.config import AccountSyncConfig, PaperConfig
from peaktrade.venues.executor import LookupResult
from peaktrade.venues.paper import PaperBroker
from peaktrade.venues.sim import SimHandle
from tests.execution.conftest import SYMBOLS, Harness, now_ms

MakePath = Callable[..., Awaitable[Harness]]


class Named:
    """The executor's name only: what ``make_path`` loads the book of (replaced right after)."""

    def __init__(self, name: str) -> None:
        self.name = name


class Watched:
    """The real venue, with every cancel and lookup it is asked for written down."""

    name = "exchange"

    def __init__(self, venue: CcxtVenue) -> None:
        self.venue = venue
        self.asked: list[str] = []  # "cancel:<cid>", "cancel_all:<symbol>", "lookup:<cid>"

    def __getattr__(self, item: str) -> Any:
        return getattr(self.venue, item)

    async def cancel(self, order: JournalOrder) -> Any:
        self.asked.append(f"cancel:{order.client_order_id}")
        return await self.venue.cancel(order)

    async def cancel_all(self, symbol: str) -> Any:
        self.asked.append(f"cancel_all:{symbol}")
        return await self.venue.cancel_all(symbol)

    async def lookup(self, order: JournalOrder) -> LookupResult:
        self.asked.append(f"lookup:{order.client_order_id}")
        return await self.venue.lookup(order)


def market(symbol: str, qty: float, side: Side = Side.BUY) -> OrderIntent:
    return OrderIntent(symbol=symbol, side=side, qty=qty, type=OrderType.MARKET)


def resting(price: float) -> OrderIntent:
    return OrderIntent(
        symbol="BTC/USDT", side=Side.BUY, qty=0.01, type=OrderType.LIMIT, price=price
    )


async def paper_path(make_path: MakePath, venue: CcxtVenue) -> tuple[Harness, PaperBroker]:
    """A paper order path on the simulator's quotes, over the shared database."""
    h = await make_path(Named("paper"), venue)
    broker = PaperBroker(h.quotes, PaperConfig(), lambda update: None, now_ms)
    h.path.executor = broker
    return h, broker


async def paper_doubts(h: Harness) -> list[str]:
    """A paper order left pending (a crash mid-send) and one in doubt: the paper book's."""
    pending, unknown = await h.db.call(
        journal.record_intents,
        [(resting(60_000.0), ""), (resting(60_000.0), "")],
        executor="paper",
        ns=h.path.ns,
        now_ms=now_ms(),
    )
    await h.db.call(
        journal.update_order,
        unknown.client_order_id,
        OrderState.UNKNOWN,
        now_ms=now_ms(),
        kind="unknown",
    )
    return [pending.client_order_id, unknown.client_order_id]


# --- the journal ------------------------------------------------------------------------------


@pytest.fixture
def conn(tmp_path: Path) -> sqlite3.Connection:
    return connect(tmp_path / "j.sqlite3")


def _order(conn: sqlite3.Connection, executor: str, at_ms: int) -> str:
    (order,) = journal.record_intents(
        conn, [(market("BTC/USDT", 0.5), "")], executor=executor, ns="abcdef", now_ms=at_ms
    )
    return order.client_order_id


def _fill(conn: sqlite3.Connection, cid: str, trade_id: str, ts_ms: int) -> None:
    fill = Fill(
        symbol="BTC/USDT",
        side=Side.BUY,
        qty=0.5,
        price=100.0,
        fee=0.0,
        fee_currency="USDT",
        ts_ms=ts_ms,
        trade_id=trade_id,
        client_order_id=cid,
    )
    journal.apply_fill(conn, fill, source="test")


def test_fills_belong_to_the_book_of_their_order(conn: sqlite3.Connection) -> None:
    live, paper = _order(conn, "exchange", 1), _order(conn, "paper", 1)
    _fill(conn, live, "T1", 10)
    _fill(conn, paper, "P1", 20)
    assert [f.trade_id for f in journal.all_fills(conn, executor="exchange")] == ["T1"]
    assert [f.trade_id for f in journal.all_fills(conn, executor="paper")] == ["P1"]
    assert [f.trade_id for f in journal.all_fills(conn, executor=None)] == ["T1", "P1"]


def test_the_exchange_fill_cursor_ignores_later_paper_fills(conn: sqlite3.Connection) -> None:
    live, paper = _order(conn, "exchange", 1), _order(conn, "paper", 1)
    _fill(conn, live, "T1", 10)
    _fill(conn, paper, "P1", 5_000)
    assert journal.fill_cursor_ms(conn, 9_999, executor="exchange") == 10
    assert journal.last_fill_ms(conn, executor="exchange") == 10


def test_a_book_without_fills_starts_its_cursor_at_its_own_first_order(
    conn: sqlite3.Connection,
) -> None:
    paper = _order(conn, "paper", 1)
    _fill(conn, paper, "P1", 5_000)
    _order(conn, "exchange", 3_000)
    assert journal.fill_cursor_ms(conn, 9_999, executor="exchange") == 3_000


def test_adopted_exchange_orders_are_in_the_exchange_book(conn: sqlite3.Connection) -> None:
    report = ExchangeOrderReport(
        client_order_id="web-1",
        exchange_order_id="42",
        symbol="BTC/USDT",
        state=OrderState.OPEN,
        filled_qty=0.0,
        avg_fill_price=None,
        ts_ms=1,
        side="buy",
        qty=0.1,
        price=100.0,
        type="limit",
    )
    adopted = journal.adopt(conn, report, now_ms=1)
    assert adopted.executor == "exchange"
    assert [o.client_order_id for o in journal.live_orders(conn, executor="exchange")] == ["web-1"]
    assert journal.live_orders(conn, executor="paper") == []


# --- the order path on a shared database --------------------------------------------------------


async def test_an_exchange_path_loads_no_paper_position_and_flatten_sells_none(
    make_path: MakePath, venue: CcxtVenue, sim: SimHandle
) -> None:
    paper, _ = await paper_path(make_path, venue)
    (bought,) = await paper.path.submit([market("BTC/USDT", 0.01)])
    assert bought.outcome == "accepted" and paper.path.net_positions()["BTC/USDT"] > 0
    live = await make_path(venue, venue)
    assert live.path.positions == {}
    assert await flatten(live.path) == []
    assert not sim.engine.orders  # nothing reached the exchange
    again, _ = await paper_path(make_path, venue)
    assert set(again.path.net_positions()) == {"BTC/USDT"}  # the paper book still has it


async def test_flatten_on_the_exchange_closes_only_the_exchange_position(
    make_path: MakePath, venue: CcxtVenue
) -> None:
    paper, _ = await paper_path(make_path, venue)
    await paper.path.submit([market("BTC/USDT", 0.01)])
    first = await make_path(venue, venue)
    await first.path.submit([market("ETH/USDT", 0.1)])
    live = await make_path(venue, venue)
    assert set(live.path.net_positions()) == {"ETH/USDT"}
    results = await flatten(live.path)
    assert [(r.screened.intent.symbol, r.screened.intent.side) for r in results] == [
        ("ETH/USDT", Side.SELL)
    ]


async def test_paper_doubts_are_not_the_exchange_paths_doubts(
    make_path: MakePath, venue: CcxtVenue
) -> None:
    paper, _ = await paper_path(make_path, venue)
    doubts = await paper_doubts(paper)
    again, _ = await paper_path(make_path, venue)
    assert set(again.path.unknown) == set(doubts)  # the paper book keeps its doubts
    live = await make_path(venue, venue)
    assert live.path.unknown == {}
    (screened,) = live.path.screen([market("BTC/USDT", 0.01)])
    assert screened.allowed, screened.refusal


async def test_the_exchange_resolver_looks_up_no_paper_doubt(
    make_path: MakePath, venue: CcxtVenue
) -> None:
    paper, _ = await paper_path(make_path, venue)
    doubts = await paper_doubts(paper)
    watched = Watched(venue)
    live = await make_path(watched, venue)
    assert await Resolver(live.path).resolve_once() == 0
    assert watched.asked == [] and live.path.unknown == {}
    states = [(await live.order(cid)).state for cid in doubts]
    assert states == [OrderState.PENDING, OrderState.UNKNOWN]  # left to the paper book


async def test_cancel_open_on_the_exchange_leaves_paper_orders_alone(
    make_path: MakePath, venue: CcxtVenue
) -> None:
    paper, _ = await paper_path(make_path, venue)
    (rests,) = await paper.path.submit([resting(1_000.0)])
    assert rests.order is not None and rests.order.state is OrderState.OPEN
    doubts = await paper_doubts(paper)
    watched = Watched(venue)
    live = await make_path(watched, venue)
    summary = await cancel_open(live.path)
    assert summary.requested == 0 and watched.asked == []
    for cid in [rests.order.client_order_id, *doubts]:
        order = await live.order(cid)
        assert order.state in (OrderState.OPEN, OrderState.PENDING, OrderState.UNKNOWN)


async def test_the_exchange_account_poll_looks_up_no_paper_order(
    make_path: MakePath, venue: CcxtVenue
) -> None:
    paper, _ = await paper_path(make_path, venue)
    (rests,) = await paper.path.submit([resting(1_000.0)])
    watched = Watched(venue)
    live = await make_path(watched, venue)
    (mine,) = await live.path.submit([resting(1_000.0)])
    assert mine.order is not None and rests.order is not None
    sync = AccountSync(live.path, UpdateChannel(), AccountSyncConfig(), SYMBOLS, 60.0)
    await sync.poll_once()
    assert watched.asked == [f"lookup:{mine.order.client_order_id}"]


async def test_reconcile_on_the_exchange_does_not_miss_paper_orders(
    make_path: MakePath, venue: CcxtVenue
) -> None:
    paper, _ = await paper_path(make_path, venue)
    (rests,) = await paper.path.submit([resting(1_000.0)])
    assert rests.order is not None
    live = await make_path(venue, venue)
    report = await reconcile(live.path, live.resolver, SYMBOLS)
    assert report.problems == [] and report.closed_while_away == 0
    assert (await live.order(rests.order.client_order_id)).state is OrderState.OPEN


async def held_paper_stop(make_path: MakePath, venue: CcxtVenue) -> tuple[Harness, str]:
    """A paper OCO: its take profit rests in the paper broker, its stop is held by the daemon."""
    h = await make_path(Named("paper"), venue)
    balances = {"USDT": 100_000.0, "BTC": 1.0}
    config = PaperConfig(starting_balances=balances)
    h.path.executor = PaperBroker(h.quotes, config, lambda update: None, now_ms)
    oco = OcoIntent(
        symbol="BTC/USDT", side=Side.SELL, qty=0.01, take_profit_price=80_000.0, stop_price=60_000.0
    )
    take, held = await ContingentOrders(h.path, now_ms).submit_oco(oco)
    assert held.code == "oco.stop_held" and take.order is not None
    return h, take.order.group_id


async def test_a_held_paper_stop_is_re_armed_for_paper_only(
    make_path: MakePath, venue: CcxtVenue
) -> None:
    paper, group = await held_paper_stop(make_path, venue)
    again = ContingentOrders(paper.path, now_ms)
    await again.load()
    assert list(again.held) == [group]
    live = await make_path(venue, venue)
    on_exchange = ContingentOrders(live.path, now_ms)
    await on_exchange.load()
    assert on_exchange.held == {}


async def test_a_held_paper_stop_crossed_after_a_switch_sends_nothing(
    make_path: MakePath, venue: CcxtVenue, sim: SimHandle
) -> None:
    paper, group = await held_paper_stop(make_path, venue)
    contingent = ContingentOrders(paper.path, now_ms)
    await contingent.load()
    watched = Watched(venue)
    paper.path.executor = watched  # the stage switched under the held stop
    before = await paper.db.call(journal.recent_orders, 100)
    await contingent._fire(group)  # what a quote through the stop hands the task
    assert await paper.db.call(journal.recent_orders, 100) == before
    assert watched.asked == [] and not sim.engine.orders
    assert await paper.db.call(triggers.active) == []  # disarmed, not left to fire later


# --- a stage switch in the daemon's own venue stack ----------------------------------------------

STACK_CONFIG = """
[run]
mode = "paper"
network = "sim"
account_label = "scoping"
[exchange]
symbols = ["BTC/USDT", "ETH/USDT"]
[live_risk]
price_band_pct = 99.0
[logging]
level = "warning"
[sim]
tick_interval_s = 0.05
ticker_interval_s = 0.1
volatility = 0.0
"""


@contextlib.asynccontextmanager
async def running_stack(tmp_path: Path, mode: str = "paper") -> AsyncIterator[VenueStack]:
    """The daemon's venue stack on its embedded simulator, started and reconciled."""
    text = STACK_CONFIG.replace('mode = "paper"', f'mode = "{mode}"')
    config = parse_config(text.encode(), source="test").config
    db = Database(tmp_path / "state.sqlite3")
    try:
        switch = await TradingSwitch.load(db)
        stack = VenueStack(
            config=config,
            db=db,
            switch=switch,
            events=lambda event: None,
            now_ms=daemon_now_ms,
            account_label="scoping",
        )
        async with anyio.create_task_group() as tg:
            await tg.start(stack.run)
            with anyio.fail_after(30):
                await stack.ready.wait()
            yield stack
            tg.cancel_scope.cancel()
    finally:
        db.close()


async def move(stack: VenueStack, target: Mode) -> None:
    """What a promote or degrade does to the stack: switch, then reopen the path."""
    report = await switch_executor(stack, target, timeout_s=10.0, abort_on_leftovers=False)
    assert report.reconciled and report.problems == [], report.problems
    resume(stack)


async def bought(stack: VenueStack, symbol: str, qty: float) -> None:
    assert stack.path is not None
    (result,) = await stack.path.submit([market(symbol, qty)])
    assert result.order is not None and result.order.state is OrderState.FILLED, result


def paper_balances(stack: VenueStack) -> dict[str, float]:
    assert stack.path is not None and isinstance(stack.path.executor, PaperBroker)
    broker = stack.path.executor
    assets = set(broker.free) | set(broker.locked)
    return {a: broker.free.get(a, 0.0) + broker.locked.get(a, 0.0) for a in assets}


async def test_a_promotion_onto_the_exchange_takes_the_exchange_book(tmp_path: Path) -> None:
    async with running_stack(tmp_path) as stack:
        path = stack.path
        assert path is not None
        await bought(stack, "BTC/USDT", 0.01)
        assert set(path.net_positions()) == {"BTC/USDT"}
        await move(stack, Mode.TESTNET)
        assert path.executor is stack.venue
        assert path.positions == {} and path.unknown == {}
        assert stack.risk.ledger.positions == {}  # the risk ledger left the paper fills behind
        assert await flatten(path) == []


async def test_a_degrade_back_to_paper_restores_the_paper_book_alone(tmp_path: Path) -> None:
    async with running_stack(tmp_path) as stack:
        path = stack.path
        assert path is not None
        await bought(stack, "BTC/USDT", 0.01)
        paper_positions, balances = path.net_positions(), paper_balances(stack)
        ledger = stack.risk.ledger
        await move(stack, Mode.TESTNET)
        await bought(stack, "ETH/USDT", 0.1)
        assert set(path.net_positions()) == {"ETH/USDT"}
        await move(stack, Mode.PAPER)
        assert path.net_positions() == pytest.approx(paper_positions)
        assert paper_balances(stack) == pytest.approx(balances)  # config + paper fills only
        assert stack.risk.ledger.cash == pytest.approx(ledger.cash)
        assert set(stack.risk.ledger.positions) == {"BTC/USDT"}
        await move(stack, Mode.TESTNET)
        assert set(path.net_positions()) == {"ETH/USDT"}  # the exchange book is there again


async def test_a_switch_back_arms_the_held_stops_of_the_book_it_returns_to(
    tmp_path: Path,
) -> None:
    """A run started on the exchange stage leaves paper's held stops on disk; a degrade to
    paper must arm them, or the paper position sits without its stop."""
    async with running_stack(tmp_path) as stack:
        assert stack.contingent is not None
        await bought(stack, "BTC/USDT", 0.01)
        quote = stack.quotes.get("BTC/USDT")
        assert quote is not None
        oco = OcoIntent(
            symbol="BTC/USDT",
            side=Side.SELL,
            qty=0.005,  # of the 0.01 bought: the fee came off it
            take_profit_price=quote.last * 1.5,
            stop_price=quote.last * 0.6,
        )
        _, held = await stack.contingent.submit_oco(oco)
        assert held.code == "oco.stop_held"
        (group,) = stack.contingent.held
    async with running_stack(tmp_path, mode="testnet") as stack:
        assert stack.contingent is not None
        assert stack.contingent.held == {}  # not the exchange's to send
        await move(stack, Mode.PAPER)
        assert list(stack.contingent.held) == [group]
        assert stack.contingent.held[group].state == "armed"
