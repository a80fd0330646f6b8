"""Who may read the listener, and what every answer carries.

Read-only by construction: only GET and HEAD exist. On loopback no token is needed, but the
Host header must name loopback (a web page elsewhere cannot reach us through DNS rebinding).
Bound anywhere else, every request needs the token, compared in constant time. The token is
a registered secret, so it is masked in any log line; the access log is off anyway.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Callable

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from peaktrade.credentials import Secret

PUBLIC_PREFIX = "/static/"  # the page's script and style: code, no data
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self';"
        " img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name other than localhost may resolve anywhere


def loopback_hosts(host: str, port: int) -> frozenset[str]:
    """Host header values a client on this machine sends for a listener on ``host``."""
    bound = f"[{host}]" if ":" in host else host
    names = {"127.0.0.1", "localhost", "[::1]", bound}
    return frozenset({*names, *(f"{n}:{port}" for n in names)})


def refusal(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"code": code, "message": message}, status=status)


def presented_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header.removeprefix("Bearer ").strip()
    return request.query.get("token")


def access_middleware(
    *, token: Secret | None, hosts: Callable[[], frozenset[str]] | None
) -> Middleware:
    """``token`` None: loopback mode, checked by Host (``hosts`` gives the allowed values)."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method not in ("GET", "HEAD"):
            response: web.StreamResponse = refusal(
                405, "dashboard.read_only", "the dashboard is read-only"
            )
            response.headers["Allow"] = "GET, HEAD"
        elif hosts is not None and request.host not in hosts():
            response = refusal(403, "dashboard.bad_host", "Host must name the loopback address")
        elif (
            token is not None
            and not request.path.startswith(PUBLIC_PREFIX)
            and not _valid(presented_token(request), token)
        ):
            response = refusal(401, "dashboard.unauthorized", "a valid token is required")
            response.headers["WWW-Authenticate"] = 'Bearer realm="peaktrade"'
        else:
            try:
                response = await handler(request)
            except web.HTTPException as exc:
                code = "not_found" if exc.status == 404 else f"http_{exc.status}"
                response = refusal(exc.status, f"dashboard.{code}", exc.reason)
        if not response.prepared:  # a live stream has sent its headers already
            response.headers.update(SECURITY_HEADERS)
        return response

    return middleware


def _valid(presented: str | None, token: Secret) -> bool:
    if not presented:
        return False
    return hmac.compare_digest(presented.encode(), token.reveal().encode())
