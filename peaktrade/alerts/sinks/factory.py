"""Build the configured sinks, reading each one's secret from its named credential.

A sink whose credential is missing is not built; it becomes a problem the service reports as
``alerts.sink_misconfigured`` on the sinks that do work, instead of failing silently.
"""

from __future__ import annotations

from collections.abc import Callable

import msgspec

from peaktrade.alerts.config import AlertsConfig, SinkName, sink_timeout_s
from peaktrade.alerts.sinks.base import AlertSink
from peaktrade.alerts.sinks.console import LogSink, StderrSink
from peaktrade.alerts.sinks.discord import DiscordSink
from peaktrade.alerts.sinks.http import HttpPoster
from peaktrade.alerts.sinks.pagerduty import PagerDutySink
from peaktrade.alerts.sinks.slack import SlackSink
from peaktrade.alerts.sinks.smtp import EmailSink
from peaktrade.alerts.sinks.telegram import TelegramSink
from peaktrade.alerts.sinks.webhook import WebhookSink
from peaktrade.credentials import Secret, read_credential

ReadCredential = Callable[[str], Secret | None]


class SinkProblem(msgspec.Struct, frozen=True):
    """A configured sink that could not be built; ``code`` is stable."""

    sink: str
    code: str
    message: str


class BuiltSinks(msgspec.Struct, frozen=True):
    sinks: dict[str, AlertSink]
    problems: list[SinkProblem]


def build_sinks(config: AlertsConfig, read: ReadCredential = read_credential) -> BuiltSinks:
    """One sink per name in ``config.sinks``, in that order; HTTP sinks share one session."""
    http = HttpPoster()
    sinks: dict[str, AlertSink] = {}
    problems: list[SinkProblem] = []

    def secret(name: SinkName, credential: str) -> Secret | None:
        value = read(credential)
        if value is None:
            problems.append(
                SinkProblem(
                    sink=name.value,
                    code="alerts.credential_missing",
                    message=f"credential {credential!r} is not set; the {name.value} sink is off",
                )
            )
        return value

    for name in config.sinks:
        try:
            sink = _build(name, config, http, secret)
        except (OSError, ValueError) as exc:  # e.g. an unreadable ca_file
            problems.append(
                SinkProblem(
                    sink=name.value,
                    code="alerts.sink_invalid",
                    message=f"the {name.value} sink cannot be built: {type(exc).__name__}",
                )
            )
            continue
        if sink is not None:
            sinks[name.value] = sink
    return BuiltSinks(sinks=sinks, problems=problems)


def _build(
    name: SinkName,
    config: AlertsConfig,
    http: HttpPoster,
    secret: Callable[[SinkName, str], Secret | None],
) -> AlertSink | None:
    """The sink ``name``, or None when its credential is missing (already reported)."""
    timeout = sink_timeout_s(config, name)
    if name is SinkName.LOG:
        return LogSink()
    if name is SinkName.STDERR:
        return StderrSink()
    if name is SinkName.WEBHOOK:
        url = secret(name, config.webhook.credential)
        return WebhookSink(http, url, timeout) if url else None
    if name is SinkName.SLACK:
        url = secret(name, config.slack.credential)
        return SlackSink(http, url, timeout) if url else None
    if name is SinkName.DISCORD:
        url = secret(name, config.discord.credential)
        return DiscordSink(http, url, timeout) if url else None
    if name is SinkName.PAGERDUTY:
        key = secret(name, config.pagerduty.credential)
        return PagerDutySink(http, key, config.pagerduty.events_url, timeout) if key else None
    if name is SinkName.TELEGRAM:
        token, tg = secret(name, config.telegram.credential), config.telegram
        return TelegramSink(http, token, tg.chat_id, tg.api_base, timeout) if token else None
    mail = config.email  # SinkName.EMAIL
    password = secret(name, mail.credential) if mail.username else None
    if mail.username and password is None:
        return None
    return EmailSink(mail, password, timeout)
