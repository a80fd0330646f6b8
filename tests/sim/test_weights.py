"""Request weights, the per-minute limit, 429 with Retry-After, and escalating 418 bans."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from peaktrade.venues.sim.weights import RateLimiter
from tests.sim.conftest import StartSim
from tests.sim.spec_client import SpecClient


async def test_used_weight_headers_add_up_endpoint_weights(client: SpecClient) -> None:
    calls = [
        ("/api/v3/ping", {}, 1),
        ("/api/v3/depth", {"symbol": "BTCUSDT", "limit": 100}, 6),
        ("/api/v3/depth", {"symbol": "BTCUSDT", "limit": 1000}, 56),
        ("/api/v3/exchangeInfo", {}, 66),
        ("/api/v3/ticker/24hr", {}, 146),
        ("/api/v3/ticker/24hr", {"symbol": "BTCUSDT"}, 148),
        ("/api/v3/klines", {"symbol": "BTCUSDT", "interval": "1m"}, 150),
    ]
    for path, params, used in calls:
        reply = await client.call("GET", path, params)
        assert reply.headers["X-MBX-USED-WEIGHT-1M"] == str(used), path
        assert reply.headers["X-MBX-USED-WEIGHT"] == str(used), path


async def test_signed_endpoints_carry_their_weights(client: SpecClient) -> None:
    account = await client.call("GET", "/api/v3/account", signed=True)
    orders = await client.call("GET", "/api/v3/openOrders", signed=True)
    assert account.headers["X-MBX-USED-WEIGHT-1M"] == "20"
    assert orders.headers["X-MBX-USED-WEIGHT-1M"] == "100"  # 80 without a symbol


async def test_exchange_info_advertises_the_default_6000_limit(client: SpecClient) -> None:
    info = (await client.call("GET", "/api/v3/exchangeInfo")).body
    assert info["rateLimits"] == [
        {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000}
    ]


@pytest.fixture
async def tight(start_sim: StartSim) -> AsyncIterator[SpecClient]:
    sim = await start_sim(weight_limit=20, ban_after_violations=2, ban_base_s=30)
    async with aiohttp.ClientSession() as session:
        yield SpecClient(session, sim.rest_url, sim.api_key, sim.api_secret)


async def test_over_the_limit_answers_429_with_retry_after(tight: SpecClient) -> None:
    for _ in range(2):
        assert (await tight.call("GET", "/api/v3/exchangeInfo")).status == 200
    refused = await tight.call("GET", "/api/v3/exchangeInfo")
    assert (refused.status, refused.body["code"]) == (429, -1003)
    assert "current limit is 20 request weight per 1 MINUTE" in refused.body["msg"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60


async def test_sending_on_after_429_gets_the_ip_banned_with_418(tight: SpecClient) -> None:
    for _ in range(2):
        await tight.call("GET", "/api/v3/exchangeInfo")
    statuses = [(await tight.call("GET", "/api/v3/ping")).status for _ in range(4)]
    assert statuses == [429, 429, 418, 418]
    banned = await tight.call("GET", "/api/v3/ping")
    assert banned.body["code"] == -1003
    assert "IP banned until" in banned.body["msg"]
    assert 29 <= int(banned.headers["Retry-After"]) <= 30


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def limiter(clock: FakeClock) -> RateLimiter:
    return RateLimiter(
        limit=10, window_s=60, ban_after=1, ban_base_s=120, ban_max_s=400, clock=clock
    )


def test_each_ban_is_twice_as_long_up_to_the_maximum() -> None:
    clock = FakeClock()
    rl = limiter(clock)
    lengths = []
    for _ in range(4):
        clock.now = (clock.now // 60 + 1) * 60  # a fresh window
        rl.admit("ip", 10)
        rl.admit("ip", 1)  # 429
        lengths.append(rl.admit("ip", 1).retry_after_s)  # 418
        clock.now += lengths[-1] or 0
    assert lengths == [120, 240, 400, 400]


def test_the_weight_window_resets_each_minute() -> None:
    clock = FakeClock()
    clock.now = 60.0 * 100
    rl = limiter(clock)
    assert rl.admit("ip", 10).error is None
    assert rl.admit("ip", 1).error is not None
    clock.now += 60
    verdict = rl.admit("ip", 1)
    assert (verdict.error, verdict.used) == (None, 1)


def test_ips_are_limited_separately() -> None:
    rl = limiter(FakeClock())
    rl.admit("a", 10)
    assert rl.admit("a", 1).error is not None
    assert rl.admit("b", 1).error is None
