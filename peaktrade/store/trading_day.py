"""The risk layer's anchors that a restart must not lose: the trading day (starting equity and
daily counters), the equity peak of the drawdown limit, and the daemon's last heartbeat.
"""

from __future__ import annotations

import sqlite3

from peaktrade.core.trading_day import EquityPeak, TradingDay
from peaktrade.store.db import transaction

TABLES = (
    """
    CREATE TABLE IF NOT EXISTS risk_trading_days (
        day_key TEXT PRIMARY KEY,
        start_ms INTEGER NOT NULL,
        end_ms INTEGER NOT NULL,
        start_equity REAL NOT NULL,
        start_realized REAL NOT NULL,
        trades INTEGER NOT NULL,
        traded_notional REAL NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS risk_marks (
        name TEXT PRIMARY KEY,
        value REAL NOT NULL,
        at_ms INTEGER NOT NULL
    )
    """,
)


def save_day(conn: sqlite3.Connection, day: TradingDay) -> None:
    """Insert or update the day (the starting equity of an existing day is never overwritten)."""
    with transaction(conn):
        conn.execute(
            "INSERT INTO risk_trading_days (day_key, start_ms, end_ms, start_equity,"
            " start_realized, trades, traded_notional) VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(day_key) DO UPDATE SET trades = excluded.trades,"
            " traded_notional = excluded.traded_notional",
            (
                day.key,
                day.start_ms,
                day.end_ms,
                day.start_equity,
                day.start_realized,
                day.trades,
                day.traded_notional,
            ),
        )


def rebase_day(conn: sqlite3.Connection, day: TradingDay) -> None:
    """Write the day with its starting equity replaced: only for a day started before the
    exchange balances were known (its recorded start was the equity of fills alone)."""
    with transaction(conn):
        conn.execute(
            "INSERT INTO risk_trading_days (day_key, start_ms, end_ms, start_equity,"
            " start_realized, trades, traded_notional) VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(day_key) DO UPDATE SET start_equity = excluded.start_equity,"
            " start_realized = excluded.start_realized",
            (
                day.key,
                day.start_ms,
                day.end_ms,
                day.start_equity,
                day.start_realized,
                day.trades,
                day.traded_notional,
            ),
        )


def load_day(conn: sqlite3.Connection) -> TradingDay | None:
    """The latest day recorded; ``roll_day`` keeps it while it lasts."""
    row = conn.execute(
        "SELECT day_key, start_ms, end_ms, start_equity, start_realized, trades, traded_notional"
        " FROM risk_trading_days ORDER BY start_ms DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    key, start_ms, end_ms, start_equity, start_realized, trades, notional = row
    return TradingDay(
        key=key,
        start_ms=start_ms,
        end_ms=end_ms,
        start_equity=start_equity,
        start_realized=start_realized,
        trades=trades,
        traded_notional=notional,
    )


def save_peak(conn: sqlite3.Connection, peak: EquityPeak) -> None:
    _save_mark(conn, "equity_peak", peak.equity, peak.at_ms)


def load_peak(conn: sqlite3.Connection) -> EquityPeak | None:
    row = conn.execute("SELECT value, at_ms FROM risk_marks WHERE name = 'equity_peak'").fetchone()
    return None if row is None else EquityPeak(equity=row[0], at_ms=row[1])


def reset_peak(conn: sqlite3.Connection) -> None:
    """Forget the peak (after a deposit or withdrawal); the next snapshot sets a new one."""
    with transaction(conn):
        conn.execute("DELETE FROM risk_marks WHERE name = 'equity_peak'")


def save_heartbeat(conn: sqlite3.Connection, at_ms: int) -> None:
    _save_mark(conn, "heartbeat", 0.0, at_ms)


def load_heartbeat(conn: sqlite3.Connection) -> int | None:
    """The last heartbeat written; at start, its age tells how long the daemon was away."""
    row = conn.execute("SELECT at_ms FROM risk_marks WHERE name = 'heartbeat'").fetchone()
    return None if row is None else int(row[0])


def _save_mark(conn: sqlite3.Connection, name: str, value: float, at_ms: int) -> None:
    with transaction(conn):
        conn.execute(
            "INSERT INTO risk_marks (name, value, at_ms) VALUES (?, ?, ?)"
            " ON CONFLICT(name) DO UPDATE SET value = excluded.value, at_ms = excluded.at_ms",
            (name, value, at_ms),
        )
