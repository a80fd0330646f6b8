"""OCO order lists: one lock for both legs, and whichever leg acts first ends the other."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from peaktrade.venues.sim import SimHandle
from tests.sim.conftest import eventually
from tests.sim.spec_client import SpecClient

D = Decimal
SELL_OCO = {
    "symbol": "ETHUSDT",
    "side": "SELL",
    "quantity": "1",
    "aboveType": "LIMIT_MAKER",
    "abovePrice": "3300",
    "belowType": "STOP_LOSS",
    "belowStopPrice": "3150",
}


async def place(client: SpecClient, **params: Any) -> Any:
    reply = await client.call("POST", "/api/v3/orderList/oco", params, signed=True)
    assert reply.status == 200, reply.body
    return reply.body


def statuses(sim: SimHandle, body: Any) -> list[str]:
    return [sim.engine.orders[o["orderId"]].status for o in body["orders"]]


async def test_oco_places_two_legs_that_share_one_lock(sim: SimHandle, client: SpecClient) -> None:
    body = await place(client, **SELL_OCO)
    assert [r["type"] for r in body["orderReports"]] == ["STOP_LOSS", "LIMIT_MAKER"]
    assert (body["listStatusType"], body["listOrderStatus"]) == ("EXEC_STARTED", "EXECUTING")
    assert sim.balances()["ETH"] == (D(9), D(1))


async def test_buy_oco_locks_quote_for_the_dearer_leg(sim: SimHandle, client: SpecClient) -> None:
    await place(
        client,
        symbol="ETHUSDT",
        side="BUY",
        quantity="1",
        aboveType="STOP_LOSS_LIMIT",
        aboveStopPrice="3300",
        abovePrice="3310",
        aboveTimeInForce="GTC",
        belowType="LIMIT_MAKER",
        belowPrice="3100",
    )
    assert sim.balances()["USDT"][1] == D(3310)


async def test_limit_leg_fill_expires_the_stop_leg(sim: SimHandle, client: SpecClient) -> None:
    body = await place(client, **SELL_OCO)
    sim.faults.gap(3.75, "ETHUSDT")  # last 3320: bids reach the 3300 maker leg
    await eventually(lambda: statuses(sim, body) == ["EXPIRED", "FILLED"])
    lst = sim.engine.lists[body["orderListId"]]
    assert (lst.list_status_type, lst.list_order_status) == ("ALL_DONE", "ALL_DONE")
    assert sim.balances()["ETH"] == (D(9), D(0))


async def test_stop_leg_trigger_expires_the_limit_leg(sim: SimHandle, client: SpecClient) -> None:
    body = await place(client, **SELL_OCO)
    sim.faults.gap(-3.125, "ETHUSDT")  # last 3100: under the 3150 stop
    await eventually(lambda: statuses(sim, body) == ["FILLED", "EXPIRED"])
    assert sim.balances()["ETH"] == (D(9), D(0))


async def test_canceling_one_leg_cancels_the_whole_list(sim: SimHandle, client: SpecClient) -> None:
    body = await place(client, **SELL_OCO)
    leg = body["orders"][1]["orderId"]
    await client.call("DELETE", "/api/v3/order", {"symbol": "ETHUSDT", "orderId": leg}, signed=True)
    assert statuses(sim, body) == ["CANCELED", "CANCELED"]
    assert sim.balances()["ETH"] == (D(10), D(0))


async def test_cancel_order_list_reports_both_legs(sim: SimHandle, client: SpecClient) -> None:
    body = await place(client, **SELL_OCO)
    reply = await client.call(
        "DELETE",
        "/api/v3/orderList",
        {"symbol": "ETHUSDT", "orderListId": body["orderListId"]},
        signed=True,
    )
    assert [r["status"] for r in reply.body["orderReports"]] == ["CANCELED", "CANCELED"]
    assert reply.body["listOrderStatus"] == "ALL_DONE"


async def test_prices_in_the_wrong_order_are_rejected(client: SpecClient) -> None:
    reply = await client.call(
        "POST", "/api/v3/orderList/oco", {**SELL_OCO, "belowStopPrice": "3250"}, signed=True
    )
    assert reply.body == {
        "code": -2010,
        "msg": "The relationship of the prices for the orders is not correct.",
    }


async def test_legacy_order_oco_endpoint_places_a_list(sim: SimHandle, client: SpecClient) -> None:
    reply = await client.call(
        "POST",
        "/api/v3/order/oco",
        {
            "symbol": "ETHUSDT",
            "side": "SELL",
            "quantity": "1",
            "price": "3300",
            "stopPrice": "3150",
            "stopLimitPrice": "3140",
            "stopLimitTimeInForce": "GTC",
            "limitClientOrderId": "tp-1",
            "stopClientOrderId": "sl-1",
        },
        signed=True,
        validate=False,  # the vendored spec no longer describes the legacy endpoint
    )
    assert [o["clientOrderId"] for o in reply.body["orders"]] == ["sl-1", "tp-1"]
    assert [r["type"] for r in reply.body["orderReports"]] == ["STOP_LOSS_LIMIT", "LIMIT_MAKER"]


async def test_open_and_all_order_lists(client: SpecClient) -> None:
    first = await place(client, **SELL_OCO, listClientOrderId="a")
    await place(client, **SELL_OCO, listClientOrderId="b")
    await client.call(
        "DELETE",
        "/api/v3/orderList",
        {"symbol": "ETHUSDT", "listClientOrderId": "a"},
        signed=True,
    )
    open_lists = (await client.call("GET", "/api/v3/openOrderList", signed=True)).body
    all_lists = (await client.call("GET", "/api/v3/allOrderList", signed=True)).body
    assert [x["listClientOrderId"] for x in open_lists] == ["b"]
    assert [x["orderListId"] for x in all_lists] == [first["orderListId"], first["orderListId"] + 1]
