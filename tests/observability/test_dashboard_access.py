"""The HTTP listener: read-only, loopback by Host, a token beyond loopback, a live stream."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from peaktrade.control.protocol import Health
from peaktrade.credentials import Secret
from peaktrade.dashboard.access import SECURITY_HEADERS, loopback_hosts
from peaktrade.dashboard.feed import ViewFeed
from peaktrade.dashboard.server import build_app
from tests.observability.support import observed_config, running
from tests.support import free_port, wait_for

TOKEN = "dashboard-token-for-tests-0123"


def app_for(
    feed: ViewFeed, *, token: Secret | None, port: Callable[[], int]
) -> aiohttp.web.Application:
    views = iter(range(1_000_000))
    return build_app(
        feed=feed,
        view_json=lambda: json.dumps({"view": next(views)}).encode(),
        metrics=lambda: (b"peaktrade_up 1\n", "text/plain; version=0.0.4; charset=utf-8"),
        page=True,
        token=token,
        hosts=(lambda: loopback_hosts("127.0.0.1", port())) if token is None else None,
        max_clients=2,
    )


@pytest.fixture
async def loopback() -> AsyncIterator[tuple[TestClient, ViewFeed]]:
    feed = ViewFeed()
    holder: dict[str, int] = {}
    server = TestServer(app_for(feed, token=None, port=lambda: holder["port"]), host="127.0.0.1")
    async with TestClient(server) as client:
        holder["port"] = server.port or 0
        yield client, feed


@pytest.fixture
async def tokened() -> AsyncIterator[TestClient]:
    server = TestServer(app_for(ViewFeed(), token=Secret(TOKEN), port=lambda: 0), host="127.0.0.1")
    async with TestClient(server) as client:
        yield client


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("path", ["/", "/api/view", "/api/stream", "/metrics", "/nowhere"])
async def test_nothing_but_get_is_answered(
    loopback: tuple[TestClient, ViewFeed], method: str, path: str
) -> None:
    client, _ = loopback
    response = await client.request(method, path)
    assert response.status == 405
    assert (await response.json())["code"] == "dashboard.read_only"


async def test_loopback_needs_no_token_and_sends_the_page_with_its_security_headers(
    loopback: tuple[TestClient, ViewFeed],
) -> None:
    client, _ = loopback
    response = await client.get("/")
    assert response.status == 200
    assert "<title>peaktrade</title>" in await response.text()
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value


async def test_a_foreign_host_header_is_refused_on_loopback(
    loopback: tuple[TestClient, ViewFeed],
) -> None:
    client, _ = loopback
    response = await client.get("/api/view", headers={"Host": "attacker.example"})
    assert response.status == 403
    assert (await response.json())["code"] == "dashboard.bad_host"


@pytest.mark.parametrize(
    "headers, query",
    [({}, ""), ({"Authorization": "Bearer wrong"}, ""), ({}, "?token=wrong")],
)
async def test_beyond_loopback_every_data_path_needs_the_token(
    tokened: TestClient, headers: dict[str, str], query: str
) -> None:
    for path in ("/", "/api/view", "/api/stream", "/metrics"):
        response = await tokened.get(path + query, headers=headers)
        assert response.status == 401, path
        assert (await response.json())["code"] == "dashboard.unauthorized"


async def test_the_token_is_accepted_as_bearer_header_or_query(tokened: TestClient) -> None:
    by_header = await tokened.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    by_query = await tokened.get(f"/api/view?token={TOKEN}")
    assert (by_header.status, by_query.status) == (200, 200)


async def test_the_stream_sends_a_view_on_connect_and_each_published_one(
    loopback: tuple[TestClient, ViewFeed],
) -> None:
    client, feed = loopback
    response = await client.get("/api/stream")
    assert response.headers["Content-Type"].startswith("text/event-stream")
    first = await _next_event(response)
    feed.publish(b'{"view": "published"}')
    second = await _next_event(response)
    assert (first, second) == ({"view": 0}, {"view": "published"})
    assert feed.clients == 1
    response.close()


async def test_streams_beyond_the_limit_are_refused_busy(
    loopback: tuple[TestClient, ViewFeed],
) -> None:
    client, _ = loopback
    open_streams = [await client.get("/api/stream") for _ in range(2)]
    refused = await client.get("/api/stream")
    assert refused.status == 503
    for stream in open_streams:
        stream.close()


def test_a_daemon_bound_beyond_loopback_without_a_token_does_not_listen(tmp_path: Path) -> None:
    port = free_port()
    with running(tmp_path / "d", observed_config(port, host="0.0.0.0")) as daemon:
        wait_for(lambda: "dashboard.token_missing" in daemon.log())
        assert daemon.ask(Health()).ok
        with pytest.raises(OSError):
            _get(port, "/api/view")


def test_a_daemon_bound_beyond_loopback_answers_only_with_its_token(tmp_path: Path) -> None:
    port = free_port()
    env = {"PEAKTRADE_DASHBOARD_TOKEN": TOKEN}
    with running(
        tmp_path / "d", observed_config(port, host="0.0.0.0"), env=env, port=port
    ) as daemon:
        assert _get(port, "/api/view") == 401
        assert _get(port, "/api/view", token=TOKEN) == 200
        assert TOKEN not in daemon.log()


def _get(port: int, path: str, token: str | None = None) -> int:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


async def _next_event(response: aiohttp.ClientResponse) -> object:
    data = b""
    async for line in response.content:
        if line.startswith(b"data: "):
            data = line.removeprefix(b"data: ").strip()
        elif line == b"\n" and data:
            return json.loads(data)
    raise AssertionError("stream ended")
