"""When a scheduled check runs next: a pure function of the entry and a time (no clock read)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from peaktrade.checks.config import WEEKDAYS, ScheduledCheck

_HORIZON_DAYS = 8  # every weekday comes round within a week, plus today


def next_run_ms(entry: ScheduledCheck, after_ms: int) -> int:
    """The first time strictly after ``after_ms`` at which ``entry`` is due (epoch ms).

    A local time that does not exist on a day (clocks jumping forward) runs at the first
    instant after the gap, as the zone maps it.
    """
    zone = zoneinfo.ZoneInfo(entry.zone)
    hour, minute = (int(part) for part in entry.at.split(":"))
    local = dt.datetime.fromtimestamp(after_ms / 1000, tz=zone)
    for offset in range(_HORIZON_DAYS):
        day = local.date() + dt.timedelta(days=offset)
        if WEEKDAYS[day.weekday()] not in entry.days:
            continue
        due = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zone)
        due_ms = _epoch_ms(due)
        if due_ms > after_ms:
            return due_ms
    raise ValueError(f"schedule entry with no day: {entry.days!r}")


def _epoch_ms(moment: dt.datetime) -> int:
    # through UTC so a wall time in a DST gap maps forward, as the zone's rules say
    return int(moment.astimezone(dt.UTC).timestamp() * 1000)
