"""Text pieces every sink shows the same way: headline, facts, time, runbook."""

from __future__ import annotations

import datetime as dt

from peaktrade.alerts.event import AlertEvent


def headline(event: AlertEvent) -> str:
    """``[CRITICAL] Kill switch engaged`` or ``[RESOLVED] Portfolio risk limit breached``."""
    tag = "RESOLVED" if event.resolved else event.level.value
    return f"[{tag}] {event.title}"


def iso_time(at_ms: int) -> str:
    return dt.datetime.fromtimestamp(at_ms / 1000, tz=dt.UTC).isoformat(timespec="milliseconds")


def facts(event: AlertEvent) -> list[tuple[str, str]]:
    """The fields an operator reads first, in that order."""
    return [
        ("Level", "RESOLVED" if event.resolved else event.level.value),
        ("Code", event.code),
        ("Deployment", f"{event.mode}@{event.network}"),
        ("Source", event.source),
        ("Time", iso_time(event.at_ms)),
        ("Run", event.run_id),
        ("Alert", event.id),
    ]


def context_lines(event: AlertEvent) -> list[str]:
    return [f"{key}: {value}" for key, value in event.context.items()]


def is_url(link: str) -> bool:
    return link.startswith(("https://", "http://"))


def plain_text(event: AlertEvent) -> str:
    """The whole alert as plain text (e-mail body, stderr)."""
    lines = [headline(event), "", event.message, ""]
    lines += [f"{name}: {value}" for name, value in facts(event)]
    if event.context:
        lines += ["", *context_lines(event)]
    lines += ["", f"Runbook: {event.runbook}"]
    return "\n".join(lines)
