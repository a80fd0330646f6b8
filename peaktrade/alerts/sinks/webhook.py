"""A generic webhook: the alert as one JSON object, stable keys for any receiver."""

from __future__ import annotations

from typing import Any

from peaktrade.alerts.event import AlertEvent
from peaktrade.alerts.render import headline, iso_time
from peaktrade.alerts.sinks.http import HttpPoster
from peaktrade.credentials import Secret

PAYLOAD_VERSION = 1


def webhook_payload(event: AlertEvent) -> dict[str, Any]:
    return {
        "version": PAYLOAD_VERSION,
        "id": event.id,
        "time": iso_time(event.at_ms),
        "at_ms": event.at_ms,
        "level": event.level.value,
        "status": "resolved" if event.resolved else "firing",
        "code": event.code,
        "source": event.source,
        "title": event.title,
        "headline": headline(event),
        "message": event.message,
        "context": event.context,
        "dedupe_key": event.dedupe_key,
        "mode": event.mode,
        "network": event.network,
        "run_id": event.run_id,
        "runbook": event.runbook,
    }


class WebhookSink:
    name = "webhook"

    def __init__(self, http: HttpPoster, url: Secret, timeout_s: float) -> None:
        self._http, self._url, self._timeout_s = http, url, timeout_s

    async def send(self, event: AlertEvent) -> None:
        await self._http.post_json(self._url, webhook_payload(event), timeout_s=self._timeout_s)

    async def aclose(self) -> None:
        await self._http.aclose()
