"""OCO and brackets: native on the simulator's Binance API, emulated by the daemon in paper."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import anyio
import pytest

from peaktrade.core.model import OrderIntent, OrderType, Side
from peaktrade.core.orders import BracketIntent, OcoIntent, OrderState
from peaktrade.execution.contingent import ContingentOrders
from peaktrade.execution.kill_actions import cancel_open
from peaktrade.store import journal, triggers
from peaktrade.venues.ccxt_venue import CcxtVenue
from peaktrade.venues.config import PaperConfig
from peaktrade.venues.executor import VenueUpdate
from peaktrade.venues.paper import PaperBroker
from peaktrade.venues.sim import SimHandle
from tests.execution.conftest import Harness, now_ms, quote

MakePath = Callable[..., Awaitable[Harness]]


async def until(check: Callable[[], Awaitable[bool]], within_s: float = 10.0) -> None:
    deadline = time.monotonic() + within_s
    while not await check():
        assert time.monotonic() < deadline, "condition not met in time"
        await anyio.sleep(0.02)


class Paper:
    name = "paper"


async def paper(
    make_path: MakePath,
) -> tuple[Harness, PaperBroker, ContingentOrders, list[VenueUpdate]]:
    published: list[VenueUpdate] = []
    h = await make_path(Paper())
    broker = PaperBroker(
        h.quotes,
        PaperConfig(starting_balances={"USDT": 10_000, "BTC": 1}),
        published.append,
        now_ms,
    )
    h.path.executor = broker
    h.quotes.update(quote("BTC/USDT", 100.0, 100.2, last=100.1))
    h.quotes.update(quote("ETH/USDT", 10.0, 10.1))
    contingent = ContingentOrders(h.path, now_ms)
    h.path.order_listeners.append(contingent.on_order)
    h.quotes.subscribe(contingent.on_quote)
    return h, broker, contingent, published


async def drain(h: Harness, contingent: ContingentOrders, published: list[VenueUpdate]) -> None:
    """Run what the daemon's tasks would: apply paper updates, handle contingent events."""
    while published:
        await h.path.apply_update(published.pop(0), kind="paper")
    while True:
        try:
            item = contingent._receive.receive_nowait()
        except anyio.WouldBlock:
            return
        if isinstance(item, str):
            await contingent._fire(item)
        else:
            await contingent._order_changed(item)  # type: ignore[arg-type]
        while published:
            await h.path.apply_update(published.pop(0), kind="paper")


SELL_OCO = OcoIntent(
    symbol="BTC/USDT",
    side=Side.SELL,
    qty=0.5,
    take_profit_price=110.0,
    stop_price=95.0,
    stop_limit_price=94.0,
)


async def test_emulated_oco_holds_the_stop_and_rests_the_take_profit(make_path: MakePath) -> None:
    h, broker, contingent, _ = await paper(make_path)
    take, held = await contingent.submit_oco(SELL_OCO)
    assert take.outcome == "accepted" and take.order is not None
    assert take.order.state is OrderState.OPEN and take.order.role == "take_profit"
    assert (held.outcome, held.code) == ("held", "oco.stop_held")
    (row,) = await h.db.call(triggers.active)
    assert (row.kind, row.state, row.group_id) == ("stop", "armed", take.order.group_id)
    assert broker.locked["BTC"] == pytest.approx(0.5)  # locked once, not twice


async def test_emulated_stop_fires_cancels_take_profit_and_sells(make_path: MakePath) -> None:
    h, _, contingent, published = await paper(make_path)
    take, _ = await contingent.submit_oco(SELL_OCO)
    assert take.order is not None
    h.quotes.update(quote("BTC/USDT", 94.5, 94.8, last=94.6))  # through the stop
    await drain(h, contingent, published)
    legs = await h.db.call(journal.group_orders, take.order.group_id)
    assert [o.state for o in legs] == [OrderState.CANCELLED]
    sold = [o for o in await h.db.call(journal.recent_orders, 10) if "stop fired" in o.intent.tag]
    assert len(sold) == 1 and sold[0].state is OrderState.FILLED
    assert sold[0].intent.price == 94.0 and sold[0].intent.type is OrderType.LIMIT
    assert await h.db.call(triggers.active) == []


