"""Every risk violation: time, rule, limit, value, the order or snapshot, the action taken."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from peaktrade.core.risk_violations import Violation
from peaktrade.store.db import transaction

TABLES = (
    """
    CREATE TABLE IF NOT EXISTS risk_violations (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at_ms INTEGER NOT NULL,
        rule TEXT NOT NULL,
        code TEXT NOT NULL,
        symbol TEXT NOT NULL,
        limit_value REAL NOT NULL,
        value REAL,
        subject TEXT NOT NULL,
        detail TEXT NOT NULL,
        action TEXT NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS risk_violations_at ON risk_violations (at_ms)",
)

_INSERT = (
    "INSERT INTO risk_violations"
    " (at_ms, rule, code, symbol, limit_value, value, subject, detail, action)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_SELECT = (
    "SELECT at_ms, rule, code, symbol, limit_value, value, subject, detail, action"
    " FROM risk_violations WHERE at_ms >= ? ORDER BY at_ms DESC, id DESC LIMIT ?"
)


def record(conn: sqlite3.Connection, violations: Iterable[Violation]) -> int:
    """Persist in one durable transaction; returns how many were written."""
    rows = [
        (v.at_ms, v.rule, v.code, v.symbol, v.limit, v.value, v.subject, v.detail, v.action)
        for v in violations
    ]
    if rows:
        with transaction(conn):
            conn.executemany(_INSERT, rows)
    return len(rows)


def since(conn: sqlite3.Connection, since_ms: int = 0, limit: int = 100) -> list[Violation]:
    """Violations at or after ``since_ms``, newest first."""
    rows = conn.execute(_SELECT, (since_ms, limit)).fetchall()
    return [
        Violation(
            at_ms=at_ms,
            rule=rule,
            code=code,
            symbol=symbol,
            limit=limit_value,
            value=value,
            subject=subject,
            detail=detail,
            action=action,
        )
        for at_ms, rule, code, symbol, limit_value, value, subject, detail, action in rows
    ]


def last_breach_ms(conn: sqlite3.Connection, since_ms: int = 0) -> int | None:
    """Time of the newest violation at or after ``since_ms`` (re-open steps restart from it)."""
    row = conn.execute(
        "SELECT MAX(at_ms) FROM risk_violations WHERE at_ms >= ?", (since_ms,)
    ).fetchone()
    return None if row is None or row[0] is None else int(row[0])
