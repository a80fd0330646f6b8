"""Exchange size rules and closed bars, from the simulator through ccxt as the daemon gets them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import anyio
import ccxt.async_support as ccxt_rest
import pytest

from peaktrade.strategy.bars import TIMEFRAME_MS, Timeframe, closed_bars
from peaktrade.strategy.markets import DECIMAL_PLACES, MarketRules, rules_from_ccxt
from peaktrade.venues.sim import SimHandle, SimSettings, ccxt_config, serve_sim

MINUTE = TIMEFRAME_MS[Timeframe.M1]


@pytest.fixture
async def exchange() -> AsyncIterator[Any]:
    """ccxt's binance class against a simulator on loopback, markets loaded."""
    settings = SimSettings(history_minutes=30, volatility=0.0005)
    started: asyncio.Future[SimHandle] = asyncio.get_running_loop().create_future()

    async def serve() -> None:  # the simulator's task group lives in a task of its own
        async with anyio.create_task_group() as tg:
            started.set_result(await tg.start(serve_sim, settings))

    task = asyncio.create_task(serve())
    sim = await started
    client = ccxt_rest.binance(
        ccxt_config(sim.rest_url, sim.ws_url, settings.api_key, settings.api_secret)
    )
    try:
        await client.load_markets()
        yield client
    finally:
        await client.close()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_rules_are_the_exchange_filters(exchange: Any) -> None:
    rules = rules_from_ccxt(exchange.markets["BTC/USDT"], exchange.precisionMode)
    assert rules == MarketRules(step=0.00001, min_qty=0.00001, max_qty=120.0, min_notional=5.0)


def test_decimal_places_precision_becomes_a_step() -> None:
    market = {"precision": {"amount": 3}, "limits": {"amount": {"min": 0.001}}}
    assert rules_from_ccxt(market, DECIMAL_PLACES).step == 0.001


def test_missing_limits_mean_no_limit() -> None:
    assert rules_from_ccxt({"limits": {"cost": {"min": None}}}, 4) == MarketRules()


async def test_only_closed_candles_become_bars(exchange: Any) -> None:
    now = exchange.milliseconds()
    rows = await exchange.fetch_ohlcv("BTC/USDT", "1m", None, 10)
    assert rows[-1][0] + MINUTE > now  # the exchange's last row is still forming
    got = closed_bars("BTC/USDT", rows, period_ms=MINUTE, now_ms=now)
    assert [b.open_ms for b in got] == [r[0] for r in rows[:-1]]
    assert all(b.close_ms <= now for b in got)
    assert got[-1].close == rows[-2][4]


def test_bars_already_seen_are_not_repeated() -> None:
    rows = [[0, 1, 1, 1, 1, 1], [MINUTE, 2, 2, 2, 2, 1], [2 * MINUTE, 3, 3, 3, 3, 1]]
    got = closed_bars("X/Y", rows, period_ms=MINUTE, now_ms=10 * MINUTE, after_open_ms=MINUTE)
    assert [b.close for b in got] == [3.0]


def test_bars_come_oldest_first_once_each() -> None:
    rows = [[MINUTE, 2, 2, 2, 2, 1], [0, 1, 1, 1, 1, 1], [MINUTE, 2, 2, 2, 2, 1]]
    got = closed_bars("X/Y", rows, period_ms=MINUTE, now_ms=10 * MINUTE)
    assert [b.open_ms for b in got] == [0, MINUTE]


def test_malformed_rows_are_skipped() -> None:
    rows = [[0, 1, 1, 1, None, 1], [MINUTE, 2, 2], [2 * MINUTE, 3, 3, 3, 3, 1]]
    got = closed_bars("X/Y", rows, period_ms=MINUTE, now_ms=10 * MINUTE)
    assert [b.close for b in got] == [3.0]
