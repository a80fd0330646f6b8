"""Fixtures: a real simulator on loopback per test, real ccxt clients, a validating client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import anyio
import ccxt.async_support as ccxt_rest
import ccxt.pro as ccxt_pro
import msgspec
import pytest

from peaktrade.venues.sim import SimHandle, SimSettings, serve_sim
from tests.sim.spec_client import SpecClient

FAST = {
    "tick_interval_s": 0.05,
    "ticker_interval_s": 0.1,
    "volatility": 0.0,
    "history_minutes": 120,
}
"""Test defaults: quick ticks, still prices unless a test asks for a walk or a script."""

StartSim = Callable[..., Awaitable[SimHandle]]


@pytest.fixture
async def start_sim() -> AsyncIterator[StartSim]:
    """Start simulators (each in its own task owning an anyio task group); stop them after."""
    tasks: list[asyncio.Task[None]] = []

    async def start(**overrides: Any) -> SimHandle:
        settings = msgspec.convert({**FAST, **overrides}, SimSettings)
        ready: asyncio.Future[SimHandle] = asyncio.get_running_loop().create_future()

        async def run() -> None:
            async with anyio.create_task_group() as tg:
                ready.set_result(await tg.start(serve_sim, settings))

        task = asyncio.create_task(run())
        tasks.append(task)
        done, _ = await asyncio.wait([ready, task], return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            task.result()
        return ready.result()

    yield start
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


@pytest.fixture
async def sim(start_sim: StartSim) -> SimHandle:
    return await start_sim()


def ccxt_client(cls: Any, sim: SimHandle, **extra: Any) -> Any:
    """A ccxt binance instance on the simulator; tests skip ccxt's own pacing and exit pause."""
    return cls({**sim.ccxt_config(), "enableRateLimit": False, "timeout_on_exit": 0, **extra})


@pytest.fixture
async def exchange(sim: SimHandle) -> AsyncIterator[Any]:
    ex = ccxt_client(ccxt_rest.binance, sim)
    await ex.load_markets()
    yield ex
    await ex.close()


@pytest.fixture
async def pro(sim: SimHandle) -> AsyncIterator[Any]:
    ex = ccxt_client(ccxt_pro.binance, sim)
    await ex.load_markets()
    yield ex
    await ex.close()


@pytest.fixture
async def client(sim: SimHandle) -> AsyncIterator[SpecClient]:
    async with aiohttp.ClientSession() as session:
        yield SpecClient(session, sim.rest_url, sim.api_key, sim.api_secret)


async def eventually(check: Callable[[], object], within: float = 5.0) -> None:
    """Poll ``check`` until truthy, failing after ``within`` seconds."""
    with anyio.fail_after(within):
        while not check():
            await anyio.sleep(0.01)
