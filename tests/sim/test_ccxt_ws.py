"""ccxt.pro's binance class, unchanged, streams market data and user data from the simulator."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import anyio

from peaktrade.venues.sim import SimHandle
from tests.sim.conftest import eventually


async def watch_until(
    watch: Callable[[], Awaitable[Any]], done: Callable[[Any], bool], within: float = 5.0
) -> Any:
    """Call a ccxt ``watch_*`` until its result satisfies ``done``."""
    with anyio.fail_after(within):
        while True:
            result = await watch()
            if done(result):
                return result


async def collect(
    watch: Callable[[], Awaitable[list[Any]]],
    done: Callable[[list[Any]], bool],
    first: list[Any] | None = None,
) -> list[Any]:
    """Gather what a list-returning watch delivers (ccxt returns only new items) until done."""
    seen = list(first or [])
    while not done(seen):
        seen += await watch_until(watch, lambda _: True)
    return seen


async def user_stream_then(sim: SimHandle, watch: Awaitable[Any], act: Awaitable[Any]) -> Any:
    """Start a user-data watch, wait until the simulator has the subscription, then act."""
    task = asyncio.ensure_future(watch)
    await eventually(lambda: sim.hub.user_connections == 1 or task.done())
    await act
    return await asyncio.wait_for(task, 5)


async def test_watch_ticker_streams_24hr_tickers(pro: Any) -> None:
    ticker = await pro.watch_ticker("BTC/USDT")
    assert (ticker["symbol"], ticker["last"]) == ("BTC/USDT", 65000)


async def test_watch_tickers_streams_several_markets(pro: Any) -> None:
    seen: set[str] = set()

    def collect(tickers: dict[str, Any]) -> bool:
        seen.update(tickers)
        return seen == {"ETH/USDT", "SOL/USDT"}

    await watch_until(lambda: pro.watch_tickers(["ETH/USDT", "SOL/USDT"]), collect)


async def test_watch_bids_asks_streams_book_tops(pro: Any) -> None:
    tops = await pro.watch_bids_asks(["ETH/USDT"])
    top = tops["ETH/USDT"]
    assert top["bid"] < 3200 < top["ask"]
    assert top["bidVolume"] == top["askVolume"] == 5


async def test_watch_trades_streams_market_prints(pro: Any) -> None:
    trades = await collect(lambda: pro.watch_trades("SOL/USDT"), lambda t: len(t) >= 3)
    assert all(t["symbol"] == "SOL/USDT" and t["price"] == 150 for t in trades)
    assert len({t["id"] for t in trades}) == len(trades)


async def test_watch_ohlcv_streams_the_open_candle(pro: Any) -> None:
    candles = await pro.watch_ohlcv("BTC/USDT", "1m")
    stamp, _open, high, low, close, volume = candles[-1]
    assert stamp % 60_000 == 0
    assert low <= close <= high
    assert volume > 0


async def test_watch_order_book_stays_in_sync_through_depth_diffs(sim: SimHandle, pro: Any) -> None:
    sim.faults.set("price_gap", pct=0.02, symbol="BTCUSDT")
    for _ in range(5):
        await asyncio.wait_for(pro.watch_order_book("BTC/USDT"), 5)
    sim.faults.clear("price_gap")
    book = sim.engine.books["BTCUSDT"]
    await eventually(lambda: pro.orderbooks["BTC/USDT"]["nonce"] == book.update_id)
    mirrored = pro.orderbooks["BTC/USDT"]
    assert mirrored["bids"][:20] == [[float(p), float(q)] for p, q in book.levels("bids")]
    assert mirrored["asks"][:20] == [[float(p), float(q)] for p, q in book.levels("asks")]


async def test_watch_orders_sees_the_order_and_its_fill(sim: SimHandle, pro: Any) -> None:
    first = await user_stream_then(
        sim, pro.watch_orders("ETH/USDT"), pro.create_order("ETH/USDT", "market", "buy", 1)
    )
    orders = await collect(
        lambda: pro.watch_orders("ETH/USDT"), lambda o: o[-1]["status"] == "closed", first
    )
    assert (orders[-1]["filled"], orders[-1]["side"]) == (1, "buy")


async def test_watch_my_trades_sees_own_fills_with_fees(sim: SimHandle, pro: Any) -> None:
    trades = await user_stream_then(
        sim, pro.watch_my_trades("ETH/USDT"), pro.create_order("ETH/USDT", "market", "sell", 2)
    )
    assert (trades[-1]["amount"], trades[-1]["side"]) == (2, "sell")
    assert trades[-1]["fee"]["currency"] == "USDT"


async def test_watch_balance_sees_account_positions(sim: SimHandle, pro: Any) -> None:
    balance = await user_stream_then(
        sim, pro.watch_balance(), pro.create_order("BTC/USDT", "limit", "buy", 0.1, 60000)
    )
    assert balance["USDT"] == {"free": 94000.0, "used": 6000.0, "total": 100000.0}


async def test_user_data_arrives_over_the_ws_api_subscription(sim: SimHandle, pro: Any) -> None:
    await user_stream_then(
        sim, pro.watch_orders(), pro.create_order("BTC/USDT", "limit", "buy", 0.01, 60000)
    )
    (conn,) = [c for c in sim.hub.connections if c.subscription_id is not None]
    assert not conn.listen_keys
