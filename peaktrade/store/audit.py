"""The audit log of mutating control commands: who asked for what, and what came of it."""

from __future__ import annotations

import sqlite3

import msgspec

from peaktrade.store.db import transaction

TABLES = (
    """
    CREATE TABLE IF NOT EXISTS audit_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at_ms INTEGER NOT NULL,
        command TEXT NOT NULL,
        command_class TEXT NOT NULL,
        uid INTEGER NOT NULL,
        gid INTEGER NOT NULL,
        pid INTEGER NOT NULL,
        outcome TEXT NOT NULL,
        detail TEXT NOT NULL
    )
    """,
)


class AuditEntry(msgspec.Struct, frozen=True):
    """One mutating command as received, with the outcome."""

    at_ms: int
    command: str
    command_class: str
    uid: int
    gid: int
    pid: int
    outcome: str  # "ok", "refused:<code>", "error:<code>"
    detail: str  # the request's fields as JSON, redacted


def record(conn: sqlite3.Connection, entry: AuditEntry) -> None:
    with transaction(conn):
        insert(conn, entry)


def insert(conn: sqlite3.Connection, entry: AuditEntry) -> None:
    """Inside the caller's transaction: a state change and its audit entry share one flush."""
    conn.execute(
        "INSERT INTO audit_log"
        " (at_ms, command, command_class, uid, gid, pid, outcome, detail)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            entry.at_ms,
            entry.command,
            entry.command_class,
            entry.uid,
            entry.gid,
            entry.pid,
            entry.outcome,
            entry.detail,
        ),
    )


def recent(conn: sqlite3.Connection, limit: int = 50) -> list[AuditEntry]:
    """Newest first."""
    rows = conn.execute(
        "SELECT at_ms, command, command_class, uid, gid, pid, outcome, detail"
        " FROM audit_log ORDER BY id DESC LIMIT ?",
        (limit,),
    ).fetchall()
    return [AuditEntry(*row) for row in rows]
