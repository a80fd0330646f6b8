"""Request weight: ccxt's limiter keeps us under Binance's budget; a 429 silences us until
Retry-After, so the simulator never bans (418) us."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import ccxt.pro as ccxtpro

from peaktrade.venues.ccxt_venue import CcxtVenue, VenueBackoff
from peaktrade.venues.sim import SimHandle
from tests.execution.conftest import Events, now_ms


async def sim_state(sim: SimHandle) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session, session.get(f"{sim.rest_url}/sim/state") as r:
        return dict(await r.json())


async def hammer(venue: CcxtVenue, seconds: float) -> dict[str, int]:
    """Open-order queries (weight 6 each) as fast as the venue lets them go."""
    counts = {"ok": 0, "backoff": 0, "rate_limited": 0, "other": 0}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            await venue.call("fetch_open_orders", "BTC/USDT")
            counts["ok"] += 1
        except VenueBackoff:
            counts["backoff"] += 1
            await _tick()
        except Exception as exc:
            counts["rate_limited" if "429" in str(exc) or "418" in str(exc) else "other"] += 1
    return counts


async def _tick() -> None:
    import anyio

    await anyio.sleep(0.01)


async def test_ccxt_limiter_stays_under_the_weight_budget(
    start_sim: Callable[..., Awaitable[SimHandle]],
) -> None:
    sim = await start_sim()  # Binance's 6000 per minute
    exchange = ccxtpro.binance({**sim.ccxt_config(), "enableRateLimit": True})
    venue = CcxtVenue(exchange, Events(), now_ms)
    try:
        await exchange.load_markets()
        counts = await hammer(venue, 4.0)
    finally:
        await venue.close()
    state = await sim_state(sim)
    assert counts["ok"] > 20 and counts["rate_limited"] == 0 and counts["other"] == 0
    assert state["requests"]["during_backoff"] == 0


async def test_after_a_429_nothing_is_sent_before_retry_after(
    start_sim: Callable[..., Awaitable[SimHandle]],
) -> None:
    sim = await start_sim(weight_limit=120)  # far below what the loop asks for
    events = Events()
    exchange = ccxtpro.binance({**sim.ccxt_config(), "enableRateLimit": True})
    venue = CcxtVenue(exchange, events, now_ms)
    try:
        await exchange.load_markets()
        counts = await hammer(venue, 4.0)
        sent_during = (await sim_state(sim))["requests"]
    finally:
        await venue.close()
    assert counts["rate_limited"] == 1  # one 429, then silence
    assert counts["backoff"] > 10  # every later call failed fast, without the network
    assert sent_during["during_backoff"] == 0  # none reached the simulator in the window
    assert "exchange.rate_limited" in events.codes() and "exchange.banned" not in events.codes()
