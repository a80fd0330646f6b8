"""Alerting settings as configured in ``[live_alerts]``.

Sink URLs, routing keys, tokens and passwords are credentials named here, never config values;
everything else a sink needs (hosts, chat ids, base URLs) is plain config so tests can point it
at loopback.
"""

from __future__ import annotations

import enum
import fnmatch
from typing import Annotated

import msgspec


class AlertLevel(enum.StrEnum):
    """Severity of an alert; routing and throttling are keyed on it."""

    INFO = "INFO"
    WARNING = "WARNING"
    CRITICAL = "CRITICAL"


LEVEL_RANK = {AlertLevel.INFO: 0, AlertLevel.WARNING: 1, AlertLevel.CRITICAL: 2}


def at_least(level: AlertLevel, floor: AlertLevel) -> bool:
    """True when ``level`` is as severe as ``floor`` or more."""
    return LEVEL_RANK[level] >= LEVEL_RANK[floor]


class SinkName(enum.StrEnum):
    """The sinks peaktrade can send to; each has its own sub-table in ``[live_alerts]``."""

    LOG = "log"
    STDERR = "stderr"
    WEBHOOK = "webhook"
    SLACK = "slack"
    DISCORD = "discord"
    PAGERDUTY = "pagerduty"
    EMAIL = "email"
    TELEGRAM = "telegram"


Seconds = Annotated[float, msgspec.Meta(gt=0, le=3600)]
PerMinute = Annotated[float, msgspec.Meta(ge=0, le=100_000)]
Burst = Annotated[int, msgspec.Meta(ge=1, le=10_000)]
CredentialName = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]
HttpUrl = Annotated[str, msgspec.Meta(pattern=r"^https?://[^\s]+$")]
CodePattern = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9_.*?\[\]-]{1,64}$")]


class LogSinkConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The daemon's own structured log (journald under systemd)."""

    min_level: AlertLevel = AlertLevel.INFO
    """Least level this sink receives."""


class StderrSinkConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One plain line per alert on standard error."""

    min_level: AlertLevel = AlertLevel.INFO
    """Least level this sink receives."""


class WebhookSinkConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A generic webhook that receives each alert as a JSON object."""

    min_level: AlertLevel = AlertLevel.INFO
    """Least level this sink receives."""
    credential: CredentialName = "alert-webhook-url"
    """Credential holding the webhook URL."""
    timeout_s: Seconds | None = None
    """Per-call timeout; unset means ``live_alerts.timeout_s``."""
    rate_per_min: PerMinute = 120.0
    """Most calls per minute (0 = unlimited); a 429 Retry-After pauses the sink further."""
    burst: Burst = 10
    """Calls allowed back to back before ``rate_per_min`` applies."""


class SlackSinkConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A Slack incoming webhook (Block Kit message with the level's colour)."""

    min_level: AlertLevel = AlertLevel.INFO
    """Least level this sink receives."""
    credential: CredentialName = "alert-slack-webhook"
    """Credential holding the incoming-webhook URL."""
    timeout_s: Seconds | None = None
    """Per-call timeout; unset means ``live_alerts.timeout_s``."""
    rate_per_min: PerMinute = 60.0
    """Most calls per minute (Slack allows about one a second per webhook)."""
    burst: Burst = 5
    """Calls allowed back to back before ``rate_per_min`` applies."""


class DiscordSinkConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A Discord webhook (one embed per alert)."""

    min_level: AlertLevel = AlertLevel.INFO
    """Least level this sink receives."""
    credential: CredentialName = "alert-discord-webhook"
    """Credential holding the webhook URL."""
    timeout_s: Seconds | None = None
    """Per-call timeout; unset means ``live_alerts.timeout_s``."""
    rate_per_min: PerMinute = 30.0
    """Most calls per minute (Discord allows 30 a minute per webhook)."""
    burst: Burst = 5
    """Calls allowed back to back before ``rate_per_min`` applies."""


class PagerDutySinkConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """PagerDuty Events API v2: triggers, and resolves state alerts on recovery."""

    min_level: AlertLevel = AlertLevel.CRITICAL
    """Least level this sink receives (paging is for what cannot wait)."""
    credential: CredentialName = "alert-pagerduty-routing-key"
    """Credential holding the integration's routing key."""
    events_url: HttpUrl = "https://events.pagerduty.com/v2/enqueue"
    """Events API endpoint."""
    timeout_s: Seconds | None = None
    """Per-call timeout; unset means ``live_alerts.timeout_s``."""
    rate_per_min: PerMinute = 120.0
    """Most calls per minute (0 = unlimited)."""
    burst: Burst = 10
    """Calls allowed back to back before ``rate_per_min`` applies."""


class TelegramSinkConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A Telegram bot posting to one chat."""

    min_level: AlertLevel = AlertLevel.INFO
    """Least level this sink receives."""
    credential: CredentialName = "alert-telegram-token"
    """Credential holding the bot token."""
    chat_id: Annotated[str, msgspec.Meta(pattern=r"^(-?\d{1,20}|@[A-Za-z0-9_]{5,32})?$")] = ""
    """Chat to post to: a numeric id or ``@channelname``; required when the sink is on."""
    api_base: HttpUrl = "https://api.telegram.org"
    """Bot API base URL."""
    timeout_s: Seconds | None = None
    """Per-call timeout; unset means ``live_alerts.timeout_s``."""
    rate_per_min: PerMinute = 20.0
    """Most calls per minute (Telegram allows about 20 a minute per group)."""
    burst: Burst = 3
    """Calls allowed back to back before ``rate_per_min`` applies."""


class SmtpSecurity(enum.StrEnum):
    """How the SMTP connection is protected."""

    STARTTLS = "starttls"
    TLS = "tls"
    NONE = "none"


class EmailSinkConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """E-mail over SMTP, with STARTTLS (or implicit TLS) and optional AUTH."""

    min_level: AlertLevel = AlertLevel.WARNING
    """Least level this sink receives."""
    host: str = ""
    """SMTP server host; required when the sink is on."""
    port: Annotated[int, msgspec.Meta(ge=1, le=65535)] = 587
    """SMTP server port (587 for STARTTLS, 465 for implicit TLS)."""
    security: SmtpSecurity = SmtpSecurity.STARTTLS
    """``starttls`` (upgrade after connecting), ``tls`` (implicit TLS) or ``none``."""
    ca_file: str | None = None
    """PEM file of CAs to trust instead of the system store (a private relay)."""
    username: str = ""
    """AUTH user; empty means no AUTH."""
    credential: CredentialName = "alert-smtp-password"
    """Credential holding the AUTH password (read only when ``username`` is set)."""
    from_addr: str = ""
    """Envelope and header sender; required when the sink is on."""
    to_addrs: tuple[str, ...] = ()
    """Recipients; at least one when the sink is on."""
    timeout_s: Seconds | None = None
    """Per-message timeout; unset means ``live_alerts.timeout_s``."""
    rate_per_min: PerMinute = 10.0
    """Most messages per minute (0 = unlimited)."""
    burst: Burst = 5
    """Messages allowed back to back before ``rate_per_min`` applies."""


class RouteRule(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Which sinks get an alert. The first rule that matches decides; none matching means all."""

    codes: tuple[CodePattern, ...] = ("*",)
    """Alert codes matched, shell-style patterns such as ``kill.*``."""
    min_level: AlertLevel = AlertLevel.INFO
    """Least level matched."""
    sinks: tuple[SinkName, ...]
    """Sinks that receive matching alerts (each still applies its own ``min_level``)."""

    def matches(self, code: str, level: AlertLevel) -> bool:
        return at_least(level, self.min_level) and any(
            fnmatch.fnmatchcase(code, pattern) for pattern in self.codes
        )


class RetryConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Retries of a failed sink call: exponential backoff with jitter."""

    max_attempts: Annotated[int, msgspec.Meta(ge=1, le=20)] = 4
    """Calls per alert and sink before giving up (1 = no retry)."""
    base_delay_s: Seconds = 1.0
    """Delay after the first failure; doubled after each further one."""
    max_delay_s: Seconds = 60.0
    """Cap on one delay."""
    jitter: Annotated[float, msgspec.Meta(ge=0, le=1)] = 0.5
    """Fraction of each delay that is randomised, so sinks do not retry in lockstep."""


class AlertsConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Where alerts go. Sink URLs and tokens are credentials, never config values."""

    enabled: bool = True
    """Master switch for alert dispatch (alerts are still recorded when false)."""
    min_level: AlertLevel = AlertLevel.INFO
    """Alerts below this level are recorded but not sent to any sink."""
    sinks: tuple[SinkName, ...] = (SinkName.LOG,)
    """Names of the sinks to build, e.g. ``log``, ``stderr``, ``slack``, ``pagerduty``."""
    routes: tuple[RouteRule, ...] = ()
    """Routing rules, first match wins, e.g. CRITICAL to ``pagerduty`` and ``slack``."""
    dedupe_window_s: Annotated[float, msgspec.Meta(ge=0, le=86_400)] = 300.0
    """A repeat of an open alert key within this time raises its count instead of sending."""
    queue_size: Annotated[int, msgspec.Meta(ge=16, le=1_000_000)] = 10_000
    """Alerts waiting for dispatch; when full the lowest levels are dropped first."""
    sink_queue_size: Annotated[int, msgspec.Meta(ge=1, le=100_000)] = 500
    """Alerts waiting for one sink; a slow sink drops its lowest levels first."""
    timeout_s: Seconds = 10.0
    """Default per-call timeout of a sink."""
    retry: RetryConfig = RetryConfig()
    """Retry policy for failed sink calls."""
    sink_failing_after_s: Seconds = 300.0
    """A sink failing this long raises ``alerts.sink_failing`` on the other sinks."""
    drop_report_interval_s: Seconds = 60.0
    """Least time between two ``alerts.dropped`` reports."""
    history_flush_s: Annotated[float, msgspec.Meta(gt=0, le=10)] = 0.5
    """Longest time an alert or delivery attempt waits to be written to the database."""
    restored_grace_s: Annotated[float, msgspec.Meta(ge=1, le=3600)] = 120.0
    """A stream condition (disconnected, reconnect storm, stale data, rate limit, ban) left open
    by the previous run and not raised again this long after a restart is resolved as over."""
    runbook_base: Annotated[str, msgspec.Meta(min_length=1)] = (
        "docs/RUNBOOKS_AND_INCIDENT_HANDLING.md"
    )
    """Runbook document or URL; each alert links to ``<runbook_base>#<anchor>``."""
    log: LogSinkConfig = LogSinkConfig()
    """The ``log`` sink."""
    stderr: StderrSinkConfig = StderrSinkConfig()
    """The ``stderr`` sink."""
    webhook: WebhookSinkConfig = WebhookSinkConfig()
    """The generic JSON ``webhook`` sink."""
    slack: SlackSinkConfig = SlackSinkConfig()
    """The ``slack`` sink."""
    discord: DiscordSinkConfig = DiscordSinkConfig()
    """The ``discord`` sink."""
    pagerduty: PagerDutySinkConfig = PagerDutySinkConfig()
    """The ``pagerduty`` sink."""
    email: EmailSinkConfig = EmailSinkConfig()
    """The ``email`` sink."""
    telegram: TelegramSinkConfig = TelegramSinkConfig()
    """The ``telegram`` sink."""

    def __post_init__(self) -> None:
        problems = config_problems(self)
        if problems:
            raise ValueError("; ".join(problems))


def config_problems(config: AlertsConfig) -> list[str]:
    """Rules spanning keys; msgspec reports them as a validation error of the section."""
    problems: list[str] = []
    enabled = set(config.sinks)
    if len(enabled) != len(config.sinks):
        problems.append("sinks: each sink may appear once")
    for i, rule in enumerate(config.routes):
        unknown = [s.value for s in rule.sinks if s not in enabled]
        if unknown:
            problems.append(f"routes[{i}].sinks: {', '.join(unknown)} not in live_alerts.sinks")
    if SinkName.TELEGRAM in enabled and not config.telegram.chat_id:
        problems.append("telegram.chat_id: required when the telegram sink is on")
    if SinkName.EMAIL in enabled:
        mail = config.email
        if not mail.host or not mail.from_addr or not mail.to_addrs:
            problems.append("email: host, from_addr and to_addrs are required for the sink")
    return problems


SinkConfig = (
    LogSinkConfig
    | StderrSinkConfig
    | WebhookSinkConfig
    | SlackSinkConfig
    | DiscordSinkConfig
    | PagerDutySinkConfig
    | EmailSinkConfig
    | TelegramSinkConfig
)


def sink_config(config: AlertsConfig, name: SinkName) -> SinkConfig:
    """The sub-table of sink ``name``."""
    sub: SinkConfig = getattr(config, name.value)
    return sub


def sink_timeout_s(config: AlertsConfig, name: SinkName) -> float:
    """The sink's own timeout, else the section default."""
    own = getattr(sink_config(config, name), "timeout_s", None)
    return float(own) if own is not None else config.timeout_s
