"""Persistence of the trading state latch and its history."""

from __future__ import annotations

import sqlite3

from peaktrade.core.trading_state import Actor, StateChange, TradingState
from peaktrade.store import audit
from peaktrade.store.db import transaction

TABLES = (
    """
    CREATE TABLE IF NOT EXISTS trading_state_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at_ms INTEGER NOT NULL,
        previous TEXT NOT NULL,
        state TEXT NOT NULL,
        reason TEXT NOT NULL,
        source TEXT NOT NULL,
        uid INTEGER NOT NULL,
        pid INTEGER NOT NULL,
        cancel_open INTEGER NOT NULL DEFAULT 0,
        flatten INTEGER NOT NULL DEFAULT 0
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS trading_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        state TEXT NOT NULL,
        reason TEXT NOT NULL,
        changed_at_ms INTEGER NOT NULL,
        event_id INTEGER NOT NULL REFERENCES trading_state_events(id)
    )
    """,
)


def save_change(
    conn: sqlite3.Connection, change: StateChange, audit_entry: audit.AuditEntry | None = None
) -> int:
    """Record the event and the current state in one durable transaction, with the audit entry
    of the command that asked for it (one fsync before the kill is acknowledged, not two);
    returns the event id."""
    with transaction(conn):
        if audit_entry is not None:
            audit.insert(conn, audit_entry)
        cur = conn.execute(
            "INSERT INTO trading_state_events"
            " (at_ms, previous, state, reason, source, uid, pid, cancel_open, flatten)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                change.at_ms,
                change.previous.value,
                change.state.value,
                change.reason,
                change.actor.source,
                change.actor.uid,
                change.actor.pid,
                int(change.cancel_open),
                int(change.flatten),
            ),
        )
        event_id = cur.lastrowid
        assert event_id is not None
        conn.execute(
            "INSERT INTO trading_state (id, state, reason, changed_at_ms, event_id)"
            " VALUES (1, ?, ?, ?, ?)"
            " ON CONFLICT(id) DO UPDATE SET state = excluded.state, reason = excluded.reason,"
            " changed_at_ms = excluded.changed_at_ms, event_id = excluded.event_id",
            (change.state.value, change.reason, change.at_ms, event_id),
        )
    return event_id


def load_current(conn: sqlite3.Connection) -> StateChange | None:
    """The latest transition, or None for a database that never left the initial state."""
    row = conn.execute(
        "SELECT e.at_ms, e.previous, e.state, e.reason, e.source, e.uid, e.pid,"
        " e.cancel_open, e.flatten FROM trading_state s"
        " JOIN trading_state_events e ON e.id = s.event_id WHERE s.id = 1"
    ).fetchone()
    return _row_to_change(row) if row else None


def history(conn: sqlite3.Connection, limit: int = 50) -> list[StateChange]:
    """Newest first."""
    rows = conn.execute(
        "SELECT at_ms, previous, state, reason, source, uid, pid, cancel_open, flatten"
        " FROM trading_state_events ORDER BY id DESC LIMIT ?",
        (limit,),
    ).fetchall()
    return [_row_to_change(r) for r in rows]


def _row_to_change(row: tuple[object, ...]) -> StateChange:
    at_ms, previous, state, reason, source, uid, pid, cancel_open, flatten = row
    return StateChange(
        previous=TradingState(str(previous)),
        state=TradingState(str(state)),
        reason=str(reason),
        actor=Actor(source=str(source), uid=int(str(uid)), pid=int(str(pid))),
        at_ms=int(str(at_ms)),
        cancel_open=bool(cancel_open),
        flatten=bool(flatten),
    )
