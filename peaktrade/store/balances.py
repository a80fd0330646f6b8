"""The balance baseline: what the exchange held at the last reconciliation, and up to which fill.

At the next start the journal must explain the difference: baseline plus every fill since.
"""

from __future__ import annotations

import sqlite3

import msgspec

from peaktrade.store.db import transaction

TABLES = (
    """
    CREATE TABLE IF NOT EXISTS balance_baseline (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        balances TEXT NOT NULL,
        fills_through_ms INTEGER NOT NULL,
        at_ms INTEGER NOT NULL
    )
    """,
)


class Baseline(msgspec.Struct, frozen=True):
    balances: dict[str, float]  # total (free + locked) per asset
    fills_through_ms: int  # fills at or before this time are already in the balances
    at_ms: int


def save(conn: sqlite3.Connection, baseline: Baseline) -> None:
    with transaction(conn):
        conn.execute(
            "INSERT INTO balance_baseline (id, balances, fills_through_ms, at_ms)"
            " VALUES (1, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET balances = excluded.balances,"
            " fills_through_ms = excluded.fills_through_ms, at_ms = excluded.at_ms",
            (
                msgspec.json.encode(baseline.balances).decode(),
                baseline.fills_through_ms,
                baseline.at_ms,
            ),
        )


def load(conn: sqlite3.Connection) -> Baseline | None:
    row = conn.execute(
        "SELECT balances, fills_through_ms, at_ms FROM balance_baseline WHERE id = 1"
    ).fetchone()
    if row is None:
        return None
    return Baseline(
        balances=msgspec.json.decode(row[0], type=dict[str, float]),
        fills_through_ms=int(row[1]),
        at_ms=int(row[2]),
    )
