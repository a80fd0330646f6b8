"""Discord webhook: one embed per alert, colour by level, no mentions ever parsed."""

from __future__ import annotations

from typing import Any

from peaktrade.alerts.config import AlertLevel
from peaktrade.alerts.event import AlertEvent
from peaktrade.alerts.render import facts, headline, is_url, iso_time
from peaktrade.alerts.sinks.http import HttpPoster
from peaktrade.credentials import Secret

COLOURS = {AlertLevel.INFO: 0x439FE0, AlertLevel.WARNING: 0xDAA038, AlertLevel.CRITICAL: 0xD40E0D}
RESOLVED_COLOUR = 0x2EB886


def discord_payload(event: AlertEvent) -> dict[str, Any]:
    fields = [{"name": name, "value": value[:1024], "inline": True} for name, value in facts(event)]
    fields += [
        {"name": str(k)[:256], "value": str(v)[:1024] or "-", "inline": True}
        for k, v in event.context.items()
    ]
    embed: dict[str, Any] = {
        "title": headline(event)[:256],
        "description": event.message[:4096],
        "color": RESOLVED_COLOUR if event.resolved else COLOURS[event.level],
        "fields": fields[:25],  # Discord's limit per embed
        "timestamp": iso_time(event.at_ms),
        "footer": {"text": f"Runbook: {event.runbook}"[:2048]},
    }
    if is_url(event.runbook):
        embed["url"] = event.runbook
    return {"username": "peaktrade", "embeds": [embed], "allowed_mentions": {"parse": []}}


class DiscordSink:
    name = "discord"

    def __init__(self, http: HttpPoster, url: Secret, timeout_s: float) -> None:
        self._http, self._url, self._timeout_s = http, url, timeout_s

    async def send(self, event: AlertEvent) -> None:
        await self._http.post_json(self._url, discord_payload(event), timeout_s=self._timeout_s)

    async def aclose(self) -> None:
        await self._http.aclose()
