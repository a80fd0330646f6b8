"""The front door of every Binance REST request: weight limits, faults, error bodies, headers.

Order per request: IP ban / weight limit -> latency -> a failure fault (before or after the
handler commits) -> the handler -> ``X-MBX-USED-WEIGHT`` headers. ``on_commit`` runs right
after a handler, so user-stream events leave even when the client hears a fault instead.
"""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import Awaitable, Callable

import anyio
import msgspec
from aiohttp import web
from aiohttp.typedefs import Middleware

from peaktrade.venues.sim.auth import check_api_key, verify_signed
from peaktrade.venues.sim.errors import UNKNOWN_503, BinanceError, timeout_1007
from peaktrade.venues.sim.faults import COMMITTED, Fault, FaultController
from peaktrade.venues.sim.params import PARAMS, read_params
from peaktrade.venues.sim.weights import ENDPOINTS, Endpoint, RateLimiter, Verdict

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def json_response(body: object, status: int = 200) -> web.Response:
    return web.Response(
        body=msgspec.json.encode(body), status=status, content_type="application/json"
    )


def error_response(error: BinanceError) -> web.Response:
    return json_response(error.body(), error.status)


def reset_transport(transport: asyncio.Transport | None) -> None:
    """Close a TCP connection with a RST and no response, like a proxy dying mid-request."""
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


def _reset(request: web.Request) -> web.Response:
    reset_transport(request.transport)
    return web.Response(status=500)  # never delivered: the connection is gone


def _failure(fault: Fault) -> web.Response:
    if fault.name.startswith("timeout_1007"):
        return error_response(timeout_1007())
    # Binance's 503 carries no code, only the message: clients map it by HTTP status.
    return json_response({"msg": UNKNOWN_503}, 503)


def _weighted(response: web.StreamResponse, verdict: Verdict) -> web.StreamResponse:
    response.headers["X-MBX-USED-WEIGHT"] = str(verdict.used)
    response.headers["X-MBX-USED-WEIGHT-1M"] = str(verdict.used)
    if verdict.retry_after_s is not None:
        response.headers["Retry-After"] = str(verdict.retry_after_s)
    return response


def gateway(
    *,
    api_key: str,
    api_secret: str,
    now_ms: Callable[[], int],
    limiter: RateLimiter,
    faults: FaultController,
    crashed: Callable[[], bool],
    on_commit: Callable[[], None],
) -> Middleware:
    async def run(request: web.Request, handler: Handler, endpoint: Endpoint) -> web.StreamResponse:
        """Authenticate and handle; whatever happened, the user stream hears of it."""
        try:
            header = request.headers.get("X-MBX-APIKEY")
            if endpoint.security == "signed":
                verify_signed(request[PARAMS], header, api_key, api_secret, now_ms())
            elif endpoint.security == "user_stream":
                check_api_key(header, api_key)
            return await handler(request)
        except BinanceError as error:
            return error_response(error)
        finally:
            on_commit()

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        endpoint = ENDPOINTS.get((request.method, request.path))
        if endpoint is None:
            return await handler(request)
        if crashed():
            return _reset(request)
        request[PARAMS] = params = await read_params(request)
        ip = request.remote or "?"
        scopes = frozenset(
            {"any", "public" if endpoint.security == "public" else "signed"}
            | ({"order"} if endpoint.trades else set())
        )
        verdict = limiter.admit(ip, endpoint.weight(params))
        failure = None
        if verdict.error is None:
            latency = faults.fire("latency", scopes)
            if latency is not None:
                await anyio.sleep(faults.jitter(latency))
            failure = faults.rest_failure(scopes)
            if failure is not None and failure.name == "http_429":
                verdict = limiter.force_backoff(ip, failure.seconds)
            elif failure is not None and failure.name == "http_418":
                verdict = limiter.ban(ip, failure.seconds)
        if verdict.error is not None:
            return _weighted(error_response(verdict.error), verdict)
        if failure is None or failure.name in COMMITTED:
            response = await run(request, handler, endpoint)
            if failure is None:
                return _weighted(response, verdict._replace(used=limiter.used(ip)))
        if failure.name.startswith("reset"):
            return _reset(request)
        return _weighted(_failure(failure), verdict)

    return middleware
