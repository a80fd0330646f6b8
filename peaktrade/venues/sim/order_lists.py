"""OCO order lists: two legs, one locked balance, whichever acts first cancels the other.

The leg lifecycle (a leg trades or triggers -> the other expires -> ``listStatus`` ALL_DONE)
lives in the engine, because fills and triggers happen there; placing and finding lists
lives here.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from peaktrade.venues.sim.errors import (
    BAD_OCO_PRICES,
    DUPLICATE_ORDER,
    NO_SUCH_ORDER_LIST,
    BinanceError,
    rejected,
)
from peaktrade.venues.sim.matching import Engine
from peaktrade.venues.sim.order_rules import NewOrder
from peaktrade.venues.sim.orders import Order, OrderList, list_status_event

STOP_LEG_TYPES = frozenset({"STOP_LOSS", "STOP_LOSS_LIMIT"})


class OcoLeg(msgspec.Struct, frozen=True, kw_only=True):
    type: str
    price: Decimal | None = None
    stop_price: Decimal | None = None
    time_in_force: str | None = None
    client_order_id: str | None = None


class NewOco(msgspec.Struct, frozen=True, kw_only=True):
    symbol: str
    side: str
    quantity: Decimal
    above: OcoLeg
    below: OcoLeg
    list_client_order_id: str | None = None


def _unsupported() -> BinanceError:
    return BinanceError(-1014, "Unsupported order combination.")


def place_oco(engine: Engine, req: NewOco) -> tuple[OrderList, list[Order]]:
    """A SELL OCO is a LIMIT_MAKER above the market and a stop below; a BUY OCO the mirror."""
    market = engine.market(req.symbol)
    maker, stop = (req.above, req.below) if req.side == "SELL" else (req.below, req.above)
    if maker.type != "LIMIT_MAKER" or stop.type not in STOP_LEG_TYPES:
        raise _unsupported()
    for leg in (req.below, req.above):
        engine.validate(_leg_order(req, leg))
    assert maker.price is not None and stop.stop_price is not None
    last = market.last
    ordered = (
        maker.price > last > stop.stop_price
        if req.side == "SELL"
        else (maker.price < last < stop.stop_price)
    )
    if not ordered:
        raise rejected(BAD_OCO_PRICES)
    list_client_id = req.list_client_order_id or engine.new_client_id()
    if any(lst.is_open for lst in engine.lists_by_client_id(list_client_id)):
        raise rejected(DUPLICATE_ORDER)
    now = engine.now_ms()
    legs: list[Order] = []
    for leg in (req.below, req.above):
        client_id = leg.client_order_id or engine.new_client_id()
        engine.check_client_id(client_id)
        legs.append(engine.make_order(_leg_order(req, leg), client_id, now))
    for o in legs:
        engine.check_entry(o)
    lst = engine.new_list(list_client_id, req.symbol, legs, now)
    maker_leg = legs[0] if legs[0].type == "LIMIT_MAKER" else legs[1]
    if req.side == "SELL":
        engine.lock(maker_leg, req.quantity)
    else:
        worst = max(maker.price, stop.price or stop.stop_price)
        engine.lock(maker_leg, worst * req.quantity)
    for o in legs:
        engine.accept(o, now)
    engine.emit(list_status_event(lst, legs, now))
    engine.emit_account()
    return lst, legs


def _leg_order(req: NewOco, leg: OcoLeg) -> NewOrder:
    return NewOrder(
        symbol=req.symbol,
        side=req.side,
        type=leg.type,
        quantity=req.quantity,
        price=leg.price,
        stop_price=leg.stop_price,
        time_in_force=leg.time_in_force,
        client_order_id=leg.client_order_id,
    )


def find_list(engine: Engine, order_list_id: int | None, list_client_id: str | None) -> OrderList:
    if order_list_id is not None:
        lst = engine.lists.get(order_list_id)
    else:
        same = engine.lists_by_client_id(list_client_id or "")
        lst = same[-1] if same else None
    if lst is None:
        raise BinanceError(-2013, NO_SUCH_ORDER_LIST)
    return lst
