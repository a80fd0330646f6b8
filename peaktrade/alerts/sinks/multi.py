"""Fan one alert out to several sinks at once; each has its own timeout and its own result."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

import anyio

from peaktrade.alerts.event import AlertEvent, DeliveryResult, DeliveryStatus
from peaktrade.alerts.sinks.base import AlertSink, SinkError, describe_exception


async def attempt(
    sink: AlertSink,
    event: AlertEvent,
    *,
    timeout_s: float,
    attempt_no: int,
    wall_ms: Callable[[], int],
) -> tuple[DeliveryResult, SinkError | None]:
    """One call of one sink under its timeout; never raises (cancellation aside)."""
    at = wall_ms()
    start = time.monotonic()
    error: SinkError | None = None
    try:
        with anyio.fail_after(timeout_s):
            await sink.send(event)
    except Exception as exc:  # a sink bug must not escape into the dispatcher
        error = describe_exception(exc)
    duration = int((time.monotonic() - start) * 1000)
    status = DeliveryStatus.DELIVERED if error is None else DeliveryStatus.GAVE_UP
    result = DeliveryResult(
        alert_id=event.id,
        sink=sink.name,
        attempt=attempt_no,
        at_ms=at,
        status=status,
        error=str(error) if error else "",
        duration_ms=duration,
    )
    return result, error


class MultiAlertSink:
    """Sends to every child concurrently: a slow or failing child never delays the others."""

    name = "multi"

    def __init__(
        self,
        sinks: Mapping[str, AlertSink],
        timeouts_s: Mapping[str, float],
        wall_ms: Callable[[], int],
    ) -> None:
        self._sinks = dict(sinks)
        self._timeouts_s = dict(timeouts_s)
        self._wall_ms = wall_ms

    async def deliver(self, event: AlertEvent) -> list[DeliveryResult]:
        """One attempt per child; results in the children's order."""
        results: dict[str, DeliveryResult] = {}

        async def one(name: str, sink: AlertSink) -> None:
            timeout = self._timeouts_s.get(name, 10.0)
            results[name], _ = await attempt(
                sink, event, timeout_s=timeout, attempt_no=1, wall_ms=self._wall_ms
            )

        async with anyio.create_task_group() as tg:
            for name, sink in self._sinks.items():
                tg.start_soon(one, name, sink)
        return [results[name] for name in self._sinks]

    async def send(self, event: AlertEvent) -> None:
        failed = [r for r in await self.deliver(event) if r.status is not DeliveryStatus.DELIVERED]
        if failed:
            names = ", ".join(f"{r.sink} ({r.error})" for r in failed)
            raise SinkError("multi.partial", f"failed: {names}")

    async def aclose(self) -> None:
        for sink in self._sinks.values():
            await sink.aclose()
