"""Cancels: one order (an OCO leg takes its list along), one order list, or a whole symbol."""

from __future__ import annotations

from peaktrade.venues.sim.errors import cancel_rejected
from peaktrade.venues.sim.matching import Engine
from peaktrade.venues.sim.orders import Order, OrderList


def cancel_order(
    engine: Engine, symbol: str, order_id: int | None, client_id: str | None, cancel_client_id: str
) -> Order:
    """Cancel an open order; canceling an OCO leg cancels the whole list, as on Binance."""
    engine.market(symbol)
    o = engine.find_order(symbol, order_id, client_id)
    if o is None or not o.is_open:
        raise cancel_rejected()
    now = engine.now_ms()
    if o.order_list_id >= 0:
        cancel_list(engine, engine.lists[o.order_list_id], cancel_client_id, now)
    else:
        engine.finish(o, "CANCELED", now, cancel_client_id)
    engine.emit_account()
    return o


def cancel_list(engine: Engine, lst: OrderList, cancel_client_id: str, now: int) -> None:
    for leg in engine.list_orders(lst):
        if leg.is_open:
            engine.finish(leg, "CANCELED", now, cancel_client_id)
    engine.close_list(lst, now)


def cancel_all(engine: Engine, symbol: str, cancel_client_id: str) -> list[Order | OrderList]:
    """DELETE openOrders: every open order and list of ``symbol``; none open is -2011."""
    engine.market(symbol)
    now = engine.now_ms()
    done: list[Order | OrderList] = []
    for o in [o for o in engine.open.values() if o.symbol == symbol]:
        if not o.is_open:
            continue  # its sibling leg's list cancel closed it already
        if o.order_list_id >= 0:
            lst = engine.lists[o.order_list_id]
            cancel_list(engine, lst, cancel_client_id, now)
            done.append(lst)
        else:
            engine.finish(o, "CANCELED", now, cancel_client_id)
            done.append(o)
    if not done:
        raise cancel_rejected()
    engine.emit_account()
    return done
