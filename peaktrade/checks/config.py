"""Settings of the check presets and their schedule (``[checks]``)."""

from __future__ import annotations

import zoneinfo
from typing import Annotated, Literal

import msgspec

Preset = Literal["pre-open", "end-of-day"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class ScheduledCheck(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One preset the daemon runs on its own at a local time; a failure raises ``check.failed``."""

    preset: Preset
    """pre-open or end-of-day."""
    at: Annotated[str, msgspec.Meta(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    """Local time of day, HH:MM (24 h)."""
    zone: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] = "UTC"
    """IANA time zone of ``at``, e.g. Europe/Berlin (daylight saving followed)."""
    days: tuple[Weekday, ...] = WEEKDAYS
    """Weekdays it runs on (mon ... sun)."""
    level: Literal["WARNING", "CRITICAL"] = "WARNING"
    """Level of the alert when a check of the preset fails."""


class ChecksConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """``ptctl health``, ``ptctl check pre-open|end-of-day`` and the scheduled runs."""

    schedule: tuple[ScheduledCheck, ...] = ()
    """Presets to run on a schedule, e.g. ``[[checks.schedule]] preset = "pre-open"``."""
    max_clock_skew_ms: Annotated[float, msgspec.Meta(gt=0, le=60_000)] = 1000.0
    """Exchange clock offset that fails the clock check (half of it warns)."""
    clock_check_interval_s: Annotated[float, msgspec.Meta(gt=0, le=3600)] = 60.0
    """How often the exchange clock is read for the clock check."""
    max_alert_test_age_s: Annotated[float, msgspec.Meta(gt=0, le=90 * 86_400.0)] = 7 * 86_400.0
    """pre-open fails when the last ``ptctl alerts test`` is older than this, or failed."""
    min_risk_headroom_pct: Annotated[float, msgspec.Meta(ge=0, le=100)] = 10.0
    """A limit with less headroom left than this (percent of the limit) warns."""
    expect_flat_at_end_of_day: bool = False
    """end-of-day fails while positions are open (otherwise it lists them)."""


def checks_problems(checks: ChecksConfig) -> list[str]:
    """Time zones must exist; a schedule entry lists each weekday once."""
    problems = []
    for index, entry in enumerate(checks.schedule):
        try:
            zoneinfo.ZoneInfo(entry.zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            problems.append(f"checks.schedule[{index}].zone: unknown time zone {entry.zone!r}")
        if not entry.days or len(set(entry.days)) != len(entry.days):
            problems.append(f"checks.schedule[{index}].days: list each weekday once, at least one")
    return problems
