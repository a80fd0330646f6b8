"""Runs and their events: one row per daemon start, one row per typed event of it.

Events are keyed (run_id, seq) with seq counting from 1 within a run, so a reader resumes
after the last seq it saw. ``event_count`` is kept on the run row as batches are written, so
listing runs never counts events.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence

import msgspec

from peaktrade.runlog.events import LiveRunMetadata
from peaktrade.store.db import transaction

TABLES = (
    """
    CREATE TABLE IF NOT EXISTS runs (
        run_id TEXT PRIMARY KEY,
        version TEXT NOT NULL,
        git_commit TEXT NOT NULL,
        config_digest TEXT NOT NULL,
        config_path TEXT NOT NULL,
        mode TEXT NOT NULL,
        network TEXT NOT NULL,
        account TEXT NOT NULL,
        strategy TEXT NOT NULL,
        pid INTEGER NOT NULL,
        started_ms INTEGER NOT NULL,
        stopped_ms INTEGER,
        exit_reason TEXT NOT NULL DEFAULT '',
        event_count INTEGER NOT NULL DEFAULT 0,
        events_lost INTEGER NOT NULL DEFAULT 0
    )
    """,
    "CREATE INDEX IF NOT EXISTS runs_started ON runs (started_ms)",
    """
    CREATE TABLE IF NOT EXISTS run_events (
        run_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        ts_ms INTEGER NOT NULL,
        kind TEXT NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (run_id, seq)
    ) WITHOUT ROWID
    """,
    "CREATE INDEX IF NOT EXISTS run_events_kind ON run_events (run_id, kind, seq)",
)

EventRow = tuple[str, int, int, str, str]  # run_id, seq, ts_ms, kind, data (body JSON)

UNCLEAN = "unclean: no stop recorded (killed or crashed)"

_FIELDS = LiveRunMetadata.__struct_fields__  # the columns of ``runs``, in order
_COLUMNS = ", ".join(_FIELDS)


def start_run(conn: sqlite3.Connection, meta: LiveRunMetadata) -> None:
    with transaction(conn):
        conn.execute(
            f"INSERT INTO runs ({_COLUMNS}) VALUES ({', '.join('?' for _ in _FIELDS)})",
            _params(meta),
        )


def close_unfinished(conn: sqlite3.Connection, current: str) -> int:
    """Runs other than ``current`` with no stop: they ended at their last event, uncleanly."""
    with transaction(conn):
        cur = conn.execute(
            "UPDATE runs SET exit_reason = ?, stopped_ms = MAX(started_ms, COALESCE("
            " (SELECT MAX(ts_ms) FROM run_events e WHERE e.run_id = runs.run_id), started_ms))"
            " WHERE stopped_ms IS NULL AND run_id != ?",
            (UNCLEAN, current),
        )
    return cur.rowcount


def append_events(
    conn: sqlite3.Connection, run_id: str, rows: Sequence[EventRow], lost: int
) -> None:
    """One durable batch; the run's counters move with it."""
    with transaction(conn):
        conn.executemany(
            "INSERT INTO run_events (run_id, seq, ts_ms, kind, data) VALUES (?, ?, ?, ?, ?)",
            rows,
        )
        conn.execute(
            "UPDATE runs SET event_count = event_count + ?, events_lost = ? WHERE run_id = ?",
            (len(rows), lost, run_id),
        )


def stop_run(
    conn: sqlite3.Connection, run_id: str, *, stopped_ms: int, exit_reason: str, lost: int
) -> None:
    with transaction(conn):
        conn.execute(
            "UPDATE runs SET stopped_ms = ?, exit_reason = ?, events_lost = ? WHERE run_id = ?",
            (stopped_ms, exit_reason, lost, run_id),
        )


def prune(conn: sqlite3.Connection, before_ms: int) -> int:
    """Delete runs that stopped before ``before_ms``, with their events; returns how many."""
    with transaction(conn):
        old = [
            r for (r,) in conn.execute("SELECT run_id FROM runs WHERE stopped_ms < ?", (before_ms,))
        ]
        for run_id in old:
            conn.execute("DELETE FROM run_events WHERE run_id = ?", (run_id,))
            conn.execute("DELETE FROM runs WHERE run_id = ?", (run_id,))
    return len(old)


def recent_runs(conn: sqlite3.Connection, limit: int = 20) -> list[LiveRunMetadata]:
    """Newest first."""
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM runs ORDER BY started_ms DESC, run_id DESC LIMIT ?", (limit,)
    ).fetchall()
    return [_meta(r) for r in rows]


def get_run(conn: sqlite3.Connection, run_id: str) -> LiveRunMetadata | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM runs WHERE run_id = ?", (run_id,)).fetchone()
    return None if row is None else _meta(row)


def latest_run_id(conn: sqlite3.Connection) -> str | None:
    row = conn.execute(
        "SELECT run_id FROM runs ORDER BY started_ms DESC, run_id DESC LIMIT 1"
    ).fetchone()
    return None if row is None else str(row[0])


def kind_counts(conn: sqlite3.Connection, run_id: str) -> dict[str, int]:
    rows = conn.execute(
        "SELECT kind, COUNT(*) FROM run_events WHERE run_id = ? GROUP BY kind", (run_id,)
    ).fetchall()
    return {str(kind): int(n) for kind, n in rows}


def events_after(
    conn: sqlite3.Connection, run_id: str, *, after_seq: int, kind: str | None, limit: int
) -> list[tuple[int, int, str, str]]:
    """(seq, ts_ms, kind, data) after ``after_seq``, oldest first."""
    if kind is None:
        sql = (
            "SELECT seq, ts_ms, kind, data FROM run_events WHERE run_id = ? AND seq > ?"
            " ORDER BY seq LIMIT ?"
        )
        args: tuple[object, ...] = (run_id, after_seq, limit)
    else:
        sql = (
            "SELECT seq, ts_ms, kind, data FROM run_events"
            " WHERE run_id = ? AND kind = ? AND seq > ? ORDER BY seq LIMIT ?"
        )
        args = (run_id, kind, after_seq, limit)
    return [(int(s), int(t), str(k), str(d)) for s, t, k, d in conn.execute(sql, args)]


def iter_events(
    conn: sqlite3.Connection, run_id: str, kinds: Sequence[str]
) -> Iterator[tuple[int, str, bytes]]:
    """(ts_ms, kind, data as bytes) of the given kinds in seq order, streamed (the report)."""
    marks = ", ".join("?" for _ in kinds)
    cur = conn.execute(
        f"SELECT ts_ms, kind, CAST(data AS BLOB) FROM run_events"
        f" WHERE run_id = ? AND kind IN ({marks}) ORDER BY seq",
        (run_id, *kinds),
    )
    for ts_ms, kind, data in cur:
        yield int(ts_ms), str(kind), bytes(data)


def _params(m: LiveRunMetadata) -> tuple[object, ...]:
    return msgspec.structs.astuple(m)


def _meta(row: tuple[object, ...]) -> LiveRunMetadata:
    return msgspec.convert(dict(zip(_FIELDS, row, strict=True)), LiveRunMetadata)
