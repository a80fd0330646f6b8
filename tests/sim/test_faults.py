"""Fault injection: each fault does what it says, from Python and over the HTTP admin API."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import anyio
import ccxt
import ccxt.pro as ccxt_pro
import pytest

from peaktrade.venues.sim import SimHandle
from peaktrade.venues.sim.faults import CAMPAIGN, FaultController
from tests.sim.conftest import StartSim, ccxt_client, eventually
from tests.sim.spec_client import SpecClient


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


async def buy(exchange: Any, client_id: str) -> Any:
    return await exchange.create_order(
        "BTC/USDT", "limit", "buy", 0.01, 60000, {"clientOrderId": client_id}
    )


async def test_latency_delays_responses(sim: SimHandle, client: SpecClient) -> None:
    sim.faults.set("latency", fixed_ms=200, jitter_ms=50)
    started = time.monotonic()
    await client.call("GET", "/api/v3/ping")
    assert time.monotonic() - started >= 0.2


@pytest.mark.parametrize(
    ("fault", "error", "committed"),
    [
        ("http_503", ccxt.ExchangeNotAvailable, False),
        ("http_503_committed", ccxt.ExchangeNotAvailable, True),
        ("reset", ccxt.NetworkError, False),
        ("reset_committed", ccxt.NetworkError, True),
        ("timeout_1007", ccxt.RequestTimeout, False),
        ("timeout_1007_committed", ccxt.RequestTimeout, True),
    ],
)
async def test_order_failures_commit_or_not_as_named(
    sim: SimHandle, exchange: Any, fault: str, error: type[Exception], committed: bool
) -> None:
    sim.faults.set(fault, count=1, scope="order")
    with pytest.raises(error):
        await buy(exchange, "unknown-outcome")
    assert sim.accepted_count("unknown-outcome") == int(committed)
    if committed:  # resolvable by lookup, never by resubmitting
        found = await exchange.fetch_order(None, "BTC/USDT", {"clientOrderId": "unknown-outcome"})
        assert found["status"] == "open"


async def test_reset_closes_the_connection_without_a_response(
    sim: SimHandle, session: aiohttp.ClientSession
) -> None:
    sim.faults.set("reset", count=1)
    with pytest.raises(aiohttp.ClientConnectionError):  # a POST: aiohttp retries idempotent GETs
        await session.post(
            sim.rest_url + "/api/v3/userDataStream", headers={"X-MBX-APIKEY": sim.api_key}
        )


async def test_503_body_is_binance_unknown_error(sim: SimHandle, client: SpecClient) -> None:
    sim.faults.set("http_503", count=1)
    reply = await client.call("GET", "/api/v3/time")
    assert (reply.status, reply.body) == (
        503,
        {"msg": "Unknown error, please check your request or try again later."},
    )


async def test_targeted_fault_hits_only_the_next_order_request(
    sim: SimHandle, exchange: Any
) -> None:
    sim.faults.set("http_503", count=1, scope="order")
    await exchange.fetch_ticker("BTC/USDT")
    with pytest.raises(ccxt.ExchangeNotAvailable):
        await buy(exchange, "first")
    await buy(exchange, "second")
    assert (sim.accepted_count("first"), sim.accepted_count("second")) == (0, 1)


async def test_forced_429_answers_with_retry_after(sim: SimHandle, client: SpecClient) -> None:
    sim.faults.set("http_429", count=1, seconds=7)
    reply = await client.call("GET", "/api/v3/ping")
    assert (reply.status, reply.headers["Retry-After"], reply.body["code"]) == (429, "7", -1003)


async def test_forced_418_bans_the_ip_for_a_while(sim: SimHandle, client: SpecClient) -> None:
    # long enough that the second request lands inside it on a loaded machine (0.3 s did not)
    sim.faults.set("http_418", count=1, seconds=2.0)
    first = await client.call("GET", "/api/v3/ping")
    second = await client.call("GET", "/api/v3/ping")
    assert (first.status, second.status) == (418, 418)
    with anyio.fail_after(10):
        while (await client.call("GET", "/api/v3/ping")).status == 418:
            await anyio.sleep(0.02)


async def test_clock_skew_offsets_server_time(sim: SimHandle, client: SpecClient) -> None:
    sim.faults.skew_clock(30_000)
    server = (await client.call("GET", "/api/v3/time")).body["serverTime"]
    assert abs(server - (time.time() * 1000 + 30_000)) < 2_000


async def test_stale_prices_freeze_the_walk(start_sim: StartSim) -> None:
    sim = await start_sim(volatility=0.01)
    await eventually(lambda: sim.last_price("BTCUSDT") != Decimal("65000"))
    sim.faults.set("stale_prices", seconds=0.1)  # every tick: stale until cleared
    await eventually(lambda: sim.faults.fired["stale_prices"] >= 1)
    frozen, ticks = sim.last_price("BTCUSDT"), sim.engine.ticks
    await eventually(lambda: sim.engine.ticks >= ticks + 5)
    assert sim.last_price("BTCUSDT") == frozen
    sim.faults.clear("stale_prices")
    await eventually(lambda: sim.last_price("BTCUSDT") != frozen)


async def test_price_gap_jumps_by_the_percentage(sim: SimHandle) -> None:
    sim.faults.gap(-10, "BTCUSDT")
    await eventually(lambda: sim.last_price("BTCUSDT") == Decimal("58500"))
    assert sim.last_price("ETHUSDT") == Decimal("3200")


async def test_ws_drop_closes_every_websocket(
    sim: SimHandle, session: aiohttp.ClientSession
) -> None:
    async with session.ws_connect(sim.ws_url + "/btcusdt@trade") as ws:
        sim.faults.drop_websockets()
        while (msg := await ws.receive(timeout=5)).type == aiohttp.WSMsgType.TEXT:
            pass
    assert msg.type == aiohttp.WSMsgType.CLOSE
    assert msg.data == 1001


async def test_ccxt_watch_fails_on_a_drop_and_resubscribes(sim: SimHandle, pro: Any) -> None:
    await pro.watch_trades("BTC/USDT")
    sim.faults.drop_websockets()
    with pytest.raises(ccxt.NetworkError):
        for _ in range(100):
            await asyncio.wait_for(pro.watch_trades("BTC/USDT"), 5)
    assert await asyncio.wait_for(pro.watch_trades("BTC/USDT"), 5)


async def test_ws_freeze_goes_silent_keeps_the_socket_open_then_resumes(
    sim: SimHandle, session: aiohttp.ClientSession
) -> None:
    async with session.ws_connect(sim.ws_url + "/btcusdt@trade", autoping=False) as ws:
        received: list[aiohttp.WSMsgType] = []

        async def read() -> None:
            async for msg in ws:
                received.append(msg.type)

        reader = asyncio.ensure_future(read())
        await eventually(lambda: received)
        sim.faults.freeze_websockets(3)
        await eventually(lambda: sim.faults.fired["ws_freeze"] == 1)
        ticks = sim.engine.ticks
        await eventually(lambda: sim.engine.ticks >= ticks + 5)  # let in-flight frames land
        before = len(received)
        await ws.ping()
        ticks = sim.engine.ticks
        await eventually(lambda: sim.engine.ticks >= ticks + 10)
        assert len(received) == before  # no trades and no pong while frozen
        assert not ws.closed
        await eventually(lambda: len(received) > before, within=10)
        reader.cancel()


async def test_crash_refuses_connections_then_returns_with_state(
    sim: SimHandle, exchange: Any, session: aiohttp.ClientSession
) -> None:
    order = await buy(exchange, "before-crash")
    async with session.ws_connect(sim.ws_url + "/btcusdt@trade") as ws:
        sim.faults.crash(1.5)
        await eventually(lambda: sim.crashed)
        while (await ws.receive(timeout=5)).type == aiohttp.WSMsgType.TEXT:
            pass
    with pytest.raises(aiohttp.ClientConnectorError):
        await session.get(sim.rest_url + "/api/v3/ping")
    await eventually(lambda: not sim.crashed)
    found = await exchange.fetch_order(order["id"], "BTC/USDT")
    assert (found["status"], found["clientOrderId"]) == ("open", "before-crash")


async def test_http_admin_switches_faults_on_and_off(
    sim: SimHandle, session: aiohttp.ClientSession
) -> None:
    admin = sim.rest_url + "/sim/faults"
    listed = await (await session.post(admin, json={"name": "http_503", "scope": "public"})).json()
    assert [f["name"] for f in listed["active"]] == ["http_503"]
    assert (await session.get(sim.rest_url + "/api/v3/ping")).status == 503
    assert (await (await session.get(admin)).json())["fired"] == {"http_503": 1}
    await session.delete(admin + "/http_503")
    assert (await session.get(sim.rest_url + "/api/v3/ping")).status == 200


async def test_http_admin_rejects_unknown_faults(
    sim: SimHandle, session: aiohttp.ClientSession
) -> None:
    response = await session.post(sim.rest_url + "/sim/faults", json={"name": "meteor"})
    assert response.status == 400


async def test_http_admin_campaign_switches_every_fault_on(
    sim: SimHandle, session: aiohttp.ClientSession
) -> None:
    await session.post(sim.rest_url + "/sim/faults/campaign", json={"rate": 0})
    assert {f.name for f in sim.faults.active()} == set(CAMPAIGN)
    await session.delete(sim.rest_url + "/sim/faults")
    assert sim.faults.active() == []


async def test_http_admin_state_reports_accepted_client_ids(
    sim: SimHandle, exchange: Any, session: aiohttp.ClientSession
) -> None:
    await buy(exchange, "seen-once")
    state = await (await session.get(sim.rest_url + "/sim/state")).json()
    assert state["accepted"] == {"seen-once": 1}
    assert (state["open_orders"], state["duplicates"]) == (1, [])
    assert state["balances"]["USDT"] == {"free": "99400.00000000", "locked": "600.00000000"}


def test_probabilistic_faults_replay_for_a_seed() -> None:
    def pattern(seed: int) -> list[bool]:
        faults = FaultController(seed)
        faults.set("http_503", rate=0.3)
        return [faults.fire("http_503") is not None for _ in range(1000)]

    assert pattern(1) == pattern(1)
    assert pattern(1) != pattern(2)
    assert 250 < sum(pattern(1)) < 350


def test_count_switches_a_fault_off_after_it_fired() -> None:
    faults = FaultController(1)
    faults.set("reset", count=2)
    assert [faults.fire("reset") is not None for _ in range(3)] == [True, True, False]
    assert faults.active() == []


async def test_retrying_through_a_fault_campaign_never_places_an_order_twice(
    start_sim: StartSim,
) -> None:
    sim = await start_sim(seed=3)
    exchange = ccxt_client(ccxt_pro.binance, sim)
    await exchange.load_markets()
    sim.faults.campaign(0.2, ("http_503", "http_503_committed", "reset", "reset_committed"))
    outcomes: Counter[str] = Counter()
    try:
        for i in range(20):
            while True:  # resubmit the same client id until the exchange answers
                try:
                    await buy(exchange, f"campaign-{i}")
                    outcomes["placed"] += 1
                    break
                except ccxt.InvalidOrder as error:  # an earlier, unheard attempt went in
                    assert "Duplicate order sent." in str(error)
                    outcomes["refused as duplicate"] += 1
                    break
                except ccxt.NetworkError:
                    outcomes["unknown"] += 1
    finally:
        await exchange.close()
    assert set(outcomes) == {"placed", "refused as duplicate", "unknown"}
    assert [sim.accepted_count(f"campaign-{i}") for i in range(20)] == [1] * 20
