"""The sink protocol and the one error type a sink raises."""

from __future__ import annotations

from typing import Protocol

from peaktrade.alerts.event import AlertEvent
from peaktrade.redaction import redact_text


class SinkError(Exception):
    """A failed send. ``code`` is stable (``http.429``, ``smtp.auth``...); the text is redacted.

    ``retry_after_s`` carries a server's Retry-After; ``retryable`` is false when trying again
    cannot help (a 404 webhook, a rejected payload).
    """

    def __init__(
        self, code: str, message: str, *, retryable: bool = True, retry_after_s: float | None = None
    ) -> None:
        self.code = code
        self.message = redact_text(message)[:300]
        self.retryable = retryable
        self.retry_after_s = retry_after_s
        super().__init__(f"{code}: {self.message}")


class AlertSink(Protocol):
    """Sends one alert somewhere. Raises SinkError (or times out); never retries by itself."""

    name: str

    async def send(self, event: AlertEvent) -> None: ...

    async def aclose(self) -> None: ...


def describe_exception(exc: BaseException) -> SinkError:
    """Any unexpected exception as a SinkError whose text cannot carry a URL or token."""
    if isinstance(exc, SinkError):
        return exc
    if isinstance(exc, TimeoutError):
        return SinkError("sink.timeout", "no answer within the sink's timeout")
    if isinstance(exc, OSError) and exc.strerror:
        return SinkError("sink.os_error", f"{type(exc).__name__}: {exc.strerror}")
    return SinkError("sink.error", type(exc).__name__)
