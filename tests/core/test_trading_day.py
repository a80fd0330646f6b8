"""The trading day: bounds in the configured zone, roll-over, a clock that steps back."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from peaktrade.core.risk_config import TradingDayConfig
from peaktrade.core.trading_day import day_bounds, record_trades, roll_day, update_peak


def ms(text: str, zone: str = "UTC") -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone)).timestamp() * 1000)


def test_default_day_is_the_utc_calendar_day() -> None:
    key, start, end = day_bounds(TradingDayConfig(), ms("2024-05-01T13:00"))
    assert (key, start, end) == ("2024-05-01", ms("2024-05-01T00:00"), ms("2024-05-02T00:00"))


def test_day_starts_at_the_configured_local_time() -> None:
    config = TradingDayConfig(start="08:00", zone="Europe/Berlin")
    key, start, _ = day_bounds(config, ms("2024-05-01T07:59", "Europe/Berlin"))
    assert key == "2024-04-30"
    assert start == ms("2024-04-30T08:00", "Europe/Berlin")


def test_day_over_a_dst_change_is_23_hours() -> None:
    config = TradingDayConfig(zone="Europe/Berlin")
    _, start, end = day_bounds(config, ms("2024-03-31T12:00", "Europe/Berlin"))
    assert end - start == 23 * 3_600_000


def test_start_inside_a_dst_gap_still_contains_now() -> None:
    config = TradingDayConfig(start="02:30", zone="Europe/Berlin")
    now = ms("2024-03-31T04:00", "Europe/Berlin")
    _, start, end = day_bounds(config, now)
    assert start <= now < end


def test_day_is_kept_while_it_lasts() -> None:
    config = TradingDayConfig()
    day = roll_day(None, config, now_ms=ms("2024-05-01T01:00"), equity=1000.0, realized=0.0)
    later = roll_day(day, config, now_ms=ms("2024-05-01T23:59"), equity=500.0, realized=0.0)
    assert later is day and later.start_equity == 1000.0


def test_day_boundary_starts_a_new_day_at_current_equity() -> None:
    config = TradingDayConfig()
    day = roll_day(None, config, now_ms=ms("2024-05-01T01:00"), equity=1000.0, realized=0.0)
    day = record_trades(day, count=3, notional=30.0)
    new = roll_day(day, config, now_ms=ms("2024-05-02T00:00"), equity=900.0, realized=5.0)
    assert (new.key, new.start_equity, new.start_realized, new.trades) == (
        "2024-05-02",
        900.0,
        5.0,
        0,
    )


def test_clock_stepping_back_keeps_the_day() -> None:
    config = TradingDayConfig()
    day = roll_day(None, config, now_ms=ms("2024-05-01T01:00"), equity=1000.0, realized=0.0)
    assert roll_day(day, config, now_ms=ms("2024-04-30T23:00"), equity=1.0, realized=0.0) is day


def test_peak_only_rises() -> None:
    peak = update_peak(None, 100.0, 1)
    assert update_peak(peak, 90.0, 2) is peak
    assert update_peak(peak, 120.0, 3).equity == 120.0
