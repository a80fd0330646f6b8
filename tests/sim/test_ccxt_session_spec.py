"""Everything ccxt reads from the simulator during a trading session matches the spec."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import ccxt
import ccxt.async_support as ccxt_rest
import pytest

from peaktrade.venues.sim import SimHandle
from tests.sim.conftest import ccxt_client
from tests.sim.spec_client import validate_response


class SpecCheckedBinance(ccxt_rest.binance):  # type: ignore[misc]
    """ccxt's binance, observed: each raw response is validated before ccxt parses it."""

    validated: list[str]

    def on_rest_response(
        self, code: int, reason: str, url: str, method: str, headers: Any, body: str, *rest: Any
    ) -> str:
        path = urlsplit(url).path
        validate_response(method, path, code, body.encode(), "application/json")
        self.validated.append(f"{method} {path} {code}")
        return body


async def test_every_response_ccxt_reads_in_a_session_matches_the_spec(sim: SimHandle) -> None:
    ex = ccxt_client(SpecCheckedBinance, sim)
    ex.validated = []
    try:
        await ex.load_markets()
        await ex.fetch_ticker("BTC/USDT")
        await ex.fetch_tickers(["BTC/USDT", "ETH/USDT"])
        await ex.fetch_order_book("BTC/USDT", 50)
        await ex.fetch_ohlcv("BTC/USDT", "5m", limit=10)
        await ex.fetch_balance()
        await ex.create_order("ETH/USDT", "market", "buy", 1)
        limit = await ex.create_order("ETH/USDT", "limit", "buy", 1, 3000, {"clientOrderId": "s1"})
        await ex.create_order("ETH/USDT", "limit", "sell", 1, 3100, {"triggerPrice": 3150})
        await ex.fetch_order(limit["id"], "ETH/USDT")
        await ex.fetch_open_orders("ETH/USDT")
        await ex.cancel_order(limit["id"], "ETH/USDT")
        await ex.cancel_all_orders("ETH/USDT")
        await ex.fetch_my_trades("ETH/USDT")
        await ex.fetch_orders("ETH/USDT")
        with pytest.raises(ccxt.OrderNotFound):
            await ex.fetch_order("999", "ETH/USDT")
    finally:
        await ex.close()
    assert len(ex.validated) == 16
    assert "GET /api/v3/order 400" in ex.validated
