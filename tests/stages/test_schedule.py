"""When a scheduled check is due: local time, weekdays, daylight saving."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from hypothesis import given
from hypothesis import strategies as st

from peaktrade.checks.config import WEEKDAYS, ChecksConfig, ScheduledCheck, checks_problems
from peaktrade.checks.schedule import next_run_ms

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


def local(at_ms: int, zone: str) -> dt.datetime:
    return dt.datetime.fromtimestamp(at_ms / 1000, tz=zoneinfo.ZoneInfo(zone))


def test_due_later_today_or_tomorrow() -> None:
    entry = ScheduledCheck(preset="pre-open", at="08:55", zone="Europe/Berlin")
    morning = ms(dt.datetime(2024, 5, 1, 7, 0, tzinfo=BERLIN))
    assert local(next_run_ms(entry, morning), entry.zone) == dt.datetime(
        2024, 5, 1, 8, 55, tzinfo=BERLIN
    )
    after = ms(dt.datetime(2024, 5, 1, 8, 55, tzinfo=BERLIN))
    assert local(next_run_ms(entry, after), entry.zone).date() == dt.date(2024, 5, 2)


def test_weekdays_are_skipped_when_not_listed() -> None:
    entry = ScheduledCheck(
        preset="end-of-day", at="22:00", days=("mon", "tue", "wed", "thu", "fri")
    )
    friday_night = ms(dt.datetime(2024, 5, 3, 23, 0, tzinfo=dt.UTC))
    assert local(next_run_ms(entry, friday_night), "UTC").date() == dt.date(2024, 5, 6)


def test_the_local_time_holds_across_daylight_saving() -> None:
    entry = ScheduledCheck(preset="pre-open", at="08:55", zone="Europe/Berlin")
    before = ms(dt.datetime(2024, 3, 30, 12, 0, tzinfo=BERLIN))  # clocks go forward on the 31st
    due = next_run_ms(entry, before)
    assert dt.datetime.fromtimestamp(due / 1000, tz=dt.UTC).hour == 6  # 08:55 CEST = 06:55 UTC


def test_an_unknown_zone_is_a_config_problem() -> None:
    config = ChecksConfig(
        schedule=(ScheduledCheck(preset="pre-open", at="08:55", zone="Mars/Base"),)
    )
    assert checks_problems(config) == ["checks.schedule[0].zone: unknown time zone 'Mars/Base'"]


@given(
    after=st.integers(
        ms(dt.datetime(2020, 1, 1, tzinfo=dt.UTC)), ms(dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    ),
    hour=st.integers(0, 23),
    minute=st.integers(0, 59),
    days=st.sets(st.sampled_from(WEEKDAYS), min_size=1),
    zone=st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo"]),
)
def test_the_next_run_is_the_first_due_time_after(
    after: int, hour: int, minute: int, days: set[str], zone: str
) -> None:
    entry = ScheduledCheck(
        preset="pre-open",
        at=f"{hour:02d}:{minute:02d}",
        zone=zone,
        days=tuple(d for d in WEEKDAYS if d in days),  # type: ignore[misc]
    )
    due = next_run_ms(entry, after)
    assert due > after
    when = local(due, zone)
    assert WEEKDAYS[when.weekday()] in days
    assert due - after <= 8 * 86_400_000
    # nothing due in between: the same wall time on each day before, if listed, was <= after
    for back in range(1, 8):
        day = when.date() - dt.timedelta(days=back)
        if WEEKDAYS[day.weekday()] in days:
            earlier = dt.datetime.combine(
                day, dt.time(hour, minute), tzinfo=zoneinfo.ZoneInfo(zone)
            )
            assert ms(earlier) <= after or ms(earlier) >= due
