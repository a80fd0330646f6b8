"""The websocket protocols themselves, spoken by a plain client: streams, ws-api, listenKeys."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import anyio
import msgspec
import pytest

from peaktrade.venues.sim import SimHandle
from tests.sim.spec_client import SpecClient


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


async def receive(ws: aiohttp.ClientWebSocketResponse) -> Any:
    msg = await ws.receive(timeout=5)
    assert msg.type == aiohttp.WSMsgType.TEXT, msg
    return msgspec.json.decode(msg.data)


async def receive_until(ws: aiohttp.ClientWebSocketResponse, predicate: Any) -> Any:
    with anyio.fail_after(5):
        while True:
            message = await receive(ws)
            if predicate(message):
                return message


def ws_signed(sim: SimHandle, **params: Any) -> dict[str, Any]:
    signed = {"apiKey": sim.api_key, "timestamp": int(time.time() * 1000), **params}
    payload = "&".join(f"{k}={v}" for k, v in sorted(signed.items()))
    sig = hmac.new(sim.api_secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
    return {**signed, "signature": sig}


async def test_subscribe_answers_null_result_and_lists_streams(
    sim: SimHandle, session: aiohttp.ClientSession
) -> None:
    async with session.ws_connect(sim.ws_url) as ws:
        await ws.send_json({"method": "SUBSCRIBE", "params": ["btcusdt@trade"], "id": 7})
        assert await receive_until(ws, lambda m: "id" in m) == {"result": None, "id": 7}
        await ws.send_json({"method": "LIST_SUBSCRIPTIONS", "id": 8})
        listed = await receive_until(ws, lambda m: m.get("id") == 8)
        assert listed["result"] == ["btcusdt@trade"]


async def test_subscribe_to_an_unknown_stream_is_an_error(
    sim: SimHandle, session: aiohttp.ClientSession
) -> None:
    async with session.ws_connect(sim.ws_url) as ws:
        await ws.send_json({"method": "SUBSCRIBE", "params": ["nopeusdt@trade"], "id": 1})
        reply = await receive(ws)
        assert (reply["id"], reply["error"]["code"]) == (1, 2)


async def test_raw_stream_path_subscribes_at_connect(
    sim: SimHandle, session: aiohttp.ClientSession
) -> None:
    async with session.ws_connect(sim.ws_url + "/ethusdt@kline_1m") as ws:
        event = await receive(ws)
        assert (event["e"], event["s"], event["k"]["i"]) == ("kline", "ETHUSDT", "1m")


async def test_combined_stream_wraps_events_with_the_stream_name(
    sim: SimHandle, session: aiohttp.ClientSession
) -> None:
    url = sim.rest_url.replace("http", "ws") + "/stream?streams=btcusdt@trade/ethusdt@depth5"
    async with session.ws_connect(url) as ws:
        names = set()
        while names != {"btcusdt@trade", "ethusdt@depth5"}:
            message = await receive(ws)
            names.add(message["stream"])
            if message["stream"] == "ethusdt@depth5":
                assert len(message["data"]["bids"]) == 5


async def test_ws_api_user_stream_delivers_list_status_for_an_oco(
    sim: SimHandle, session: aiohttp.ClientSession, client: SpecClient
) -> None:
    async with session.ws_connect(sim.ws_api_url) as ws:
        params = ws_signed(sim)
        await ws.send_json(
            {"id": "s1", "method": "userDataStream.subscribe.signature", "params": params}
        )
        reply = await receive(ws)
        assert (reply["status"], reply["result"]) == (200, {"subscriptionId": 0})
        await client.call(
            "POST",
            "/api/v3/orderList/oco",
            {
                "symbol": "BTCUSDT",
                "side": "SELL",
                "quantity": "0.01",
                "aboveType": "LIMIT_MAKER",
                "abovePrice": "70000",
                "belowType": "STOP_LOSS",
                "belowStopPrice": "60000",
            },
            signed=True,
        )
        status = await receive_until(ws, lambda m: m["event"]["e"] == "listStatus")
        assert status["subscriptionId"] == 0
        assert (status["event"]["l"], status["event"]["L"]) == ("EXEC_STARTED", "EXECUTING")
        assert len(status["event"]["O"]) == 2


async def test_ws_api_rejects_a_bad_signature(
    sim: SimHandle, session: aiohttp.ClientSession
) -> None:
    async with session.ws_connect(sim.ws_api_url) as ws:
        params = {**ws_signed(sim), "signature": "00" * 32}
        await ws.send_json(
            {"id": 1, "method": "userDataStream.subscribe.signature", "params": params}
        )
        reply = await receive(ws)
        assert (reply["status"], reply["error"]["code"]) == (400, -1022)


async def test_ws_api_session_logon_then_subscribe(
    sim: SimHandle, session: aiohttp.ClientSession
) -> None:
    async with session.ws_connect(sim.ws_api_url) as ws:
        await ws.send_json({"id": 1, "method": "userDataStream.subscribe"})
        refused = await receive(ws)
        await ws.send_json({"id": 2, "method": "session.logon", "params": ws_signed(sim)})
        logged_on = await receive(ws)
        await ws.send_json({"id": 3, "method": "userDataStream.subscribe"})
        subscribed = await receive(ws)
    assert refused["status"] == 401
    assert logged_on["result"]["apiKey"] == sim.api_key
    assert subscribed["result"] == {"subscriptionId": 0}


async def test_listen_key_stream_delivers_execution_reports(
    sim: SimHandle, session: aiohttp.ClientSession, client: SpecClient
) -> None:
    key = (await client.call("POST", "/api/v3/userDataStream")).body["listenKey"]
    async with session.ws_connect(f"{sim.ws_url}/{key}") as ws:
        await client.call(
            "POST",
            "/api/v3/order",
            {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.001"},
            signed=True,
        )
        reports = [await receive(ws) for _ in range(3)]
    assert [(r["e"], r.get("x")) for r in reports] == [
        ("executionReport", "NEW"),
        ("executionReport", "TRADE"),
        ("outboundAccountPosition", None),
    ]
    assert reports[1]["X"] == "FILLED"
    assert reports[1]["N"] == "BTC"


async def test_closing_a_listen_key_closes_its_stream(
    sim: SimHandle, session: aiohttp.ClientSession, client: SpecClient
) -> None:
    key = (await client.call("POST", "/api/v3/userDataStream")).body["listenKey"]
    async with session.ws_connect(f"{sim.ws_url}/{key}") as ws:
        await client.call("DELETE", "/api/v3/userDataStream", {"listenKey": key})
        msg = await ws.receive(timeout=5)
    assert msg.type == aiohttp.WSMsgType.CLOSE


async def test_server_answers_pings(sim: SimHandle, session: aiohttp.ClientSession) -> None:
    async with session.ws_connect(sim.ws_url, autoping=False) as ws:
        await ws.ping(b"hi")
        msg = await ws.receive(timeout=5)
    assert (msg.type, msg.data) == (aiohttp.WSMsgType.PONG, b"hi")
