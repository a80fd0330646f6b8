"""Sinks that never leave the host: the structured log and plain stderr lines."""

from __future__ import annotations

import sys
from typing import TextIO

from peaktrade.alerts.config import AlertLevel
from peaktrade.alerts.event import AlertEvent
from peaktrade.alerts.render import headline
from peaktrade.log import get_logger

log = get_logger("peaktrade.alerts.sink")


class LogSink:
    """One structured line per alert, at the alert's level."""

    name = "log"

    async def send(self, event: AlertEvent) -> None:
        fields = {
            "alert_id": event.id,
            "code": event.code,
            "alert_level": event.level.value,
            "title": event.title,
            "detail": event.message,
            "source": event.source,
            "resolved": event.resolved,
            "runbook": event.runbook,
            "context": event.context,
        }
        if event.level is AlertLevel.CRITICAL and not event.resolved:
            log.critical("alert", **fields)
        elif event.level is AlertLevel.WARNING and not event.resolved:
            log.warning("alert", **fields)
        else:
            log.info("alert", **fields)

    async def aclose(self) -> None:
        return None


class StderrSink:
    """One plain line per alert, for a terminal or a supervisor that captures stderr."""

    name = "stderr"

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream

    async def send(self, event: AlertEvent) -> None:
        out = self._stream if self._stream is not None else sys.stderr
        out.write(
            f"ALERT {headline(event)} {event.code} {event.mode}@{event.network}: "
            f"{event.message} ({event.runbook})\n"
        )
        out.flush()

    async def aclose(self) -> None:
        return None
