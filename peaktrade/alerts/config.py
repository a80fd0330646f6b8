"""Alerting settings as configured in ``[live_alerts]``."""

from __future__ import annotations

import enum

import msgspec


class AlertLevel(enum.StrEnum):
    """Severity of an alert; routing and throttling are keyed on it."""

    INFO = "INFO"
    WARNING = "WARNING"
    CRITICAL = "CRITICAL"


class AlertsConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Where alerts go. Sink URLs and tokens are credentials, never config values."""

    enabled: bool = True
    """Master switch for alert dispatch (alerts are still recorded when false)."""
    min_level: AlertLevel = AlertLevel.INFO
    """Alerts below this level are recorded but not sent to any sink."""
    sinks: tuple[str, ...] = ("log",)
    """Names of the sinks to build, e.g. ``log``, ``stderr``, ``slack``, ``pagerduty``."""
