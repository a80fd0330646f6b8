"""Slack incoming webhook: a Block Kit message inside an attachment that carries the colour."""

from __future__ import annotations

from typing import Any

from peaktrade.alerts.config import AlertLevel
from peaktrade.alerts.event import AlertEvent
from peaktrade.alerts.render import facts, headline, is_url
from peaktrade.alerts.sinks.http import HttpPoster
from peaktrade.credentials import Secret

COLOURS = {
    AlertLevel.INFO: "#439fe0",
    AlertLevel.WARNING: "#daa038",
    AlertLevel.CRITICAL: "#d40e0d",
}
RESOLVED_COLOUR = "#2eb886"


def escape(text: str) -> str:
    """Slack mrkdwn control characters; user text must not become links or mentions."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(event: AlertEvent) -> dict[str, Any]:
    link = (
        f"<{event.runbook}|Runbook: {event.code}>"
        if is_url(event.runbook)
        else f"Runbook: `{escape(event.runbook)}`"
    )
    context = [{"type": "mrkdwn", "text": link}] + [
        {"type": "mrkdwn", "text": f"*{escape(k)}*: {escape(str(v))}"}
        for k, v in list(event.context.items())[:9]  # Slack allows 10 context elements
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": headline(event)[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": escape(event.message)[:3000]}},
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": f"*{name}*\n{escape(value)}"}
                for name, value in facts(event)[:10]
            ],
        },
        {"type": "context", "elements": context},
    ]
    colour = RESOLVED_COLOUR if event.resolved else COLOURS[event.level]
    return {"text": headline(event), "attachments": [{"color": colour, "blocks": blocks}]}


class SlackSink:
    name = "slack"

    def __init__(self, http: HttpPoster, url: Secret, timeout_s: float) -> None:
        self._http, self._url, self._timeout_s = http, url, timeout_s

    async def send(self, event: AlertEvent) -> None:
        await self._http.post_json(self._url, slack_payload(event), timeout_s=self._timeout_s)

    async def aclose(self) -> None:
        await self._http.aclose()
