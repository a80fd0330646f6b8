"""PagerDuty Events API v2: trigger on an alert, resolve when its condition recovers.

The dedup key is the alert's dedupe key scoped to the network, so a repeat or an escalation
updates the open incident and a recovery closes exactly that one.
"""

from __future__ import annotations

from typing import Any

from peaktrade.alerts.config import AlertLevel
from peaktrade.alerts.event import AlertEvent
from peaktrade.alerts.render import headline, is_url, iso_time
from peaktrade.alerts.sinks.http import HttpPoster
from peaktrade.credentials import Secret

SEVERITY = {AlertLevel.INFO: "info", AlertLevel.WARNING: "warning", AlertLevel.CRITICAL: "critical"}


def dedup_key(event: AlertEvent) -> str:
    return f"peaktrade/{event.network}/{event.dedupe_key}"[:255]


def pagerduty_payload(event: AlertEvent, routing_key: str) -> dict[str, Any]:
    if event.resolved:
        return {
            "routing_key": routing_key,
            "event_action": "resolve",
            "dedup_key": dedup_key(event),
        }
    body: dict[str, Any] = {
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": dedup_key(event),
        "client": "peaktrade",
        "payload": {
            "summary": f"{headline(event)}: {event.message}"[:1024],
            "source": f"peaktrade {event.mode}@{event.network}",
            "severity": SEVERITY[event.level],
            "timestamp": iso_time(event.at_ms),
            "component": event.source,
            "group": event.network,
            "class": event.code,
            "custom_details": {
                "message": event.message,
                "alert_id": event.id,
                "run_id": event.run_id,
                "runbook": event.runbook,
                **event.context,
            },
        },
    }
    if is_url(event.runbook):
        body["links"] = [{"href": event.runbook, "text": f"Runbook: {event.code}"}]
    return body


class PagerDutySink:
    name = "pagerduty"

    def __init__(
        self, http: HttpPoster, routing_key: Secret, events_url: str, timeout_s: float
    ) -> None:
        self._http, self._key, self._timeout_s = http, routing_key, timeout_s
        self._url = events_url

    async def send(self, event: AlertEvent) -> None:
        payload = pagerduty_payload(event, self._key.reveal())
        await self._http.post_json(self._url, payload, timeout_s=self._timeout_s)

    async def aclose(self) -> None:
        await self._http.aclose()
