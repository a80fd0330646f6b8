"""Binance Spot account and trading endpoints (SIGNED), and the listenKey endpoints.

Authentication happens in the gateway; these handlers parse parameters, call the engine and
shape its answers the way Binance does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import TypeVar

from aiohttp import web

from peaktrade.venues.sim.cancels import cancel_all, cancel_list, cancel_order
from peaktrade.venues.sim.decimals import ZERO, fmt
from peaktrade.venues.sim.errors import (
    BinanceError,
    cancel_rejected,
    illegal,
    no_such_order,
    unknown_listen_key,
)
from peaktrade.venues.sim.gateway import json_response
from peaktrade.venues.sim.matching import Engine
from peaktrade.venues.sim.order_lists import NewOco, OcoLeg, find_list, place_oco
from peaktrade.venues.sim.order_rules import ORDER_TYPES, NewOrder
from peaktrade.venues.sim.orders import (
    Order,
    OrderList,
    ack_json,
    canceled_json,
    canceled_list_json,
    details_json,
    full_json,
    history_list_json,
    list_json,
    my_trade_json,
    new_list_json,
    result_json,
)
from peaktrade.venues.sim.params import PARAMS, Params
from peaktrade.venues.sim.streams import StreamHub

_V3 = "/api/v3/"
_SIDES = ("BUY", "SELL")
_TIFS = ("GTC", "IOC", "FOK")
_RESP_TYPES = ("ACK", "RESULT", "FULL")
T = TypeVar("T")


def _invalid(code: int, msg: str) -> Callable[[], BinanceError]:
    return lambda: BinanceError(code, msg)


def _side(p: Params) -> str:
    side = p.choice("side", _SIDES, _invalid(-1117, "Invalid side."), required=True)
    assert side is not None
    return side


def _tif(p: Params, name: str = "timeInForce") -> str | None:
    return p.choice(name, _TIFS, _invalid(-1115, "Invalid timeInForce."))


def _either(p: Params, id_name: str, client_name: str) -> tuple[int | None, str | None]:
    """Binance takes an order by id or by client id and wants at least one of them."""
    order_id, client_id = p.integer(id_name), p.text(client_name)
    if order_id is None and client_id is None:
        raise BinanceError(
            -1102, f"Param '{client_name}' or '{id_name}' must be sent, but both were empty/null!"
        )
    return order_id, client_id


def _window(
    p: Params, items: Sequence[T], key: Callable[[T], int], stamp: Callable[[T], int], id_name: str
) -> list[T]:
    """Binance history paging: from an id upwards, within a time range, or the latest ``limit``."""
    limit = p.limit(500, 1000)
    from_id, start, end = p.integer(id_name), p.integer("startTime"), p.integer("endTime")
    chosen = [
        x
        for x in items
        if (from_id is None or key(x) >= from_id)
        and (start is None or stamp(x) >= start)
        and (end is None or stamp(x) <= end)
    ]
    return chosen[:limit] if from_id is not None or start is not None else chosen[-limit:]


def routes(engine: Engine, hub: StreamHub) -> list[web.RouteDef]:
    settings = engine.settings

    def symbol_of(p: Params) -> str:
        symbol = p.required("symbol").upper()
        engine.market(symbol)
        return symbol

    def new_order_request(p: Params) -> NewOrder:
        order_type = p.choice(
            "type", ORDER_TYPES, _invalid(-1116, "Invalid orderType."), required=True
        )
        assert order_type is not None
        return NewOrder(
            symbol=symbol_of(p),
            side=_side(p),
            type=order_type,
            quantity=p.decimal("quantity"),
            quote_order_qty=p.decimal("quoteOrderQty"),
            price=p.decimal("price"),
            stop_price=p.decimal("stopPrice"),
            time_in_force=_tif(p),
            client_order_id=p.client_id("newClientOrderId"),
        )

    async def new_order(request: web.Request) -> web.Response:
        p = request[PARAMS]
        req = new_order_request(p)
        default = "FULL" if req.type in ("MARKET", "LIMIT") else "ACK"
        resp_type = p.choice(
            "newOrderRespType", _RESP_TYPES, lambda: illegal("newOrderRespType", "ACK|RESULT|FULL")
        )
        order, fills = engine.place(req)
        now = order.time
        kind = resp_type or default
        if kind == "ACK":
            return json_response(ack_json(order, now))
        if kind == "RESULT":
            return json_response(result_json(order, now))
        return json_response(full_json(order, now, fills))

    async def test_order(request: web.Request) -> web.Response:
        p = request[PARAMS]
        engine.validate(new_order_request(p))
        if p.text("computeCommissionRates") != "true":
            return json_response({})
        rates = {"maker": fmt(settings.maker_fee), "taker": fmt(settings.taker_fee)}
        return json_response(
            {
                "standardCommissionForOrder": rates,
                "specialCommissionForOrder": {"maker": fmt(ZERO), "taker": fmt(ZERO)},
                "taxCommissionForOrder": {"maker": fmt(ZERO), "taker": fmt(ZERO)},
                "discount": {
                    "enabledForAccount": False,
                    "enabledForSymbol": False,
                    "discountAsset": "BNB",
                    "discount": fmt(ZERO),
                },
            }
        )

    async def query_order(request: web.Request) -> web.Response:
        p = request[PARAMS]
        symbol = symbol_of(p)
        order = engine.find_order(symbol, *_either(p, "orderId", "origClientOrderId"))
        if order is None:
            raise no_such_order()
        return json_response(details_json(order))

    async def delete_order(request: web.Request) -> web.Response:
        p = request[PARAMS]
        symbol = symbol_of(p)
        order_id, client_id = _either(p, "orderId", "origClientOrderId")
        cancel_id = p.client_id("newClientOrderId") or engine.new_client_id()
        order = cancel_order(engine, symbol, order_id, client_id, cancel_id)
        return json_response(canceled_json(order, cancel_id, order.update_time))

    async def open_orders(request: web.Request) -> web.Response:
        p = request[PARAMS]
        symbol = symbol_of(p) if p.text("symbol") else None
        chosen = [o for o in engine.open.values() if symbol is None or o.symbol == symbol]
        return json_response([details_json(o) for o in chosen])

    def canceled_json_of(item: Order | OrderList, cancel_id: str) -> dict[str, object]:
        if isinstance(item, Order):
            return canceled_json(item, cancel_id, item.update_time)
        legs = engine.list_orders(item)
        return canceled_list_json(item, legs, cancel_id, item.transaction_time)

    async def delete_open_orders(request: web.Request) -> web.Response:
        p = request[PARAMS]
        cancel_id = engine.new_client_id()
        done = cancel_all(engine, symbol_of(p), cancel_id)
        return json_response([canceled_json_of(item, cancel_id) for item in done])

    async def all_orders(request: web.Request) -> web.Response:
        p = request[PARAMS]
        symbol = symbol_of(p)
        mine = [o for o in engine.orders.values() if o.symbol == symbol]
        chosen = _window(p, mine, lambda o: o.order_id, lambda o: o.time, "orderId")
        return json_response([details_json(o) for o in chosen])

    async def my_trades(request: web.Request) -> web.Response:
        p = request[PARAMS]
        symbol = symbol_of(p)
        order_id = p.integer("orderId")
        mine = [
            f
            for f in engine.fills
            if f.symbol == symbol and (order_id is None or f.order_id == order_id)
        ]
        chosen = _window(p, mine, lambda f: f.id, lambda f: f.time, "fromId")
        return json_response([my_trade_json(f) for f in chosen])

    async def account(request: web.Request) -> web.Response:
        p = request[PARAMS]
        omit_zero = p.text("omitZeroBalances") == "true"
        balances = engine.balances
        rows = [
            {"asset": a, "free": fmt(balances.free[a]), "locked": fmt(balances.locked[a])}
            for a in sorted(balances.free)
            if not omit_zero or balances.free[a] or balances.locked[a]
        ]
        return json_response(
            {
                "makerCommission": int(settings.maker_fee * 10000),
                "takerCommission": int(settings.taker_fee * 10000),
                "buyerCommission": 0,
                "sellerCommission": 0,
                "commissionRates": {
                    "maker": fmt(settings.maker_fee),
                    "taker": fmt(settings.taker_fee),
                    "buyer": fmt(ZERO),
                    "seller": fmt(ZERO),
                },
                "canTrade": True,
                "canWithdraw": True,
                "canDeposit": True,
                "brokered": False,
                "requireSelfTradePrevention": False,
                "preventSor": False,
                "updateTime": engine.now_ms(),
                "accountType": "SPOT",
                "balances": rows,
                "permissions": ["SPOT"],
                "uid": 1,
            }
        )

    def oco_leg(p: Params, prefix: str) -> OcoLeg:
        leg_type = p.choice(
            f"{prefix}Type",
            ("LIMIT_MAKER", "STOP_LOSS", "STOP_LOSS_LIMIT"),
            _invalid(-1116, "Invalid orderType."),
            required=True,
        )
        assert leg_type is not None
        return OcoLeg(
            type=leg_type,
            price=p.decimal(f"{prefix}Price"),
            stop_price=p.decimal(f"{prefix}StopPrice"),
            time_in_force=_tif(p, f"{prefix}TimeInForce"),
            client_order_id=p.client_id(f"{prefix}ClientOrderId"),
        )

    async def new_oco(request: web.Request) -> web.Response:
        p = request[PARAMS]
        req = NewOco(
            symbol=symbol_of(p),
            side=_side(p),
            quantity=_quantity(p),
            above=oco_leg(p, "above"),
            below=oco_leg(p, "below"),
            list_client_order_id=p.client_id("listClientOrderId"),
        )
        lst, legs = place_oco(engine, req)
        return json_response(new_list_json(lst, legs))

    async def new_oco_legacy(request: web.Request) -> web.Response:
        """``POST /api/v3/order/oco``: price is the LIMIT_MAKER leg, stopPrice the stop leg."""
        p = request[PARAMS]
        side = _side(p)
        stop_limit = p.decimal("stopLimitPrice")
        maker = OcoLeg(
            type="LIMIT_MAKER",
            price=p.decimal("price", required=True),
            client_order_id=p.client_id("limitClientOrderId"),
        )
        stop = OcoLeg(
            type="STOP_LOSS_LIMIT" if stop_limit is not None else "STOP_LOSS",
            price=stop_limit,
            stop_price=p.decimal("stopPrice", required=True),
            time_in_force=_tif(p, "stopLimitTimeInForce"),
            client_order_id=p.client_id("stopClientOrderId"),
        )
        req = NewOco(
            symbol=symbol_of(p),
            side=side,
            quantity=_quantity(p),
            above=maker if side == "SELL" else stop,
            below=stop if side == "SELL" else maker,
            list_client_order_id=p.client_id("listClientOrderId"),
        )
        lst, legs = place_oco(engine, req)
        return json_response(new_list_json(lst, legs))

    async def query_list(request: web.Request) -> web.Response:
        p = request[PARAMS]
        lst = find_list(engine, *_either(p, "orderListId", "origClientOrderId"))
        return json_response(list_json(lst, engine.list_orders(lst)))

    async def delete_order_list(request: web.Request) -> web.Response:
        p = request[PARAMS]
        symbol = symbol_of(p)
        lst = find_list(engine, *_either(p, "orderListId", "listClientOrderId"))
        if lst.symbol != symbol or not lst.is_open:
            raise cancel_rejected()
        cancel_id = p.client_id("newClientOrderId") or engine.new_client_id()
        now = engine.now_ms()
        cancel_list(engine, lst, cancel_id, now)
        engine.emit_account()
        return json_response(canceled_list_json(lst, engine.list_orders(lst), cancel_id, now))

    async def all_lists(request: web.Request) -> web.Response:
        p = request[PARAMS]
        lists = list(engine.lists.values())
        chosen = _window(
            p, lists, lambda x: x.order_list_id, lambda x: x.transaction_time, "fromId"
        )
        return json_response([history_list_json(x, engine.list_orders(x)) for x in chosen])

    async def open_lists(_: web.Request) -> web.Response:
        chosen = [x for x in engine.lists.values() if x.is_open]
        return json_response([list_json(x, engine.list_orders(x)) for x in chosen])

    async def create_listen_key(_: web.Request) -> web.Response:
        return json_response({"listenKey": hub.create_listen_key()})

    async def keep_alive_listen_key(request: web.Request) -> web.Response:
        if not hub.keep_alive(request[PARAMS].required("listenKey")):
            raise unknown_listen_key()
        return json_response({})

    async def close_listen_key(request: web.Request) -> web.Response:
        if not hub.close_listen_key(request[PARAMS].required("listenKey")):
            raise unknown_listen_key()
        return json_response({})

    return [
        web.get(_V3 + "account", account),
        web.post(_V3 + "order", new_order),
        web.post(_V3 + "order/test", test_order),
        web.get(_V3 + "order", query_order),
        web.delete(_V3 + "order", delete_order),
        web.get(_V3 + "openOrders", open_orders),
        web.delete(_V3 + "openOrders", delete_open_orders),
        web.get(_V3 + "allOrders", all_orders),
        web.get(_V3 + "myTrades", my_trades),
        web.post(_V3 + "orderList/oco", new_oco),
        web.post(_V3 + "order/oco", new_oco_legacy),
        web.get(_V3 + "orderList", query_list),
        web.delete(_V3 + "orderList", delete_order_list),
        web.get(_V3 + "allOrderList", all_lists),
        web.get(_V3 + "openOrderList", open_lists),
        web.post(_V3 + "userDataStream", create_listen_key),
        web.put(_V3 + "userDataStream", keep_alive_listen_key),
        web.delete(_V3 + "userDataStream", close_listen_key),
    ]


def _quantity(p: Params) -> Decimal:
    value = p.decimal("quantity", required=True)
    assert value is not None
    return value
