"""The trading day: its bounds in the configured zone, its starting equity, its counters.

The day record is persisted (``store.trading_day``) as soon as it starts, so a restart mid-day
finds the same starting equity and the same counters: a restart never resets the daily loss.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import msgspec

from peaktrade.core.risk_config import TradingDayConfig


class TradingDay(msgspec.Struct, frozen=True, kw_only=True):
    """One trading day as the risk layer counts it."""

    key: str  # the local date the day started on, e.g. "2024-05-01"
    start_ms: int
    end_ms: int  # exclusive
    start_equity: float  # equity at the first snapshot of the day
    start_realized: float  # the run's realized PnL then (daily PnL from fills only)
    trades: int = 0  # orders sent today
    traded_notional: float = 0.0  # their notional


class EquityPeak(msgspec.Struct, frozen=True):
    """The highest equity seen (persisted): the reference of ``max_drawdown_pct``."""

    equity: float
    at_ms: int


def day_bounds(config: TradingDayConfig, now_ms: int) -> tuple[str, int, int]:
    """(key, start_ms, end_ms) of the trading day that contains ``now_ms``."""
    zone = ZoneInfo(config.zone)
    hour, minute = (int(part) for part in config.start.split(":"))
    local = datetime.fromtimestamp(now_ms / 1000, tz=zone)
    date = local.date()
    for _ in range(3):  # DST gaps can shift a local start by an hour: settle on the right day
        start = _ms(datetime(date.year, date.month, date.day, hour, minute, tzinfo=zone))
        nxt = date + timedelta(days=1)
        end = _ms(datetime(nxt.year, nxt.month, nxt.day, hour, minute, tzinfo=zone))
        if now_ms < start:
            date -= timedelta(days=1)
        elif now_ms >= end:
            date = nxt
        else:
            return date.isoformat(), start, end
    raise AssertionError("unreachable: a day always contains its instant")  # pragma: no cover


def roll_day(
    day: TradingDay | None,
    config: TradingDayConfig,
    *,
    now_ms: int,
    equity: float,
    realized: float,
) -> TradingDay:
    """The current day: ``day`` while it lasts, else a new one starting at ``equity``.

    A clock that steps back before the day's start keeps the day rather than resetting it.
    """
    if day is not None and now_ms < day.end_ms:
        return day
    key, start, end = day_bounds(config, now_ms)
    return TradingDay(
        key=key, start_ms=start, end_ms=end, start_equity=equity, start_realized=realized
    )


def record_trades(day: TradingDay, *, count: int, notional: float) -> TradingDay:
    """Count orders sent (for the daily caps)."""
    return msgspec.structs.replace(
        day, trades=day.trades + count, traded_notional=day.traded_notional + notional
    )


def update_peak(peak: EquityPeak | None, equity: float, now_ms: int) -> EquityPeak:
    """The new high-water mark; unchanged (the same object) unless equity exceeds it."""
    if peak is not None and peak.equity >= equity:
        return peak
    return EquityPeak(equity=equity, at_ms=now_ms)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
