"""JSON over HTTP for every webhook-style sink: one aiohttp session, errors without URLs.

aiohttp exception texts include the request URL, and a webhook URL or bot token in a URL is
the secret itself: no aiohttp text ever leaves this module, only our own wording.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp

from peaktrade.alerts.sinks.base import SinkError
from peaktrade.credentials import Secret
from peaktrade.redaction import register_secret

_MAX_RETRY_AFTER_S = 3600.0
_BODY_SNIPPET = 200


class HttpPoster:
    """Shared by the HTTP sinks; the session is created on first use, inside the event loop."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                headers={"User-Agent": "peaktrade-alerts"},
                timeout=aiohttp.ClientTimeout(total=None),  # each sink call has its own
            )
        return self._session

    async def post_json(
        self, url: Secret | str, payload: Mapping[str, Any], *, timeout_s: float
    ) -> Any:
        """POST ``payload``; returns the JSON answer if there is one. Raises SinkError.

        A ``Secret`` URL (a webhook, a URL holding a token) is registered for masking.
        """
        if isinstance(url, Secret):
            target = url.reveal()
            register_secret(target)
        else:
            target = url
        try:
            async with self._client().post(
                target,
                data=json.dumps(payload, separators=(",", ":")),
                headers={"Content-Type": "application/json"},
                timeout=aiohttp.ClientTimeout(total=timeout_s),
                allow_redirects=False,
            ) as response:
                body = await response.text(errors="replace")
                return _classify(response.status, response.headers, body)
        except SinkError:
            raise
        except TimeoutError:
            raise SinkError("sink.timeout", f"no answer within {timeout_s:g} s") from None
        except aiohttp.InvalidURL:
            raise SinkError(
                "http.invalid_url", "the configured URL is invalid", retryable=False
            ) from None
        except aiohttp.ClientConnectorError as exc:
            reason = exc.os_error.strerror or type(exc.os_error).__name__
            raise SinkError("http.connect", f"cannot connect: {reason}") from None
        except aiohttp.ClientError as exc:
            raise SinkError("http.client_error", type(exc).__name__) from None

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _classify(status: int, headers: Mapping[str, str], body: str) -> Any:
    answer = _json_or_none(body)
    if 200 <= status < 300:
        return answer
    snippet = " ".join(body[:_BODY_SNIPPET].split())
    if status == 429:
        delay = retry_after_s(headers.get("Retry-After"), answer, time.time())
        shown = f"{delay:g} s" if delay is not None else "unspecified"
        raise SinkError("http.429", f"rate limited, retry after {shown}", retry_after_s=delay)
    if status >= 500 or status == 408:
        raise SinkError(f"http.{status}", f"server error: {snippet}")
    raise SinkError(f"http.{status}", f"refused: {snippet}", retryable=False)


def retry_after_s(header: str | None, answer: Any, now_s: float) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or HTTP date) or a JSON body field.

    Discord puts ``retry_after`` in the body, Telegram ``parameters.retry_after``.
    """
    value: float | None = None
    if header:
        try:
            value = float(header)
        except ValueError:
            try:
                value = parsedate_to_datetime(header).timestamp() - now_s
            except (TypeError, ValueError):
                value = None
    if value is None and isinstance(answer, dict):
        raw = answer.get("retry_after")
        params = answer.get("parameters")
        if raw is None and isinstance(params, dict):
            raw = params.get("retry_after")
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            value = float(raw)
    if value is None:
        return None
    return min(max(value, 0.0), _MAX_RETRY_AFTER_S)


def _json_or_none(body: str) -> Any:
    try:
        return json.loads(body) if body else None
    except ValueError:
        return None
