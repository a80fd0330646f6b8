"""Closed bars from ccxt OHLCV rows (``[open_ms, open, high, low, close, volume]``).

The exchange's last row is usually the candle still forming: only rows whose period has ended
by ``now_ms`` are bars. Each bar is handed on once, in order.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence

from peaktrade.strategy.base import Bar


class Timeframe(enum.StrEnum):
    """Candle length, as ccxt names it (``1s``: Binance spot only)."""

    S1 = "1s"
    M1 = "1m"
    M3 = "3m"
    M5 = "5m"
    M15 = "15m"
    M30 = "30m"
    H1 = "1h"
    H4 = "4h"
    D1 = "1d"


TIMEFRAME_MS: dict[Timeframe, int] = {
    Timeframe.S1: 1_000,
    Timeframe.M1: 60_000,
    Timeframe.M3: 180_000,
    Timeframe.M5: 300_000,
    Timeframe.M15: 900_000,
    Timeframe.M30: 1_800_000,
    Timeframe.H1: 3_600_000,
    Timeframe.H4: 14_400_000,
    Timeframe.D1: 86_400_000,
}


def closed_bars(
    symbol: str,
    rows: Iterable[Sequence[float | int | None]],
    *,
    period_ms: int,
    now_ms: int,
    after_open_ms: int | None = None,
) -> list[Bar]:
    """The closed bars among ``rows``, oldest first, newer than ``after_open_ms``."""
    seen: dict[int, Bar] = {}
    for row in rows:
        if len(row) < 6 or any(v is None for v in row[:5]):
            continue  # a malformed row is not a bar to act on
        open_ms = int(row[0] or 0)
        if open_ms + period_ms > now_ms:
            continue
        if after_open_ms is not None and open_ms <= after_open_ms:
            continue
        seen[open_ms] = Bar(
            symbol=symbol,
            open_ms=open_ms,
            close_ms=open_ms + period_ms,
            open=float(row[1] or 0.0),
            high=float(row[2] or 0.0),
            low=float(row[3] or 0.0),
            close=float(row[4] or 0.0),
            volume=float(row[5] or 0.0),
        )
    return [seen[k] for k in sorted(seen)]
