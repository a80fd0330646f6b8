"""Orders, fills and order lists, and the JSON shapes Binance gives them (REST and user stream)."""

from __future__ import annotations

from decimal import Decimal

import msgspec

from peaktrade.venues.sim.decimals import ZERO, fmt

STOP_TYPES = frozenset({"STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"})
OPEN_STATUSES = frozenset({"NEW", "PARTIALLY_FILLED"})


class Order(msgspec.Struct, kw_only=True):
    symbol: str
    order_id: int
    client_order_id: str
    side: str
    type: str
    time_in_force: str
    price: Decimal
    orig_qty: Decimal
    stop_price: Decimal = ZERO
    orig_quote_qty: Decimal = ZERO
    executed_qty: Decimal = ZERO
    cum_quote: Decimal = ZERO
    status: str = "NEW"
    time: int
    update_time: int
    working_time: int = -1
    order_list_id: int = -1
    locked_asset: str = ""
    locked: Decimal = ZERO
    """Funds this order still holds locked (an OCO holds them on one leg)."""

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_working(self) -> bool:
        """On the book: a stop order is not until its stop price triggers."""
        return self.working_time >= 0

    @property
    def remaining(self) -> Decimal:
        return self.orig_qty - self.executed_qty


class Fill(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    symbol: str
    order_id: int
    order_list_id: int
    price: Decimal
    qty: Decimal
    commission: Decimal
    commission_asset: str
    time: int
    is_buyer: bool
    is_maker: bool

    @property
    def quote_qty(self) -> Decimal:
        return self.price * self.qty


class OrderList(msgspec.Struct, kw_only=True):
    order_list_id: int
    list_client_order_id: str
    symbol: str
    order_ids: list[int]
    transaction_time: int
    list_status_type: str = "EXEC_STARTED"
    list_order_status: str = "EXECUTING"

    @property
    def is_open(self) -> bool:
        return self.list_status_type == "EXEC_STARTED"


def _core(o: Order) -> dict[str, object]:
    return {
        "price": fmt(o.price),
        "origQty": fmt(o.orig_qty),
        "executedQty": fmt(o.executed_qty),
        "origQuoteOrderQty": fmt(o.orig_quote_qty),
        "cummulativeQuoteQty": fmt(o.cum_quote),
        "status": o.status,
        "timeInForce": o.time_in_force,
        "type": o.type,
        "side": o.side,
    }


def _stop(o: Order) -> dict[str, object]:
    return {"stopPrice": fmt(o.stop_price)} if o.type in STOP_TYPES else {}


def ack_json(o: Order, transact_time: int) -> dict[str, object]:
    return {
        "symbol": o.symbol,
        "orderId": o.order_id,
        "orderListId": o.order_list_id,
        "clientOrderId": o.client_order_id,
        "transactTime": transact_time,
    }


def result_json(o: Order, transact_time: int) -> dict[str, object]:
    return {
        **ack_json(o, transact_time),
        **_core(o),
        **_stop(o),
        "workingTime": o.working_time,
        "selfTradePreventionMode": "NONE",
    }


def full_json(o: Order, transact_time: int, fills: list[Fill]) -> dict[str, object]:
    return {
        **result_json(o, transact_time),
        "fills": [
            {
                "price": fmt(f.price),
                "qty": fmt(f.qty),
                "commission": fmt(f.commission),
                "commissionAsset": f.commission_asset,
                "tradeId": f.id,
            }
            for f in fills
        ],
    }


def details_json(o: Order) -> dict[str, object]:
    """The shape of GET order / openOrders / allOrders."""
    return {
        "symbol": o.symbol,
        "orderId": o.order_id,
        "orderListId": o.order_list_id,
        "clientOrderId": o.client_order_id,
        **_core(o),
        "stopPrice": fmt(o.stop_price),
        "icebergQty": fmt(ZERO),
        "time": o.time,
        "updateTime": o.update_time,
        "isWorking": o.is_working,
        "workingTime": o.working_time,
        "selfTradePreventionMode": "NONE",
    }


def canceled_json(o: Order, cancel_client_id: str, transact_time: int) -> dict[str, object]:
    """The shape of DELETE order; ``clientOrderId`` is the cancel's own id, as on Binance."""
    return {
        "symbol": o.symbol,
        "origClientOrderId": o.client_order_id,
        "orderId": o.order_id,
        "orderListId": o.order_list_id,
        "clientOrderId": cancel_client_id,
        "transactTime": transact_time,
        **_core(o),
        **_stop(o),
        "selfTradePreventionMode": "NONE",
    }


def my_trade_json(f: Fill) -> dict[str, object]:
    return {
        "symbol": f.symbol,
        "id": f.id,
        "orderId": f.order_id,
        "orderListId": f.order_list_id,
        "price": fmt(f.price),
        "qty": fmt(f.qty),
        "quoteQty": fmt(f.quote_qty),
        "commission": fmt(f.commission),
        "commissionAsset": f.commission_asset,
        "time": f.time,
        "isBuyer": f.is_buyer,
        "isMaker": f.is_maker,
        "isBestMatch": True,
    }


def execution_report(
    o: Order,
    execution_type: str,
    now: int,
    fill: Fill | None = None,
    cancel_client_id: str = "",
) -> dict[str, object]:
    """executionReport event; for a cancel ``c`` is the cancel's own id, ``C`` the order's."""
    return {
        "e": "executionReport",
        "E": now,
        "s": o.symbol,
        "c": cancel_client_id or o.client_order_id,
        "S": o.side,
        "o": o.type,
        "f": o.time_in_force,
        "q": fmt(o.orig_qty),
        "p": fmt(o.price),
        "P": fmt(o.stop_price),
        "F": fmt(ZERO),
        "g": o.order_list_id,
        "C": o.client_order_id if cancel_client_id else "",
        "x": execution_type,
        "X": o.status,
        "r": "NONE",
        "i": o.order_id,
        "l": fmt(fill.qty if fill else ZERO),
        "z": fmt(o.executed_qty),
        "L": fmt(fill.price if fill else ZERO),
        "n": fmt(fill.commission if fill else ZERO),
        "N": fill.commission_asset if fill else None,
        "T": fill.time if fill else now,
        "t": fill.id if fill else -1,
        "I": 0,
        "w": o.is_working and o.is_open,
        "m": fill.is_maker if fill else False,
        "M": False,
        "O": o.time,
        "Z": fmt(o.cum_quote),
        "Y": fmt(fill.quote_qty if fill else ZERO),
        "Q": fmt(o.orig_quote_qty),
        "W": o.working_time,
        "V": "NONE",
    }


def _list_head(lst: OrderList, orders: list[Order]) -> dict[str, object]:
    return {
        "orderListId": lst.order_list_id,
        "contingencyType": "OCO",
        "listStatusType": lst.list_status_type,
        "listOrderStatus": lst.list_order_status,
        "listClientOrderId": lst.list_client_order_id,
        "transactionTime": lst.transaction_time,
        "symbol": lst.symbol,
        "orders": [
            {"symbol": o.symbol, "orderId": o.order_id, "clientOrderId": o.client_order_id}
            for o in orders
        ],
    }


def list_json(lst: OrderList, orders: list[Order]) -> dict[str, object]:
    """GET orderList / openOrderList shape."""
    return _list_head(lst, orders)


def history_list_json(lst: OrderList, orders: list[Order]) -> dict[str, object]:
    """allOrderList shape (the spec wants ``isIsolated`` there)."""
    return {**_list_head(lst, orders), "isIsolated": False}


def new_list_json(lst: OrderList, orders: list[Order]) -> dict[str, object]:
    """POST orderList/oco shape: the list plus a report per leg."""
    reports = [
        {
            "symbol": o.symbol,
            "orderId": o.order_id,
            "orderListId": o.order_list_id,
            "clientOrderId": o.client_order_id,
            "transactTime": lst.transaction_time,
            **_core(o),
            "stopPrice": fmt(o.stop_price),
            "workingTime": o.working_time,
            "selfTradePreventionMode": "NONE",
        }
        for o in orders
    ]
    return {**_list_head(lst, orders), "orderReports": reports}


def canceled_list_json(
    lst: OrderList, orders: list[Order], cancel_client_id: str, transact_time: int
) -> dict[str, object]:
    """DELETE orderList shape (also an element of DELETE openOrders)."""
    reports = [
        {**canceled_json(o, cancel_client_id, transact_time), "stopPrice": fmt(o.stop_price)}
        for o in orders
    ]
    return {**_list_head(lst, orders), "orderReports": reports}


def list_status_event(lst: OrderList, orders: list[Order], now: int) -> dict[str, object]:
    return {
        "e": "listStatus",
        "E": now,
        "s": lst.symbol,
        "g": lst.order_list_id,
        "c": "OCO",
        "l": lst.list_status_type,
        "L": lst.list_order_status,
        "r": "NONE",
        "C": lst.list_client_order_id,
        "T": lst.transaction_time,
        "O": [{"s": o.symbol, "i": o.order_id, "c": o.client_order_id} for o in orders],
    }
