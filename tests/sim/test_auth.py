"""Signed requests are checked as Binance checks them: key, HMAC-SHA256, timestamp window."""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import urlencode

import aiohttp
import pytest

from peaktrade.venues.sim import SimHandle
from tests.sim.spec_client import SpecClient


def signature(sim: SimHandle, payload: str) -> str:
    return hmac.new(sim.api_secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


async def test_signature_covers_query_string_then_body(sim: SimHandle) -> None:
    query = urlencode({"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET"})
    body = urlencode({"quantity": "0.001", "timestamp": int(time.time() * 1000)})
    body += "&signature=" + signature(sim, query + body)
    async with aiohttp.ClientSession() as session:
        response = await session.post(
            f"{sim.rest_url}/api/v3/order?{query}",
            data=body,
            headers={
                "X-MBX-APIKEY": sim.api_key,
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        assert response.status == 200, await response.text()


async def test_a_tampered_parameter_fails_the_signature(client: SpecClient) -> None:
    params = client.sign({"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "1"})
    params["quantity"] = "2"
    reply = await client.call("POST", "/api/v3/order", params, key=client.key)
    assert reply.body == {"code": -1022, "msg": "Signature for this request is not valid."}


async def test_missing_api_key_is_2014(client: SpecClient) -> None:
    reply = await client.call("GET", "/api/v3/account", client.sign({}))
    assert (reply.status, reply.body["code"]) == (401, -2014)


async def test_wrong_api_key_is_2015(client: SpecClient) -> None:
    reply = await client.call("GET", "/api/v3/account", signed=True, key="someone-else")
    assert (reply.status, reply.body["code"]) == (401, -2015)


async def test_timestamp_older_than_recv_window_is_1021(client: SpecClient) -> None:
    client.timestamp_offset_ms = -6_000
    reply = await client.call("GET", "/api/v3/account", signed=True)
    assert reply.body == {
        "code": -1021,
        "msg": "Timestamp for this request is outside of the recvWindow.",
    }


async def test_a_longer_recv_window_admits_an_older_timestamp(client: SpecClient) -> None:
    client.timestamp_offset_ms = -6_000
    reply = await client.call("GET", "/api/v3/account", {"recvWindow": 10_000}, signed=True)
    assert reply.status == 200


async def test_timestamp_over_a_second_ahead_is_1021(client: SpecClient) -> None:
    client.timestamp_offset_ms = 2_000
    reply = await client.call("GET", "/api/v3/account", signed=True)
    assert reply.body["code"] == -1021
    assert "ahead of the server's time" in reply.body["msg"]


async def test_recv_window_over_60000_is_1131(client: SpecClient) -> None:
    reply = await client.call("GET", "/api/v3/account", {"recvWindow": 60_001}, signed=True)
    assert reply.body["code"] == -1131


@pytest.mark.parametrize("missing", ["timestamp", "signature"])
async def test_missing_timestamp_or_signature_is_1102(client: SpecClient, missing: str) -> None:
    params = client.sign({})
    del params[missing]
    reply = await client.call("GET", "/api/v3/account", params, key=client.key)
    assert reply.body["code"] == -1102
    assert f"'{missing}'" in reply.body["msg"]


async def test_user_stream_endpoints_need_the_api_key_only(client: SpecClient) -> None:
    refused = await client.call("POST", "/api/v3/userDataStream", key="")
    accepted = await client.call("POST", "/api/v3/userDataStream")
    assert refused.body["code"] == -2014
    assert len(accepted.body["listenKey"]) == 64
