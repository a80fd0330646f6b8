"""The daemon's read-only HTTP listener: the dashboard page, its live stream and ``/metrics``.

``GET /`` the page (static/, no network assets), ``GET /api/view`` the current view as JSON,
``GET /api/stream`` the same as server-sent events (a fresh view on connect, then each new
version, a comment line as heartbeat), ``GET /metrics`` the Prometheus text format.
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Awaitable, Callable

import anyio
import anyio.abc
from aiohttp import web

from peaktrade.credentials import Secret
from peaktrade.dashboard.access import SECURITY_HEADERS, access_middleware, refusal
from peaktrade.dashboard.feed import ViewFeed

HEARTBEAT_S = 15.0
_STATIC = {
    "index.html": "text/html",
    "dashboard.js": "text/javascript",
    "dashboard.css": "text/css",
}


def _static(name: str) -> bytes:
    return (importlib.resources.files("peaktrade.dashboard") / "static" / name).read_bytes()


def build_app(
    *,
    feed: ViewFeed,
    view_json: Callable[[], bytes],
    metrics: Callable[[], tuple[bytes, str]] | None,
    page: bool,
    token: Secret | None,
    hosts: Callable[[], frozenset[str]] | None,
    max_clients: int,
) -> web.Application:
    """The app; ``page`` False serves ``/metrics`` only, ``metrics`` None leaves it out."""
    app = web.Application(middlewares=[access_middleware(token=token, hosts=hosts)])
    if page:
        files = {name: _static(name) for name in _STATIC}

        def serve_file(name: str) -> Callable[[web.Request], Awaitable[web.Response]]:
            async def handler(_: web.Request) -> web.Response:
                return web.Response(body=files[name], content_type=_STATIC[name], charset="utf-8")

            return handler

        async def view(_: web.Request) -> web.Response:
            return web.Response(body=view_json(), content_type="application/json")

        async def stream(request: web.Request) -> web.StreamResponse:
            if feed.clients >= max_clients:
                return refusal(503, "dashboard.busy", f"at most {max_clients} live streams")
            return await _stream(request, feed, view_json)

        app.router.add_get("/", serve_file("index.html"))
        app.router.add_get("/static/dashboard.js", serve_file("dashboard.js"))
        app.router.add_get("/static/dashboard.css", serve_file("dashboard.css"))
        app.router.add_get("/api/view", view)
        app.router.add_get("/api/stream", stream)
    if metrics is not None:
        render = metrics

        async def scrape(_: web.Request) -> web.Response:
            body, content_type = render()
            return web.Response(body=body, headers={"Content-Type": content_type})

        app.router.add_get("/metrics", scrape)
    return app


async def _stream(
    request: web.Request, feed: ViewFeed, view_json: Callable[[], bytes]
) -> web.StreamResponse:
    response = web.StreamResponse(
        headers={**SECURITY_HEADERS, "Content-Type": "text/event-stream; charset=utf-8"}
    )
    await response.prepare(request)
    feed.clients += 1
    feed.mark_dirty()  # the daemon publishes only while someone watches
    try:
        seen = feed.version
        await response.write(b"retry: 2000\n\nevent: view\ndata: " + view_json() + b"\n\n")
        while not feed.closed:
            update = await feed.next(seen, HEARTBEAT_S)
            if update is None:
                await response.write(b": heartbeat\n\n")
                continue
            seen, body = update
            await response.write(b"event: view\ndata: " + body + b"\n\n")
    except ConnectionError:
        pass  # the page went away
    finally:
        feed.clients -= 1
    return response


async def serve(
    app: web.Application,
    host: str,
    port: int,
    feed: ViewFeed,
    *,
    task_status: anyio.abc.TaskStatus[int] = anyio.TASK_STATUS_IGNORED,
) -> None:
    """Listen until cancelled; ``task_status`` gets the bound port. Raises OSError on bind."""
    runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = {int(a[1]) for a in runner.addresses}
        task_status.started(bound.pop() if bound else port)
        await anyio.sleep_forever()
    finally:
        feed.close()
        with anyio.CancelScope(shield=True), anyio.move_on_after(3.0):
            await runner.cleanup()
