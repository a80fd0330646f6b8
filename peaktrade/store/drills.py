"""The drill log: one row per executed drill (``peaktrade drill``), newest listed first.

Written by the drill command into the state database of the deployment it was pointed at, read
by that deployment's daemon for ``ptctl drills``; WAL lets both use the file at once.
"""

from __future__ import annotations

import sqlite3

import msgspec

from peaktrade.drills.model import DrillCheck, DrillResult
from peaktrade.store.db import transaction

TABLES = (
    """
    CREATE TABLE IF NOT EXISTS drills (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        scenario TEXT NOT NULL,
        title TEXT NOT NULL,
        started_ms INTEGER NOT NULL,
        ended_ms INTEGER NOT NULL,
        passed INTEGER NOT NULL,
        summary TEXT NOT NULL,
        checks TEXT NOT NULL,
        version TEXT NOT NULL DEFAULT ''
    )
    """,
    "CREATE INDEX IF NOT EXISTS drills_started ON drills (started_ms)",
)

_checks_decoder = msgspec.json.Decoder(list[DrillCheck])


def record(conn: sqlite3.Connection, result: DrillResult) -> int:
    """Append one drill; returns its id."""
    with transaction(conn):
        cur = conn.execute(
            "INSERT INTO drills (scenario, title, started_ms, ended_ms, passed, summary, checks,"
            " version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                result.scenario,
                result.title,
                result.started_ms,
                result.ended_ms,
                int(result.passed),
                result.summary,
                msgspec.json.encode(result.checks).decode(),
                result.version,
            ),
        )
    return int(cur.lastrowid or 0)


def recent(
    conn: sqlite3.Connection, limit: int = 20, scenario: str | None = None
) -> list[tuple[int, DrillResult]]:
    """The newest drills (id, result), optionally of one scenario."""
    where, params = ("WHERE scenario = ?", [scenario]) if scenario else ("", [])
    rows = conn.execute(
        "SELECT id, scenario, title, started_ms, ended_ms, passed, summary, checks, version"
        f" FROM drills {where} ORDER BY started_ms DESC, id DESC LIMIT ?",
        (*params, limit),
    ).fetchall()
    return [
        (
            int(r[0]),
            DrillResult(
                scenario=r[1],
                title=r[2],
                started_ms=int(r[3]),
                ended_ms=int(r[4]),
                passed=bool(r[5]),
                summary=r[6],
                checks=_checks_decoder.decode(r[7]),
                version=r[8],
            ),
        )
        for r in rows
    ]
