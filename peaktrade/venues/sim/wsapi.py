"""The WebSocket API (``/ws-api/v3``), for the user data stream the way ccxt.pro subscribes.

ccxt's binance class no longer uses listenKeys for spot: it sends
``userDataStream.subscribe.signature`` here and reads events wrapped as
``{"subscriptionId": n, "event": {...}}`` on the same socket.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import msgspec
from aiohttp import web

from peaktrade.venues.sim.auth import verify_ws_signed
from peaktrade.venues.sim.connections import Connection
from peaktrade.venues.sim.errors import BinanceError
from peaktrade.venues.sim.settings import SimSettings
from peaktrade.venues.sim.streams import StreamHub
from peaktrade.venues.sim.weights import RateLimiter

_WEIGHTS = {"userDataStream.subscribe.signature": 2, "userDataStream.subscribe": 2}


def _unauthorized() -> BinanceError:
    return BinanceError(-1002, "You are not authorized to execute this request.", 401)


def _unsupported() -> BinanceError:
    return BinanceError(-1020, "This operation is not supported.")


def ws_api(
    hub: StreamHub, settings: SimSettings, now_ms: Callable[[], int], limiter: RateLimiter
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handler(request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=False, compress=False)
        await ws.prepare(request)
        c = Connection(ws, request.transport, combined=False)
        ip = request.remote or "?"
        connected = now_ms()
        session: dict[str, int] = {}
        subscriptions = iter(range(1 << 31))

        def dispatch(method: object, params: dict[str, object]) -> object:
            now = now_ms()
            if method == "ping":
                return {}
            if method == "time":
                return {"serverTime": now}
            if method == "session.logon":
                verify_ws_signed(params, settings.api_key, settings.api_secret, now)
                session["since"] = now
                return {
                    "apiKey": settings.api_key,
                    "authorizedSince": now,
                    "connectedSince": connected,
                    "returnRateLimits": True,
                    "serverTime": now,
                    "userDataStream": c.subscription_id is not None,
                }
            if method == "session.logout":
                session.clear()
                return {}
            if method == "userDataStream.subscribe.signature":
                verify_ws_signed(params, settings.api_key, settings.api_secret, now)
            elif method == "userDataStream.subscribe":
                if "since" not in session:
                    raise _unauthorized()
            elif method == "userDataStream.unsubscribe":
                c.subscription_id = None
                return {}
            else:
                raise _unsupported()
            c.subscription_id = next(subscriptions)
            return {"subscriptionId": c.subscription_id}

        async def on_text(text: str) -> None:
            try:
                msg = msgspec.json.decode(text, type=dict[str, object])
            except msgspec.DecodeError:
                error = {"code": -1100, "msg": "Illegal characters found in a parameter."}
                c.push_json({"id": None, "status": 400, "error": error})
                return
            ident, method, raw = msg.get("id"), msg.get("method"), msg.get("params") or {}
            params = raw if isinstance(raw, dict) else {}
            verdict = limiter.admit(ip, _WEIGHTS.get(str(method), 1))
            limits = [
                {
                    "rateLimitType": "REQUEST_WEIGHT",
                    "interval": "MINUTE",
                    "intervalNum": 1,
                    "limit": limiter.limit,
                    "count": verdict.used,
                }
            ]
            try:
                if verdict.error is not None:
                    raise verdict.error
                result = dispatch(method, params)
            except BinanceError as error:
                reply = {"id": ident, "status": error.status, "error": error.body()}
                c.push_json({**reply, "rateLimits": limits})
                return
            c.push_json({"id": ident, "status": 200, "result": result, "rateLimits": limits})

        hub.connections.add(c)
        try:
            await c.serve(on_text)
        finally:
            hub.connections.discard(c)
        return ws

    return handler
