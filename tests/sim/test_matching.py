"""The matching engine through the REST API: book walking, partial fills, stops, fees, funds.

Prices are still (volatility 0) unless a price gap moves them, so every number is exact.
ETHUSDT at 3200: best bid 3199.68, best ask 3200.32, levels 0.32 apart, 5 ETH each.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from peaktrade.venues.sim import SimHandle
from tests.sim.conftest import StartSim, eventually
from tests.sim.spec_client import SpecClient

D = Decimal


async def order(client: SpecClient, **params: Any) -> Any:
    reply = await client.call("POST", "/api/v3/order", {"symbol": "ETHUSDT", **params}, signed=True)
    return reply.body


def fills_of(sim: SimHandle, order_id: int) -> list[tuple[Decimal, Decimal, bool]]:
    return [(f.price, f.qty, f.is_maker) for f in sim.trades() if f.order_id == order_id]


async def test_big_market_order_walks_the_book(sim: SimHandle, client: SpecClient) -> None:
    body = await order(client, side="BUY", type="MARKET", quantity="12")
    assert [(f["price"], f["qty"]) for f in body["fills"]] == [
        ("3200.32000000", "5.00000000"),
        ("3200.64000000", "5.00000000"),
        ("3200.96000000", "2.00000000"),
    ]
    assert body["cummulativeQuoteQty"] == "38406.72000000"


async def test_market_order_beyond_the_book_fills_partly_and_expires(
    start_sim: StartSim,
) -> None:
    sim = await start_sim(book_levels=2)
    async with aiohttp.ClientSession() as session:
        client = SpecClient(session, sim.rest_url, sim.api_key, sim.api_secret)
        body = await order(client, side="BUY", type="MARKET", quantity="12")
    assert (body["status"], body["executedQty"]) == ("EXPIRED", "10.00000000")


async def test_quote_order_qty_buy_spends_at_most_the_quote(client: SpecClient) -> None:
    body = await order(client, side="BUY", type="MARKET", quoteOrderQty="1000")
    assert D(body["cummulativeQuoteQty"]) <= 1000
    assert D(body["executedQty"]) == D("0.3124")  # 1000 / 3200.32 down to the 0.0001 step
    assert body["origQuoteOrderQty"] == "1000.00000000"


async def test_quote_order_qty_sell_sells_for_about_the_quote(client: SpecClient) -> None:
    body = await order(client, side="SELL", type="MARKET", quoteOrderQty="1000")
    assert D("999") < D(body["cummulativeQuoteQty"]) <= 1000


async def test_crossing_limit_takes_then_rests_the_rest(sim: SimHandle, client: SpecClient) -> None:
    body = await order(
        client, side="BUY", type="LIMIT", timeInForce="GTC", quantity="12", price="3200.64"
    )
    assert (body["status"], body["executedQty"]) == ("PARTIALLY_FILLED", "10.00000000")
    free, locked = sim.balances()["USDT"]
    assert locked == D("2") * D("3200.64")  # only the resting 2 ETH stay locked, at the limit
    assert free == D(100000) - locked - D("5") * D("3200.32") - D("5") * D("3200.64")


async def test_ioc_fills_what_it_can_and_expires_the_rest(client: SpecClient) -> None:
    body = await order(
        client, side="BUY", type="LIMIT", timeInForce="IOC", quantity="7", price="3200.32"
    )
    assert (body["status"], body["executedQty"]) == ("EXPIRED", "5.00000000")


async def test_fok_that_cannot_fill_whole_expires_without_fills(client: SpecClient) -> None:
    body = await order(
        client, side="BUY", type="LIMIT", timeInForce="FOK", quantity="7", price="3200.32"
    )
    assert (body["status"], body["executedQty"], body["fills"]) == ("EXPIRED", "0.00000000", [])


async def test_resting_limit_fills_partially_as_the_price_moves_through(
    sim: SimHandle, client: SpecClient
) -> None:
    body = await order(
        client, side="BUY", type="LIMIT", timeInForce="GTC", quantity="12", price="3190"
    )
    sim.faults.gap(-0.328125, "ETHUSDT")  # mid 3189.50: one 5 ETH ask level under 3190
    resting = sim.engine.orders[body["orderId"]]
    await eventually(lambda: resting.status == "FILLED")
    assert fills_of(sim, resting.order_id) == [
        (D(3190), D(5), True),
        (D(3190), D(5), True),
        (D(3190), D(2), True),
    ]


async def test_fees_use_the_maker_and_taker_rates_in_the_received_asset(
    start_sim: StartSim,
) -> None:
    sim = await start_sim(maker_fee="0.0005", taker_fee="0.002")
    async with aiohttp.ClientSession() as session:
        client = SpecClient(session, sim.rest_url, sim.api_key, sim.api_secret)
        await order(client, side="SELL", type="MARKET", quantity="1")
        resting = await order(
            client, side="BUY", type="LIMIT", timeInForce="GTC", quantity="1", price="3190"
        )
        sim.faults.gap(-0.328125, "ETHUSDT")
        await eventually(lambda: sim.engine.orders[resting["orderId"]].status == "FILLED")
    taker, maker = sim.trades()
    assert (taker.commission, taker.commission_asset) == (D("3199.68") * D("0.002"), "USDT")
    assert (maker.commission, maker.commission_asset) == (D("0.0005"), "ETH")
    assert sim.balances()["ETH"] == (D(10) - 1 + 1 - D("0.0005"), D(0))


async def test_stop_loss_limit_triggers_when_the_last_price_falls(
    sim: SimHandle, client: SpecClient
) -> None:
    body = await order(
        client,
        side="SELL",
        type="STOP_LOSS_LIMIT",
        timeInForce="GTC",
        quantity="1",
        stopPrice="3150",
        price="3090",
    )
    stop = sim.engine.orders[body["orderId"]]
    assert not stop.is_working
    sim.faults.gap(-3.125, "ETHUSDT")  # last 3100
    await eventually(lambda: stop.status == "FILLED")
    assert fills_of(sim, stop.order_id) == [(D("3099.69"), D(1), False)]


async def test_take_profit_limit_triggers_when_the_last_price_rises(
    sim: SimHandle, client: SpecClient
) -> None:
    body = await order(
        client,
        side="SELL",
        type="TAKE_PROFIT_LIMIT",
        timeInForce="GTC",
        quantity="1",
        stopPrice="3300",
        price="3290",
    )
    sim.faults.gap(3.75, "ETHUSDT")  # last 3320
    take = sim.engine.orders[body["orderId"]]
    await eventually(lambda: take.status == "FILLED")
    assert fills_of(sim, take.order_id)[0][2] is False


async def test_stop_loss_market_sells_at_the_bid_when_triggered(
    sim: SimHandle, client: SpecClient
) -> None:
    body = await order(client, side="SELL", type="STOP_LOSS", quantity="1", stopPrice="3150")
    sim.faults.gap(-3.125, "ETHUSDT")
    stop = sim.engine.orders[body["orderId"]]
    await eventually(lambda: stop.status == "FILLED")
    assert fills_of(sim, stop.order_id) == [(D("3099.69"), D(1), False)]


@pytest.mark.parametrize(
    ("kind", "stop"), [("STOP_LOSS", "3250"), ("TAKE_PROFIT", "3100")], ids=["stop", "take"]
)
async def test_a_stop_that_would_trigger_at_once_is_rejected(
    client: SpecClient, kind: str, stop: str
) -> None:
    reply = await client.call(
        "POST",
        "/api/v3/order",
        {"symbol": "ETHUSDT", "side": "SELL", "type": kind, "quantity": "1", "stopPrice": stop},
        signed=True,
    )
    assert reply.body == {"code": -2010, "msg": "Stop price would trigger immediately."}


async def test_limit_maker_that_would_take_is_rejected(client: SpecClient) -> None:
    reply = await client.call(
        "POST",
        "/api/v3/order",
        {
            "symbol": "ETHUSDT",
            "side": "SELL",
            "type": "LIMIT_MAKER",
            "quantity": "1",
            "price": "3199.68",
        },
        signed=True,
    )
    assert reply.body == {"code": -2010, "msg": "Order would immediately match and take."}


async def test_resting_sell_locks_base_and_cancel_gives_it_back(
    sim: SimHandle, client: SpecClient
) -> None:
    body = await order(
        client, side="SELL", type="LIMIT", timeInForce="GTC", quantity="4", price="3300"
    )
    assert sim.balances()["ETH"] == (D(6), D(4))
    await client.call(
        "DELETE",
        "/api/v3/order",
        {"symbol": "ETHUSDT", "orderId": body["orderId"]},
        signed=True,
    )
    assert sim.balances()["ETH"] == (D(10), D(0))


async def test_insufficient_balance_is_refused(client: SpecClient) -> None:
    reply = await client.call(
        "POST",
        "/api/v3/order",
        {"symbol": "ETHUSDT", "side": "SELL", "type": "MARKET", "quantity": "11"},
        signed=True,
    )
    assert reply.body == {
        "code": -2010,
        "msg": "Account has insufficient balance for requested action.",
    }


async def test_duplicate_client_order_id_is_refused_while_the_first_is_open(
    sim: SimHandle, client: SpecClient
) -> None:
    resting = {"side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "1"}
    await order(client, **resting, price="3000", newClientOrderId="dup-1")
    second = await order(client, **resting, price="3001", newClientOrderId="dup-1")
    assert second == {"code": -2010, "msg": "Duplicate order sent."}
    assert sim.accepted_count("dup-1") == 1


async def test_client_order_id_is_accepted_again_once_the_first_is_closed(
    sim: SimHandle, client: SpecClient
) -> None:
    await order(client, side="BUY", type="MARKET", quantity="1", newClientOrderId="again-1")
    second = await order(
        client, side="BUY", type="MARKET", quantity="1", newClientOrderId="again-1"
    )
    assert second["status"] == "FILLED"
    assert sim.accepted_count("again-1") == 2
    assert [o.status for o in sim.orders_by_client_id("again-1")] == ["FILLED", "FILLED"]


@pytest.mark.parametrize(
    ("params", "failure"),
    [
        (
            {"type": "LIMIT", "timeInForce": "GTC", "quantity": "1", "price": "3000.001"},
            "PRICE_FILTER",
        ),
        (
            {"type": "LIMIT", "timeInForce": "GTC", "quantity": "1.00001", "price": "3000"},
            "LOT_SIZE",
        ),
        ({"type": "MARKET", "quantity": "3001"}, "MARKET_LOT_SIZE"),
        ({"type": "LIMIT", "timeInForce": "GTC", "quantity": "0.001", "price": "3000"}, "NOTIONAL"),
    ],
    ids=["price-filter", "lot-size", "market-lot-size", "notional"],
)
async def test_filter_failures_use_binance_messages(
    client: SpecClient, params: dict[str, str], failure: str
) -> None:
    body = await order(client, side="BUY", **params)
    assert body == {"code": -1013, "msg": f"Filter failure: {failure}"}


@pytest.mark.parametrize(
    ("resp_type", "keys"),
    [
        ("ACK", {"status": False, "fills": False}),
        ("RESULT", {"status": True, "fills": False}),
        ("FULL", {"status": True, "fills": True}),
    ],
)
async def test_new_order_resp_type_shapes_the_answer(
    client: SpecClient, resp_type: str, keys: dict[str, bool]
) -> None:
    body = await order(client, side="BUY", type="MARKET", quantity="1", newOrderRespType=resp_type)
    assert {k: k in body for k in keys} == keys


async def test_stop_orders_answer_ack_by_default(client: SpecClient) -> None:
    body = await order(client, side="SELL", type="STOP_LOSS", quantity="1", stopPrice="3000")
    assert set(body) == {"symbol", "orderId", "orderListId", "clientOrderId", "transactTime"}


async def test_unknown_orders_are_2013_on_query_and_2011_on_cancel(client: SpecClient) -> None:
    query = await client.call(
        "GET", "/api/v3/order", {"symbol": "ETHUSDT", "orderId": 77}, signed=True
    )
    cancel = await client.call(
        "DELETE", "/api/v3/order", {"symbol": "ETHUSDT", "origClientOrderId": "x"}, signed=True
    )
    assert query.body == {"code": -2013, "msg": "Order does not exist."}
    assert cancel.body == {"code": -2011, "msg": "Unknown order sent."}


async def test_unknown_symbol_is_1121(client: SpecClient) -> None:
    body = (await client.call("GET", "/api/v3/depth", {"symbol": "DOGEUSDT"})).body
    assert body == {"code": -1121, "msg": "Invalid symbol."}


async def test_my_trades_carry_trade_ids_and_commissions(client: SpecClient) -> None:
    await order(client, side="BUY", type="MARKET", quantity="6")
    trades = (await client.call("GET", "/api/v3/myTrades", {"symbol": "ETHUSDT"}, signed=True)).body
    assert [t["qty"] for t in trades] == ["5.00000000", "1.00000000"]
    assert trades[1]["id"] == trades[0]["id"] + 1
    assert [t["commission"] for t in trades] == ["0.00500000", "0.00100000"]
    assert {t["commissionAsset"] for t in trades} == {"ETH"}
