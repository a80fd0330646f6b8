"""API keys, HMAC-SHA256 signatures and the timestamp window, checked as Binance checks them."""

from __future__ import annotations

import hashlib
import hmac

from peaktrade.venues.sim.errors import (
    bad_api_key_format,
    bad_signature,
    mandatory,
    recv_window_too_big,
    rejected_api_key,
    timestamp_ahead,
    timestamp_outside_window,
)
from peaktrade.venues.sim.params import Params

DEFAULT_RECV_WINDOW_MS = 5000
MAX_RECV_WINDOW_MS = 60000
MAX_AHEAD_MS = 1000


def sign(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def check_api_key(header: str | None, api_key: str) -> None:
    if not header:
        raise bad_api_key_format()
    if not hmac.compare_digest(header, api_key):
        raise rejected_api_key()


def _without_signature(raw: str) -> str:
    return "&".join(p for p in raw.split("&") if p and not p.startswith("signature="))


def check_signature(secret: str, payload: str, signature: str) -> None:
    if not hmac.compare_digest(sign(secret, payload), signature.lower()):
        raise bad_signature()


def check_timestamp(timestamp: int, recv_window: int | None, server_ms: int) -> None:
    """Binance: not over 1 s ahead of the server clock, not older than ``recvWindow``."""
    window = DEFAULT_RECV_WINDOW_MS if recv_window is None else recv_window
    if window > MAX_RECV_WINDOW_MS:
        raise recv_window_too_big()
    if timestamp >= server_ms + MAX_AHEAD_MS:
        raise timestamp_ahead()
    if server_ms - timestamp > window:
        raise timestamp_outside_window()


def verify_signed(
    params: Params, header: str | None, key: str, secret: str, server_ms: int
) -> None:
    """A SIGNED (TRADE / USER_DATA) request: key, signature over query + body, then timing."""
    check_api_key(header, key)
    timestamp = params.integer("timestamp", required=True)
    signature = params.required("signature")
    recv_window = params.integer("recvWindow")
    payload = _without_signature(params.raw_query) + _without_signature(params.raw_body)
    check_signature(secret, payload, signature)
    assert timestamp is not None
    check_timestamp(timestamp, recv_window, server_ms)


def ws_payload(params: dict[str, object]) -> str:
    """WebSocket API signature payload: every parameter but ``signature``, sorted by name."""

    def text(value: object) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    return "&".join(f"{k}={text(v)}" for k, v in sorted(params.items()) if k != "signature")


def verify_ws_signed(params: dict[str, object], key: str, secret: str, server_ms: int) -> None:
    api_key = params.get("apiKey")
    check_api_key(api_key if isinstance(api_key, str) else None, key)
    timestamp, signature = params.get("timestamp"), params.get("signature")
    if not isinstance(timestamp, int):
        raise mandatory("timestamp")
    if not isinstance(signature, str):
        raise mandatory("signature")
    recv_window = params.get("recvWindow")
    check_signature(secret, ws_payload(params), signature)
    check_timestamp(timestamp, recv_window if isinstance(recv_window, int) else None, server_ms)
