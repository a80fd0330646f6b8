"""Alert history: every alert dispatched, its repeat count, its acks, every delivery attempt.

Written in batches by the alert dispatcher, never on the emitting path. Levels are stored with
their rank so ``--level WARNING`` means WARNING and worse.
"""

from __future__ import annotations

import json
import sqlite3
from typing import cast

import msgspec

from peaktrade.store.db import transaction

TABLES = (
    """
    CREATE TABLE IF NOT EXISTS alerts (
        id TEXT PRIMARY KEY,
        at_ms INTEGER NOT NULL,
        level TEXT NOT NULL,
        level_rank INTEGER NOT NULL,
        source TEXT NOT NULL,
        code TEXT NOT NULL,
        title TEXT NOT NULL,
        message TEXT NOT NULL,
        context TEXT NOT NULL,
        dedupe_key TEXT NOT NULL,
        mode TEXT NOT NULL,
        network TEXT NOT NULL,
        run_id TEXT NOT NULL,
        runbook TEXT NOT NULL,
        resolved INTEGER NOT NULL DEFAULT 0,
        stateful INTEGER NOT NULL DEFAULT 0,
        routed TEXT NOT NULL,
        count INTEGER NOT NULL DEFAULT 1,
        last_at_ms INTEGER NOT NULL,
        acked_at_ms INTEGER,
        acked_by TEXT
    )
    """,
    "CREATE INDEX IF NOT EXISTS alerts_at ON alerts (at_ms)",
    "CREATE INDEX IF NOT EXISTS alerts_condition ON alerts (stateful, dedupe_key)",
    """
    CREATE TABLE IF NOT EXISTS alert_deliveries (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        alert_id TEXT NOT NULL,
        sink TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        at_ms INTEGER NOT NULL,
        status TEXT NOT NULL,
        error TEXT NOT NULL,
        duration_ms INTEGER NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS alert_deliveries_alert ON alert_deliveries (alert_id)",
)


class AlertRow(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One alert as stored; ``count`` is 1 plus the repeats folded into it by dedupe."""

    id: str
    at_ms: int
    level: str
    level_rank: int
    source: str
    code: str
    title: str
    message: str
    context: dict[str, str | int | float | bool]
    dedupe_key: str
    mode: str
    network: str
    run_id: str
    runbook: str
    resolved: bool
    stateful: bool
    routed: list[str]  # sinks chosen by routing when it was dispatched
    count: int = 1
    last_at_ms: int
    acked_at_ms: int | None = None
    acked_by: str | None = None


class DeliveryRow(msgspec.Struct, frozen=True, kw_only=True):
    """One attempt (or drop) of one alert at one sink."""

    alert_id: str
    sink: str
    attempt: int
    at_ms: int
    status: str
    error: str
    duration_ms: int


class OpenConditionRow(msgspec.Struct, frozen=True):
    dedupe_key: str
    code: str
    level: str
    peak_rank: int


_json = msgspec.json.Encoder()

_ALERT_COLUMNS = (
    "id, at_ms, level, level_rank, source, code, title, message, context, dedupe_key, mode,"
    " network, run_id, runbook, resolved, stateful, routed, count, last_at_ms, acked_at_ms,"
    " acked_by"
)


AlertParams = tuple[object, ...]
DeliveryParams = tuple[str, str, int, int, str, str, int]
RepeatParams = tuple[int, int, str]  # (more occurrences, the latest at_ms, alert id)


def write_batch(
    conn: sqlite3.Connection,
    alerts: list[AlertParams],
    repeats: list[RepeatParams],
    deliveries: list[DeliveryParams],
) -> None:
    """All of it in one transaction: alerts first, so repeats and deliveries find their row.

    Rows arrive already encoded (``new_alert_params``/``delivery_params``, repeats as tuples, built
    on the caller's thread): this runs on the DB thread and must not hold the GIL long in
    Python code, or the event loop waits for it.
    """
    with transaction(conn):
        conn.executemany(
            f"INSERT OR IGNORE INTO alerts ({_ALERT_COLUMNS})"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            alerts,
        )
        conn.executemany(
            "UPDATE alerts SET count = count + ?, last_at_ms = MAX(last_at_ms, ?) WHERE id = ?",
            repeats,
        )
        conn.executemany(
            "INSERT INTO alert_deliveries"
            " (alert_id, sink, attempt, at_ms, status, error, duration_ms)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            deliveries,
        )


def recent(
    conn: sqlite3.Connection, *, since_ms: int | None = None, min_rank: int = 0, limit: int = 100
) -> list[AlertRow]:
    """Newest first."""
    rows = conn.execute(
        f"SELECT {_ALERT_COLUMNS} FROM alerts"
        " WHERE at_ms >= ? AND level_rank >= ? ORDER BY at_ms DESC, rowid DESC LIMIT ?",
        (since_ms if since_ms is not None else 0, min_rank, limit),
    ).fetchall()
    return [_alert_row(r) for r in rows]


def get(conn: sqlite3.Connection, alert_id: str) -> AlertRow | None:
    row = conn.execute(
        f"SELECT {_ALERT_COLUMNS} FROM alerts WHERE id = ?",
        (alert_id,),
    ).fetchone()
    return _alert_row(row) if row else None


def deliveries(conn: sqlite3.Connection, alert_id: str) -> list[DeliveryRow]:
    """Oldest first: the story of one alert's delivery."""
    rows = conn.execute(
        "SELECT alert_id, sink, attempt, at_ms, status, error, duration_ms"
        " FROM alert_deliveries WHERE alert_id = ? ORDER BY id",
        (alert_id,),
    ).fetchall()
    return [DeliveryRow(**dict(zip(DeliveryRow.__struct_fields__, r, strict=True))) for r in rows]


def ack(conn: sqlite3.Connection, alert_id: str, by: str, at_ms: int) -> AlertRow | None:
    """Mark acknowledged (the first ack stands); None when there is no such alert."""
    with transaction(conn):
        conn.execute(
            "UPDATE alerts SET acked_at_ms = ?, acked_by = ? WHERE id = ? AND acked_at_ms IS NULL",
            (at_ms, by, alert_id),
        )
    return get(conn, alert_id)


def open_conditions(conn: sqlite3.Connection) -> list[OpenConditionRow]:
    """State alerts whose latest event is not a recovery, with their peak level since opening."""
    rows = conn.execute(
        "SELECT a.dedupe_key, a.code, a.level,"
        " (SELECT MAX(b.level_rank) FROM alerts b WHERE b.stateful = 1"
        "  AND b.dedupe_key = a.dedupe_key AND b.rowid > COALESCE((SELECT MAX(c.rowid)"
        "  FROM alerts c WHERE c.stateful = 1 AND c.dedupe_key = a.dedupe_key"
        "  AND c.resolved = 1), 0))"
        " FROM alerts a JOIN (SELECT dedupe_key, MAX(rowid) AS last FROM alerts"
        "  WHERE stateful = 1 GROUP BY dedupe_key) l ON a.rowid = l.last"
        " WHERE a.resolved = 0 ORDER BY a.rowid"
    ).fetchall()
    return [OpenConditionRow(str(k), str(c), str(lv), int(p)) for k, c, lv, p in rows]


def delete_before(conn: sqlite3.Connection, before_ms: int) -> int:
    """Retention: drop alerts older than ``before_ms`` and their deliveries; returns the count."""
    with transaction(conn):
        conn.execute(
            "DELETE FROM alert_deliveries WHERE alert_id IN"
            " (SELECT id FROM alerts WHERE at_ms < ?)",
            (before_ms,),
        )
        cur = conn.execute("DELETE FROM alerts WHERE at_ms < ?", (before_ms,))
    return cur.rowcount


def new_alert_params(
    alert_id: str,
    at_ms: int,
    level: str,
    level_rank: int,
    source: str,
    code: str,
    title: str,
    message: str,
    context: dict[str, str | int | float | bool],
    dedupe_key: str,
    mode: str,
    network: str,
    run_id: str,
    runbook: str,
    resolved: bool,
    stateful: bool,
    routed: list[str],
) -> AlertParams:
    """A new alert's row (count 1, not acked) as ``write_batch`` takes it.

    Positional and flat: the dispatcher encodes every alert of a storm with it, on the loop.
    """
    return (
        alert_id,
        at_ms,
        level,
        level_rank,
        source,
        code,
        title,
        message,
        _json.encode(context).decode() if context else "{}",
        dedupe_key,
        mode,
        network,
        run_id,
        runbook,
        int(resolved),
        int(stateful),
        _json.encode(routed).decode(),
        1,
        at_ms,
        None,
        None,
    )


_COLUMN = {name.strip(): n for n, name in enumerate(_ALERT_COLUMNS.split(","))}


def with_repeats(params: AlertParams, count: int, last_at_ms: int) -> AlertParams:
    """A new alert's row with ``count`` repeats folded in, the latest at ``last_at_ms``."""
    row = list(params)
    row[_COLUMN["count"]] = 1 + count
    row[_COLUMN["last_at_ms"]] = max(cast(int, params[_COLUMN["at_ms"]]), last_at_ms)
    return tuple(row)


def delivery_params(d: DeliveryRow) -> DeliveryParams:
    """The attempt as ``write_batch`` takes it."""
    return (d.alert_id, d.sink, d.attempt, d.at_ms, d.status, d.error, d.duration_ms)


def _alert_row(row: tuple[object, ...]) -> AlertRow:
    values = dict(zip(AlertRow.__struct_fields__, row, strict=True))
    values["context"] = json.loads(str(values["context"]))
    values["routed"] = json.loads(str(values["routed"]))
    values["resolved"] = bool(values["resolved"])
    values["stateful"] = bool(values["stateful"])
    return msgspec.convert(values, AlertRow)
