"""Portfolio snapshots over time: the monitor writes one per interval, ``ptctl portfolio
--history`` reads them. The whole snapshot is kept as JSON beside the columns one filters on.
"""

from __future__ import annotations

import sqlite3

import msgspec

from peaktrade.core.portfolio import LivePortfolioSnapshot
from peaktrade.store.db import transaction

TABLES = (
    """
    CREATE TABLE IF NOT EXISTS portfolio_snapshots (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at_ms INTEGER NOT NULL,
        equity REAL NOT NULL,
        total_exposure REAL NOT NULL,
        daily_pnl REAL NOT NULL,
        body TEXT NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS portfolio_snapshots_at ON portfolio_snapshots (at_ms)",
)

_decoder = msgspec.json.Decoder(LivePortfolioSnapshot)


def record(conn: sqlite3.Connection, snapshot: LivePortfolioSnapshot) -> None:
    with transaction(conn):
        conn.execute(
            "INSERT INTO portfolio_snapshots (at_ms, equity, total_exposure, daily_pnl, body)"
            " VALUES (?, ?, ?, ?, ?)",
            (
                snapshot.ts_ms,
                snapshot.equity,
                snapshot.total_exposure,
                snapshot.daily_pnl,
                msgspec.json.encode(snapshot).decode(),
            ),
        )


def history(
    conn: sqlite3.Connection, since_ms: int = 0, limit: int = 1000
) -> list[LivePortfolioSnapshot]:
    """Snapshots at or after ``since_ms``, oldest first (the newest ``limit`` of them)."""
    rows = conn.execute(
        "SELECT body FROM (SELECT id, at_ms, body FROM portfolio_snapshots WHERE at_ms >= ?"
        " ORDER BY at_ms DESC, id DESC LIMIT ?) ORDER BY at_ms, id",
        (since_ms, limit),
    ).fetchall()
    return [_decoder.decode(body) for (body,) in rows]


def latest(conn: sqlite3.Connection) -> LivePortfolioSnapshot | None:
    row = conn.execute(
        "SELECT body FROM portfolio_snapshots ORDER BY at_ms DESC, id DESC LIMIT 1"
    ).fetchone()
    return None if row is None else _decoder.decode(row[0])


def prune(conn: sqlite3.Connection, before_ms: int) -> int:
    """Drop snapshots older than ``before_ms`` (retention); returns how many went."""
    with transaction(conn):
        cur = conn.execute("DELETE FROM portfolio_snapshots WHERE at_ms < ?", (before_ms,))
    return cur.rowcount
