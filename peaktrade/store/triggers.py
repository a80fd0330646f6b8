"""Contingent orders the daemon holds itself: emulated stops of OCOs, brackets awaiting fills.

Persisted so a restart re-arms them: a protective stop must not vanish with the process.
"""

from __future__ import annotations

import sqlite3

import msgspec

from peaktrade.store.db import transaction

TABLES = (
    """
    CREATE TABLE IF NOT EXISTS contingent_orders (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        group_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        spec TEXT NOT NULL,
        state TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        updated_ms INTEGER NOT NULL,
        note TEXT NOT NULL DEFAULT ''
    )
    """,
    "CREATE INDEX IF NOT EXISTS contingent_state ON contingent_orders(state)",
)

ACTIVE = ("armed", "waiting_entry")


class Contingent(msgspec.Struct, frozen=True):
    id: int
    group_id: str
    kind: str  # "stop": an OCO's stop leg held by the daemon; "bracket": exit after entry
    spec: str  # the leg (OrderIntent) or the bracket (BracketIntent) as JSON
    state: str  # armed | waiting_entry | fired | placed | cancelled
    created_ms: int
    updated_ms: int
    note: str


def add(
    conn: sqlite3.Connection, *, group_id: str, kind: str, spec: str, state: str, now_ms: int
) -> Contingent:
    with transaction(conn):
        cur = conn.execute(
            "INSERT INTO contingent_orders (group_id, kind, spec, state, created_ms, updated_ms)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (group_id, kind, spec, state, now_ms, now_ms),
        )
        row_id = cur.lastrowid
    assert row_id is not None
    return Contingent(row_id, group_id, kind, spec, state, now_ms, now_ms, "")


def set_state(
    conn: sqlite3.Connection, row_id: int, state: str, *, now_ms: int, note: str = ""
) -> None:
    with transaction(conn):
        conn.execute(
            "UPDATE contingent_orders SET state = ?, updated_ms = ?, note = ? WHERE id = ?",
            (state, now_ms, note, row_id),
        )


def active(conn: sqlite3.Connection) -> list[Contingent]:
    rows = conn.execute(
        "SELECT id, group_id, kind, spec, state, created_ms, updated_ms, note"
        " FROM contingent_orders WHERE state IN (?, ?) ORDER BY id",
        ACTIVE,
    ).fetchall()
    return [Contingent(*row) for row in rows]


def all_rows(conn: sqlite3.Connection) -> list[Contingent]:
    rows = conn.execute(
        "SELECT id, group_id, kind, spec, state, created_ms, updated_ms, note"
        " FROM contingent_orders ORDER BY id"
    ).fetchall()
    return [Contingent(*row) for row in rows]
