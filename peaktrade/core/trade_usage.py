"""What this run has sent so far: counters for the per-run caps, send times for order rates.

The daily counters live in the persisted ``TradingDay``; these reset with the run by design.
"""

from __future__ import annotations

from bisect import bisect_right

import msgspec

RATE_WINDOW_MS = 60_000  # the longest rate window (max_orders_per_minute)


class RunUsage(msgspec.Struct, frozen=True):
    """Orders sent by this daemon run."""

    trades: int = 0
    notional: float = 0.0
    recent_ms: tuple[int, ...] = ()  # send times within the last minute, oldest first


def record_sent(usage: RunUsage, *, now_ms: int, count: int, notional: float) -> RunUsage:
    """Count ``count`` orders sent at ``now_ms``; send times older than a minute drop out."""
    keep = usage.recent_ms[bisect_right(usage.recent_ms, now_ms - RATE_WINDOW_MS) :]
    return RunUsage(
        trades=usage.trades + count,
        notional=usage.notional + notional,
        recent_ms=keep + (now_ms,) * count,
    )


def sent_within(usage: RunUsage, *, now_ms: int, window_ms: int) -> int:
    """Orders sent in the window (now - window, now]."""
    return len(usage.recent_ms) - bisect_right(usage.recent_ms, now_ms - window_ms)