async def test_take_profit_fill_disarms_the_held_stop(make_path: MakePath) -> None:
    h, _, contingent, published = await paper(make_path)
    take, _ = await contingent.submit_oco(SELL_OCO)
    h.quotes.update(quote("BTC/USDT", 110.5, 110.7, last=110.6))  # take profit crossed
    await drain(h, contingent, published)
    assert (await h.order(take.order.client_order_id)).state is OrderState.FILLED  # type: ignore[union-attr]
    assert await h.db.call(triggers.active) == []
    h.quotes.update(quote("BTC/USDT", 90.0, 90.2, last=90.1))  # would have fired
    await drain(h, contingent, published)
    assert not [
        o for o in await h.db.call(journal.recent_orders, 10) if "stop fired" in o.intent.tag
    ]


async def test_held_stop_survives_a_restart(make_path: MakePath) -> None:
    h, _, contingent, _ = await paper(make_path)
    await contingent.submit_oco(SELL_OCO)
    again = ContingentOrders(h.path, now_ms)
    await again.load()
    assert [row.kind for row in again.held.values()] == ["stop"]


async def test_kill_cancel_open_disarms_held_stops(make_path: MakePath) -> None:
    h, _, contingent, published = await paper(make_path)
    take, _ = await contingent.submit_oco(SELL_OCO)
    summary = await cancel_open(h.path, contingent)
    assert summary.still_live == []
    assert await h.db.call(triggers.active) == []
    h.quotes.update(quote("BTC/USDT", 90.0, 90.2, last=90.1))
    await drain(h, contingent, published)
    assert (await h.order(take.order.client_order_id)).state is OrderState.CANCELLED  # type: ignore[union-attr]
    assert not [
        o for o in await h.db.call(journal.recent_orders, 10) if "stop fired" in o.intent.tag
    ]


async def test_emulated_bracket_places_its_exit_after_the_entry_fills(make_path: MakePath) -> None:
    h, _, contingent, published = await paper(make_path)
    entry = OrderIntent(symbol="BTC/USDT", side=Side.BUY, qty=0.2, type=OrderType.MARKET)
    (placed,) = await contingent.submit_bracket(
        BracketIntent(entry=entry, take_profit_price=120.0, stop_price=90.0)
    )
    assert placed.order is not None and placed.order.state is OrderState.FILLED
    await drain(h, contingent, published)
    orders = await h.db.call(journal.recent_orders, 10)
    take = next(o for o in orders if o.role == "take_profit")
    assert take.state is OrderState.OPEN and take.intent.side is Side.SELL
    assert take.intent.qty == pytest.approx(0.2 - 0.2 * 0.001)  # what filled, fee taken in BTC
    (row,) = await h.db.call(triggers.active)
    assert row.kind == "stop"


async def test_native_oco_on_binance_places_one_order_list(
    make_path: MakePath, venue: CcxtVenue, sim: SimHandle
) -> None:
    h = await make_path(venue, venue)
    contingent = ContingentOrders(h.path, now_ms)
    last = float(sim.engine.markets["BTCUSDT"].last)
    oco = OcoIntent(
        symbol="BTC/USDT",
        side=Side.SELL,
        qty=0.01,
        take_profit_price=round(last * 1.05, 2),
        stop_price=round(last * 0.95, 2),
        stop_limit_price=round(last * 0.94, 2),
    )
    results = await contingent.submit_oco(oco)
    assert [r.outcome for r in results] == ["accepted", "accepted"]
    legs = [sim.orders_by_client_id(r.order.client_order_id)[0] for r in results]  # type: ignore[union-attr]
    assert legs[0].order_list_id == legs[1].order_list_id != -1  # one native order list
    assert await h.db.call(triggers.active) == []  # nothing held by the daemon
    # cancelling one leg cancels the list on the exchange
    outcome, _, _ = await h.path.cancel(results[0].order.client_order_id)  # type: ignore[union-attr]
    assert outcome == "accepted"
    assert {
        o.status for o in (sim.orders_by_client_id(r.order.client_order_id)[0] for r in results)
    } == {"CANCELED"}  # type: ignore[union-attr]
