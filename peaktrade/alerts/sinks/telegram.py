"""Telegram bot: ``sendMessage`` with HTML formatting. The token is in the URL path."""

from __future__ import annotations

import html
from typing import Any

from peaktrade.alerts.event import AlertEvent
from peaktrade.alerts.render import context_lines, facts, headline
from peaktrade.alerts.sinks.base import SinkError
from peaktrade.alerts.sinks.http import HttpPoster
from peaktrade.credentials import Secret

_MAX_TEXT = 4096


def telegram_payload(event: AlertEvent, chat_id: str) -> dict[str, Any]:
    esc = html.escape
    lines = [f"<b>{esc(headline(event))}</b>", esc(event.message), ""]
    lines += [f"<b>{esc(name)}</b>: {esc(value)}" for name, value in facts(event)]
    lines += [esc(line) for line in context_lines(event)]
    lines += ["", f"Runbook: {esc(event.runbook)}"]
    return {
        "chat_id": chat_id,
        "text": "\n".join(lines)[:_MAX_TEXT],
        "parse_mode": "HTML",
        "disable_web_page_preview": True,
    }


class TelegramSink:
    name = "telegram"

    def __init__(
        self, http: HttpPoster, token: Secret, chat_id: str, api_base: str, timeout_s: float
    ) -> None:
        self._http, self._chat_id, self._timeout_s = http, chat_id, timeout_s
        self._url = Secret(f"{api_base.rstrip('/')}/bot{token.reveal()}/sendMessage")

    async def send(self, event: AlertEvent) -> None:
        payload = telegram_payload(event, self._chat_id)
        answer = await self._http.post_json(self._url, payload, timeout_s=self._timeout_s)
        if isinstance(answer, dict) and answer.get("ok") is False:
            raise SinkError("telegram.not_ok", str(answer.get("description", "")), retryable=False)

    async def aclose(self) -> None:
        await self._http.aclose()
