"""ccxt's own binance class (REST), unchanged, trades against the simulator."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

import ccxt
import ccxt.async_support as ccxt_rest
import pytest

from peaktrade.venues.sim import SimHandle, ccxt_config
from tests.sim.conftest import StartSim, ccxt_client


def _strings(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [s for v in node.values() for s in _strings(v)]
    return [node] if isinstance(node, str) else []


async def test_ccxt_config_points_every_api_url_at_the_simulator() -> None:
    config = ccxt_config("http://127.0.0.1:9", "ws://127.0.0.1:9/ws", "k", "s")
    ex = ccxt.pro.binance({**config, "timeout_on_exit": 0})
    try:
        urls = _strings({k: ex.urls[k] for k in ("api", "test", "demo")})
        assert urls
        assert all(u.startswith(("http://127.0.0.1:9/", "ws://127.0.0.1:9/")) for u in urls), urls
    finally:
        await ex.close()


async def test_load_markets_reads_filters_into_precision_and_limits(exchange: Any) -> None:
    assert set(exchange.symbols) == {"BTC/USDT", "ETH/USDT", "SOL/USDT", "BNB/USDT", "XRP/USDT"}
    btc = exchange.market("BTC/USDT")
    assert (btc["spot"], btc["active"]) == (True, True)
    assert (btc["precision"]["amount"], btc["precision"]["price"]) == (1e-05, 0.01)
    assert btc["limits"]["cost"]["min"] == 5
    assert btc["limits"]["market"]["max"] == 120


async def test_fetch_ticker_has_last_bid_and_ask(exchange: Any) -> None:
    ticker = await exchange.fetch_ticker("BTC/USDT")
    assert ticker["last"] == 65000
    assert ticker["bid"] < ticker["last"] < ticker["ask"]


async def test_fetch_tickers_returns_each_requested_market(exchange: Any) -> None:
    assert set(await exchange.fetch_tickers()) == set(exchange.symbols)
    assert set(await exchange.fetch_tickers(["ETH/USDT", "XRP/USDT"])) == {"ETH/USDT", "XRP/USDT"}


async def test_fetch_order_book_has_finite_depth_per_level(exchange: Any) -> None:
    book = await exchange.fetch_order_book("ETH/USDT", 10)
    assert len(book["bids"]) == len(book["asks"]) == 10
    assert all(qty == 5 for _, qty in book["bids"] + book["asks"])
    assert book["bids"][0][0] < book["asks"][0][0]


async def test_fetch_ohlcv_returns_minute_candles_from_history(exchange: Any) -> None:
    candles = await exchange.fetch_ohlcv("SOL/USDT", "1m", limit=100)
    assert len(candles) == 100
    assert {b[0] - a[0] for a, b in itertools.pairwise(candles)} == {60_000}


async def test_fetch_balance_reports_starting_balances(exchange: Any) -> None:
    balance = await exchange.fetch_balance()
    assert balance["USDT"] == {"free": 100000.0, "used": 0.0, "total": 100000.0}
    assert balance["BTC"]["total"] == 1


async def test_market_order_fills_at_once_with_a_fee(exchange: Any) -> None:
    order = await exchange.create_order("ETH/USDT", "market", "buy", 1)
    assert (order["status"], order["filled"]) == ("closed", 1)
    assert order["fee"] == {"currency": "ETH", "cost": 0.001}


async def test_market_buy_with_cost_spends_quote(exchange: Any) -> None:
    order = await exchange.create_market_buy_order_with_cost("BTC/USDT", 100)
    assert order["status"] == "closed"
    assert 99 < order["cost"] <= 100


async def test_limit_order_keeps_the_client_order_id(exchange: Any) -> None:
    order = await exchange.create_order(
        "BTC/USDT", "limit", "buy", 0.01, 60000, {"clientOrderId": "my-id-1"}
    )
    assert (order["status"], order["clientOrderId"]) == ("open", "my-id-1")
    fetched = await exchange.fetch_order(None, "BTC/USDT", {"clientOrderId": "my-id-1"})
    assert fetched["id"] == order["id"]


async def test_post_only_limit_is_sent_as_limit_maker(exchange: Any) -> None:
    order = await exchange.create_order(
        "BTC/USDT", "limit", "sell", 0.01, 70000, {"postOnly": True}
    )
    assert (order["info"]["type"], order["status"]) == ("LIMIT_MAKER", "open")


async def test_trigger_price_limit_is_a_stop_loss_limit(exchange: Any) -> None:
    order = await exchange.create_order(
        "BTC/USDT", "limit", "sell", 0.01, 59000, {"triggerPrice": 60000}
    )
    detail = await exchange.fetch_order(order["id"], "BTC/USDT")
    assert (detail["info"]["type"], detail["triggerPrice"]) == ("STOP_LOSS_LIMIT", 60000)


async def test_take_profit_price_limit_is_a_take_profit_limit(exchange: Any) -> None:
    order = await exchange.create_order(
        "BTC/USDT", "limit", "sell", 0.01, 71000, {"takeProfitPrice": 70000}
    )
    detail = await exchange.fetch_order(order["id"], "BTC/USDT")
    assert detail["info"]["type"] == "TAKE_PROFIT_LIMIT"


async def test_stop_loss_price_market_is_a_stop_loss(exchange: Any) -> None:
    order = await exchange.create_order(
        "BTC/USDT", "market", "sell", 0.01, None, {"stopLossPrice": 60000}
    )
    detail = await exchange.fetch_order(order["id"], "BTC/USDT")
    assert (detail["info"]["type"], detail["status"]) == ("STOP_LOSS", "open")


@pytest.mark.parametrize(("tif", "status"), [("IOC", "expired"), ("FOK", "expired")])
async def test_unfillable_ioc_and_fok_limits_expire(exchange: Any, tif: str, status: str) -> None:
    order = await exchange.create_order(
        "BTC/USDT", "limit", "buy", 0.01, 60000, {"timeInForce": tif}
    )
    assert order["status"] == status


async def test_oco_through_the_raw_order_list_endpoint(exchange: Any) -> None:
    response = await exchange.privatePostOrderListOco(
        {
            "symbol": "BTCUSDT",
            "side": "SELL",
            "quantity": "0.01",
            "aboveType": "LIMIT_MAKER",
            "abovePrice": "70000",
            "belowType": "STOP_LOSS_LIMIT",
            "belowStopPrice": "60000",
            "belowPrice": "59900",
            "belowTimeInForce": "GTC",
        }
    )
    assert response["listOrderStatus"] == "EXECUTING"
    open_orders = await exchange.fetch_open_orders("BTC/USDT")
    assert sorted(o["info"]["type"] for o in open_orders) == ["LIMIT_MAKER", "STOP_LOSS_LIMIT"]


async def test_cancel_order_cancels(exchange: Any) -> None:
    order = await exchange.create_order("BTC/USDT", "limit", "buy", 0.01, 60000)
    canceled = await exchange.cancel_order(order["id"], "BTC/USDT")
    assert canceled["status"] == "canceled"
    assert (await exchange.fetch_order(order["id"], "BTC/USDT"))["status"] == "canceled"


async def test_fetch_open_orders_lists_resting_orders(exchange: Any) -> None:
    a = await exchange.create_order("BTC/USDT", "limit", "buy", 0.01, 60000)
    b = await exchange.create_order("ETH/USDT", "limit", "buy", 0.1, 3000)
    assert [o["id"] for o in await exchange.fetch_open_orders("BTC/USDT")] == [a["id"]]
    exchange.options["warnOnFetchOpenOrdersWithoutSymbol"] = False
    assert {o["id"] for o in await exchange.fetch_open_orders()} == {a["id"], b["id"]}


async def test_cancel_all_orders_empties_the_symbol(exchange: Any) -> None:
    for price in (60000, 61000):
        await exchange.create_order("BTC/USDT", "limit", "buy", 0.01, price)
    canceled = await exchange.cancel_all_orders("BTC/USDT")
    assert [o["status"] for o in canceled] == ["canceled", "canceled"]
    assert await exchange.fetch_open_orders("BTC/USDT") == []


async def test_fetch_my_trades_reports_ids_prices_and_fees(exchange: Any) -> None:
    order = await exchange.create_order("ETH/USDT", "market", "buy", 7)
    trades = await exchange.fetch_my_trades("ETH/USDT")
    assert [t["order"] for t in trades] == [order["id"], order["id"]]
    assert [t["amount"] for t in trades] == [5, 2]  # walked two 5 ETH levels
    assert trades[0]["id"] != trades[1]["id"]
    assert trades[0]["price"] < trades[1]["price"]
    assert trades[1]["fee"] == {"currency": "ETH", "cost": 0.002}


async def test_fetch_orders_returns_the_history(exchange: Any) -> None:
    await exchange.create_order("ETH/USDT", "market", "buy", 1)
    resting = await exchange.create_order("ETH/USDT", "limit", "buy", 1, 3000)
    await exchange.cancel_order(resting["id"], "ETH/USDT")
    orders = await exchange.fetch_orders("ETH/USDT")
    assert [o["status"] for o in orders] == ["closed", "canceled"]


async def test_test_orders_are_validated_but_not_placed(sim: SimHandle, exchange: Any) -> None:
    await exchange.create_order("BTC/USDT", "limit", "buy", 0.01, 60000, {"test": True})
    assert sim.engine.orders == {}


async def _raw_order(exchange: Any, **params: Any) -> Any:
    return await exchange.privatePostOrder({"symbol": "BTCUSDT", **params})


ERRORS = {
    "lot-size": (ccxt.InvalidOrder, {"side": "BUY", "type": "MARKET", "quantity": "0.000001"}),
    "maker-would-take": (
        ccxt.OrderImmediatelyFillable,
        {"side": "BUY", "type": "LIMIT_MAKER", "quantity": "0.01", "price": "66000"},
    ),
    "insufficient": (
        ccxt.InsufficientFunds,
        {"side": "SELL", "type": "MARKET", "quantity": "5"},
    ),
    "bad-symbol": (ccxt.BadSymbol, {"symbol": "NOPEUSDT", "side": "BUY", "type": "MARKET"}),
}


@pytest.mark.parametrize("name", list(ERRORS))
async def test_order_errors_map_to_ccxt_exceptions(exchange: Any, name: str) -> None:
    error, params = ERRORS[name]
    with pytest.raises(error):
        await _raw_order(exchange, **params)


async def test_unknown_order_maps_to_order_not_found(exchange: Any) -> None:
    with pytest.raises(ccxt.OrderNotFound):
        await exchange.fetch_order("424242", "BTC/USDT")
    with pytest.raises(ccxt.OrderNotFound):
        await exchange.cancel_order("424242", "BTC/USDT")


async def test_wrong_secret_maps_to_authentication_error(sim: SimHandle) -> None:
    ex = ccxt_client(ccxt_rest.binance, sim, secret="wrong")
    try:
        with pytest.raises(ccxt.AuthenticationError):
            await ex.fetch_balance()
    finally:
        await ex.close()


async def test_clock_skew_maps_to_invalid_nonce(sim: SimHandle, exchange: Any) -> None:
    sim.faults.skew_clock(-10_000)
    with pytest.raises(ccxt.InvalidNonce):
        await exchange.fetch_balance()


async def test_rate_limit_maps_to_ddos_protection(start_sim: StartSim) -> None:
    sim = await start_sim(weight_limit=30)
    ex = ccxt_client(ccxt_rest.binance, sim)
    try:
        await ex.load_markets()
        with pytest.raises(ccxt.DDoSProtection):
            for _ in range(10):
                await ex.fetch_balance()
    finally:
        await ex.close()


async def test_503_maps_to_exchange_not_available(sim: SimHandle, exchange: Any) -> None:
    sim.faults.set("http_503")
    with pytest.raises(ccxt.ExchangeNotAvailable):
        await exchange.fetch_ticker("BTC/USDT")


async def test_1007_maps_to_request_timeout(sim: SimHandle, exchange: Any) -> None:
    sim.faults.set("timeout_1007")
    with pytest.raises(ccxt.RequestTimeout):
        await exchange.create_order("BTC/USDT", "market", "buy", 0.001)


async def test_balances_after_trades_are_exact(start_sim: StartSim) -> None:
    sim = await start_sim(taker_fee="0.002", maker_fee="0.0005")
    ex = ccxt_client(ccxt_rest.binance, sim)
    try:
        await ex.create_order("BTC/USDT", "market", "buy", 0.01)
        await ex.create_order("BTC/USDT", "limit", "buy", 0.02, 60000)
    finally:
        await ex.close()
    ask = Decimal("65006.50")
    assert sim.balances()["BTC"] == (Decimal("1.00998"), Decimal(0))
    assert sim.balances()["USDT"] == (
        Decimal(100000) - ask * Decimal("0.01") - Decimal(1200),
        Decimal(1200),
    )
