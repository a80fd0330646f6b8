"""Every REST endpoint, success and error, answers as Binance's OpenAPI spec says."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from peaktrade.venues.sim import SimHandle
from tests.sim.conftest import eventually
from tests.sim.spec_client import SpecClient, validate_response


@dataclass
class Seeded:
    """Orders placed before a case runs, so queries and cancels have something to find."""

    open_order_id: int
    open_client_id: str
    list_id: int
    list_client_id: str


@pytest.fixture
async def seeded(sim: SimHandle, client: SpecClient) -> Seeded:
    buy = await client.call(
        "POST",
        "/api/v3/order",
        {
            "symbol": "BTCUSDT",
            "side": "BUY",
            "type": "LIMIT",
            "timeInForce": "GTC",
            "quantity": "0.01",
            "price": "60000",
            "newClientOrderId": "resting-1",
        },
        signed=True,
    )
    await client.call(
        "POST",
        "/api/v3/order",
        {"symbol": "ETHUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.1"},
        signed=True,
    )
    oco = await client.call(
        "POST",
        "/api/v3/orderList/oco",
        {
            "symbol": "ETHUSDT",
            "side": "SELL",
            "quantity": "0.05",
            "aboveType": "LIMIT_MAKER",
            "abovePrice": "3500",
            "belowType": "STOP_LOSS_LIMIT",
            "belowStopPrice": "3000",
            "belowPrice": "2990",
            "belowTimeInForce": "GTC",
            "listClientOrderId": "list-1",
        },
        signed=True,
    )
    assert buy.status == 200 and oco.status == 200, (buy.body, oco.body)
    return Seeded(buy.body["orderId"], "resting-1", oco.body["orderListId"], "list-1")


Params = Callable[[Seeded], dict[str, Any]]


@dataclass
class Case:
    method: str
    path: str
    params: Params
    signed: bool = False
    status: int = 200
    code: int | None = None


def p(**kw: Any) -> Params:
    return lambda _: kw


LIMIT_BUY = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC"}
CASES: dict[str, Case] = {
    "ping": Case("GET", "/api/v3/ping", p()),
    "time": Case("GET", "/api/v3/time", p()),
    "exchangeInfo": Case("GET", "/api/v3/exchangeInfo", p()),
    "exchangeInfo-symbols": Case("GET", "/api/v3/exchangeInfo", p(symbols='["BTCUSDT","XRPUSDT"]')),
    "exchangeInfo-bad-symbol": Case(
        "GET", "/api/v3/exchangeInfo", p(symbol="NOPE"), status=400, code=-1121
    ),
    "depth": Case("GET", "/api/v3/depth", p(symbol="BTCUSDT", limit=5)),
    "depth-bad-symbol": Case("GET", "/api/v3/depth", p(symbol="NOPE"), status=400, code=-1121),
    "trades": Case("GET", "/api/v3/trades", p(symbol="SOLUSDT", limit=10)),
    "trades-no-symbol": Case("GET", "/api/v3/trades", p(), status=400, code=-1102),
    "klines-1m": Case("GET", "/api/v3/klines", p(symbol="BTCUSDT", interval="1m", limit=20)),
    "klines-1h": Case("GET", "/api/v3/klines", p(symbol="ETHUSDT", interval="1h")),
    "klines-1s": Case("GET", "/api/v3/klines", p(symbol="ETHUSDT", interval="1s")),
    "klines-bad-interval": Case(
        "GET", "/api/v3/klines", p(symbol="BTCUSDT", interval="7m"), status=400, code=-1120
    ),
    "avgPrice": Case("GET", "/api/v3/avgPrice", p(symbol="BNBUSDT")),
    "avgPrice-no-symbol": Case("GET", "/api/v3/avgPrice", p(), status=400, code=-1102),
    "ticker-24hr": Case("GET", "/api/v3/ticker/24hr", p(symbol="BTCUSDT")),
    "ticker-24hr-all": Case("GET", "/api/v3/ticker/24hr", p()),
    "ticker-24hr-symbols": Case("GET", "/api/v3/ticker/24hr", p(symbols='["BTCUSDT","ETHUSDT"]')),
    "ticker-24hr-bad-symbol": Case(
        "GET", "/api/v3/ticker/24hr", p(symbol="NOPE"), status=400, code=-1121
    ),
    "ticker-price": Case("GET", "/api/v3/ticker/price", p(symbol="XRPUSDT")),
    "ticker-price-all": Case("GET", "/api/v3/ticker/price", p()),
    "ticker-price-bad-symbols": Case(
        "GET", "/api/v3/ticker/price", p(symbols="BTCUSDT"), status=400, code=-1100
    ),
    "bookTicker": Case("GET", "/api/v3/ticker/bookTicker", p(symbol="SOLUSDT")),
    "bookTicker-all": Case("GET", "/api/v3/ticker/bookTicker", p()),
    "bookTicker-bad-symbol": Case(
        "GET", "/api/v3/ticker/bookTicker", p(symbol="NOPE"), status=400, code=-1121
    ),
    "account": Case("GET", "/api/v3/account", p(), signed=True),
    "account-omit-zero": Case("GET", "/api/v3/account", p(omitZeroBalances="true"), signed=True),
    "order-new-ack": Case(
        "POST",
        "/api/v3/order",
        p(**LIMIT_BUY, quantity="0.001", price="61000", newOrderRespType="ACK"),
        signed=True,
    ),
    "order-new-result": Case(
        "POST",
        "/api/v3/order",
        p(symbol="SOLUSDT", side="SELL", type="MARKET", quantity="1", newOrderRespType="RESULT"),
        signed=True,
    ),
    "order-new-full": Case(
        "POST",
        "/api/v3/order",
        p(symbol="SOLUSDT", side="BUY", type="MARKET", quoteOrderQty="100"),
        signed=True,
    ),
    "order-new-stop-loss-limit": Case(
        "POST",
        "/api/v3/order",
        p(
            symbol="BTCUSDT",
            side="SELL",
            type="STOP_LOSS_LIMIT",
            timeInForce="GTC",
            quantity="0.01",
            price="59000",
            stopPrice="59100",
        ),
        signed=True,
    ),
    "order-new-insufficient": Case(
        "POST",
        "/api/v3/order",
        p(**LIMIT_BUY, quantity="100", price="60000"),
        signed=True,
        status=400,
        code=-2010,
    ),
    "order-new-lot-size": Case(
        "POST",
        "/api/v3/order",
        p(**LIMIT_BUY, quantity="0.000001", price="60000"),
        signed=True,
        status=400,
        code=-1013,
    ),
    "order-new-bad-type": Case(
        "POST",
        "/api/v3/order",
        p(symbol="BTCUSDT", side="BUY", type="ICEBERG", quantity="1"),
        signed=True,
        status=400,
        code=-1116,
    ),
    "order-test": Case(
        "POST",
        "/api/v3/order/test",
        p(**LIMIT_BUY, quantity="0.01", price="60000"),
        signed=True,
    ),
    "order-test-commission": Case(
        "POST",
        "/api/v3/order/test",
        p(**LIMIT_BUY, quantity="0.01", price="60000", computeCommissionRates="true"),
        signed=True,
    ),
    "order-test-price-filter": Case(
        "POST",
        "/api/v3/order/test",
        p(**LIMIT_BUY, quantity="0.01", price="60000.001"),
        signed=True,
        status=400,
        code=-1013,
    ),
    "order-query": Case(
        "GET", "/api/v3/order", lambda s: {"symbol": "BTCUSDT", "orderId": s.open_order_id}, True
    ),
    "order-query-by-client-id": Case(
        "GET",
        "/api/v3/order",
        lambda s: {"symbol": "BTCUSDT", "origClientOrderId": s.open_client_id},
        True,
    ),
    "order-query-unknown": Case(
        "GET", "/api/v3/order", p(symbol="BTCUSDT", orderId=999999), True, 400, -2013
    ),
    "order-cancel": Case(
        "DELETE", "/api/v3/order", lambda s: {"symbol": "BTCUSDT", "orderId": s.open_order_id}, True
    ),
    "order-cancel-unknown": Case(
        "DELETE", "/api/v3/order", p(symbol="BTCUSDT", orderId=999999), True, 400, -2011
    ),
    "openOrders": Case("GET", "/api/v3/openOrders", p(symbol="BTCUSDT"), signed=True),
    "openOrders-all": Case("GET", "/api/v3/openOrders", p(), signed=True),
    "openOrders-bad-symbol": Case("GET", "/api/v3/openOrders", p(symbol="NOPE"), True, 400, -1121),
    "openOrders-cancel-all-with-oco": Case(
        "DELETE", "/api/v3/openOrders", p(symbol="ETHUSDT"), signed=True
    ),
    "openOrders-cancel-all-none-open": Case(
        "DELETE", "/api/v3/openOrders", p(symbol="XRPUSDT"), True, 400, -2011
    ),
    "allOrders": Case("GET", "/api/v3/allOrders", p(symbol="ETHUSDT"), signed=True),
    "allOrders-no-symbol": Case("GET", "/api/v3/allOrders", p(), True, 400, -1102),
    "myTrades": Case("GET", "/api/v3/myTrades", p(symbol="ETHUSDT"), signed=True),
    "myTrades-bad-symbol": Case("GET", "/api/v3/myTrades", p(symbol="NOPE"), True, 400, -1121),
    "orderList-oco": Case(
        "POST",
        "/api/v3/orderList/oco",
        p(
            symbol="BTCUSDT",
            side="SELL",
            quantity="0.01",
            aboveType="LIMIT_MAKER",
            abovePrice="70000",
            belowType="STOP_LOSS",
            belowStopPrice="60000",
        ),
        signed=True,
    ),
    "orderList-oco-bad-prices": Case(
        "POST",
        "/api/v3/orderList/oco",
        p(
            symbol="BTCUSDT",
            side="SELL",
            quantity="0.01",
            aboveType="LIMIT_MAKER",
            abovePrice="60000",
            belowType="STOP_LOSS",
            belowStopPrice="70000",
        ),
        True,
        400,
        -2010,
    ),
    "orderList-query": Case(
        "GET", "/api/v3/orderList", lambda s: {"orderListId": s.list_id}, signed=True
    ),
    "orderList-query-by-client-id": Case(
        "GET", "/api/v3/orderList", lambda s: {"origClientOrderId": s.list_client_id}, True
    ),
    "orderList-query-unknown": Case(
        "GET", "/api/v3/orderList", p(orderListId=99999), True, 400, -2013
    ),
    "orderList-cancel": Case(
        "DELETE",
        "/api/v3/orderList",
        lambda s: {"symbol": "ETHUSDT", "orderListId": s.list_id},
        signed=True,
    ),
    "orderList-cancel-unknown": Case(
        "DELETE", "/api/v3/orderList", p(symbol="ETHUSDT", orderListId=99999), True, 400, -2013
    ),
    "allOrderList": Case("GET", "/api/v3/allOrderList", p(), signed=True),
    "allOrderList-bad-limit": Case("GET", "/api/v3/allOrderList", p(limit="x"), True, 400, -1100),
    "openOrderList": Case("GET", "/api/v3/openOrderList", p(), signed=True),
    "userDataStream-create": Case("POST", "/api/v3/userDataStream", p()),
}


@pytest.mark.parametrize("name", list(CASES))
async def test_endpoint_response_matches_spec(
    name: str, seeded: Seeded, client: SpecClient
) -> None:
    case = CASES[name]
    reply = await client.call(case.method, case.path, case.params(seeded), signed=case.signed)
    assert reply.status == case.status, reply.body
    if case.code is not None:
        assert reply.body["code"] == case.code


async def test_signed_endpoint_with_bad_signature_answers_400_spec_error(
    client: SpecClient,
) -> None:
    client.secret = "wrong"
    reply = await client.call("GET", "/api/v3/account", signed=True)
    assert (reply.status, reply.body["code"]) == (400, -1022)


async def test_signed_endpoint_with_unknown_key_answers_401_spec_error(client: SpecClient) -> None:
    reply = await client.call("GET", "/api/v3/openOrders", signed=True, key="not-the-key")
    assert (reply.status, reply.body["code"]) == (401, -2015)


async def test_listen_key_keepalive_and_close_match_spec(client: SpecClient) -> None:
    key = (await client.call("POST", "/api/v3/userDataStream")).body["listenKey"]
    kept = await client.call("PUT", "/api/v3/userDataStream", {"listenKey": key}, in_body=False)
    closed = await client.call("DELETE", "/api/v3/userDataStream", {"listenKey": key})
    again = await client.call("PUT", "/api/v3/userDataStream", {"listenKey": key}, in_body=False)
    assert (kept.status, closed.status) == (200, 200)
    assert (again.status, again.body["code"]) == (400, -1125)


async def test_fills_show_in_full_response_with_spec_shape(
    sim: SimHandle, client: SpecClient
) -> None:
    reply = await client.call(
        "POST",
        "/api/v3/order",
        {"symbol": "ETHUSDT", "side": "BUY", "type": "MARKET", "quantity": "20"},
        signed=True,
    )
    assert reply.status == 200
    assert len(reply.body["fills"]) == 4  # 20 ETH over 5 ETH levels
    await eventually(lambda: len(sim.trades()) == 4)


def test_validator_rejects_a_response_missing_a_required_field() -> None:
    body = b'{"symbol": "BTCUSDT", "orderId": 1}'
    with pytest.raises(Exception, match="required"):
        validate_response("GET", "/api/v3/order", 200, body, "application/json")
