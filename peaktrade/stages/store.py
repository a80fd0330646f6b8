"""Persistence of the stage: where this network's database is now, its history, fill samples.

The current stage is written in the same transaction as its history row, before a switch is
acknowledged, so a restart comes back where the last acknowledged move left it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

import msgspec

from peaktrade.core.model import Side
from peaktrade.stages.divergence import Sample
from peaktrade.store.db import transaction

TABLES = (
    """
    CREATE TABLE IF NOT EXISTS stage_current (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        stage TEXT NOT NULL,
        since_ms INTEGER NOT NULL,
        kind TEXT NOT NULL,
        run_id TEXT NOT NULL,
        approved_digest TEXT NOT NULL DEFAULT ''
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS stage_changes (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at_ms INTEGER NOT NULL,
        previous TEXT NOT NULL,
        stage TEXT NOT NULL,
        kind TEXT NOT NULL,
        reason TEXT NOT NULL,
        uid INTEGER NOT NULL,
        pid INTEGER NOT NULL,
        run_id TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT ''
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS stage_samples (
        key TEXT PRIMARY KEY,
        ts_ms INTEGER NOT NULL,
        stage TEXT NOT NULL,
        client_order_id TEXT NOT NULL,
        symbol TEXT NOT NULL,
        side TEXT NOT NULL,
        qty REAL NOT NULL,
        intended REAL NOT NULL,
        price REAL NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS stage_samples_stage_ts ON stage_samples (stage, ts_ms)",
)

# kinds of history rows; "degrade" is remembered: a start does not undo it
KINDS = ("first", "start", "promote", "degrade", "approve_live", "live_start")


class StageRecord(msgspec.Struct, frozen=True):
    """Where the database is now: the stage, since when, and what put it there."""

    stage: str
    since_ms: int
    kind: str
    run_id: str
    approved_digest: str = ""  # live: the strategy digest its approval was for


class StageChange(msgspec.Struct, frozen=True, kw_only=True):
    at_ms: int
    previous: str  # "" for the first start
    stage: str
    kind: str
    reason: str
    uid: int = -1
    pid: int = -1
    run_id: str
    detail: str = ""  # JSON: the checklist, cancelled orders, approval facts


def load_current(conn: sqlite3.Connection) -> StageRecord | None:
    row = conn.execute(
        "SELECT stage, since_ms, kind, run_id, approved_digest FROM stage_current WHERE id = 1"
    ).fetchone()
    return (
        StageRecord(str(row[0]), int(row[1]), str(row[2]), str(row[3]), str(row[4]))
        if row
        else None
    )


def save_change(
    conn: sqlite3.Connection, change: StageChange, *, current: StageRecord | None
) -> None:
    """The history row and, unless ``current`` is None (an approval only), the new current."""
    with transaction(conn):
        conn.execute(
            "INSERT INTO stage_changes (at_ms, previous, stage, kind, reason, uid, pid, run_id,"
            " detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                change.at_ms,
                change.previous,
                change.stage,
                change.kind,
                change.reason,
                change.uid,
                change.pid,
                change.run_id,
                change.detail,
            ),
        )
        if current is not None:
            conn.execute(
                "INSERT INTO stage_current (id, stage, since_ms, kind, run_id, approved_digest)"
                " VALUES (1, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET stage = excluded.stage,"
                " since_ms = excluded.since_ms, kind = excluded.kind, run_id = excluded.run_id,"
                " approved_digest = excluded.approved_digest",
                (
                    current.stage,
                    current.since_ms,
                    current.kind,
                    current.run_id,
                    current.approved_digest,
                ),
            )


def history(conn: sqlite3.Connection, limit: int = 20) -> list[StageChange]:
    """Newest first."""
    rows = conn.execute(
        "SELECT at_ms, previous, stage, kind, reason, uid, pid, run_id, detail"
        " FROM stage_changes ORDER BY id DESC LIMIT ?",
        (limit,),
    ).fetchall()
    return [
        StageChange(
            at_ms=int(r[0]),
            previous=str(r[1]),
            stage=str(r[2]),
            kind=str(r[3]),
            reason=str(r[4]),
            uid=int(r[5]),
            pid=int(r[6]),
            run_id=str(r[7]),
            detail=str(r[8]),
        )
        for r in rows
    ]


def add_samples(conn: sqlite3.Connection, samples: Sequence[Sample]) -> int:
    """Keep measured fills once each (by trade id); returns how many were new."""
    with transaction(conn):
        cur = conn.executemany(
            "INSERT OR IGNORE INTO stage_samples (key, ts_ms, stage, client_order_id, symbol,"
            " side, qty, intended, price) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    s.key,
                    s.ts_ms,
                    s.stage,
                    s.client_order_id,
                    s.symbol,
                    s.side.value,
                    s.qty,
                    s.intended,
                    s.price,
                )
                for s in samples
            ],
        )
    return cur.rowcount


def samples_since(conn: sqlite3.Connection, stage: str, since_ms: int) -> list[Sample]:
    rows = conn.execute(
        "SELECT key, ts_ms, stage, client_order_id, symbol, side, qty, intended, price"
        " FROM stage_samples WHERE stage = ? AND ts_ms >= ? ORDER BY ts_ms",
        (stage, since_ms),
    ).fetchall()
    return [
        Sample(
            key=str(r[0]),
            ts_ms=int(r[1]),
            stage=str(r[2]),
            client_order_id=str(r[3]),
            symbol=str(r[4]),
            side=Side(str(r[5])),
            qty=float(r[6]),
            intended=float(r[7]),
            price=float(r[8]),
        )
        for r in rows
    ]


def orders_since(conn: sqlite3.Connection, executor: str, since_ms: int) -> int:
    """Orders the journal handed to ``executor`` since a time (adopted ones do not count).

    Reads the journal's ``orders`` table (peaktrade.store.journal owns it).
    """
    (count,) = conn.execute(
        "SELECT COUNT(*) FROM orders WHERE executor = ? AND created_ms >= ? AND role != 'adopted'",
        (executor, since_ms),
    ).fetchone()
    return int(count)
