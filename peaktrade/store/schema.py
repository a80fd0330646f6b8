"""Table definitions, applied idempotently at open.

Each store module owns its tables in a ``TABLES`` tuple of ``CREATE ... IF NOT EXISTS``
statements; this list of modules is the one place that knows them all.
"""

from __future__ import annotations

import importlib
import sqlite3

MODULES: tuple[str, ...] = (
    "peaktrade.store.trading_state",
    "peaktrade.store.audit",
    "peaktrade.store.journal",
    "peaktrade.store.triggers",
    "peaktrade.store.balances",
    "peaktrade.store.alerts",
    "peaktrade.store.violations",
    "peaktrade.store.portfolio_history",
    "peaktrade.store.trading_day",
    "peaktrade.store.runs",
    "peaktrade.store.drills",
    "peaktrade.stages.store",
)


def all_tables() -> list[str]:
    """Every module's DDL; imported lazily so store modules may import ``db`` freely."""
    tables: list[str] = []
    for name in MODULES:
        tables.extend(importlib.import_module(name).TABLES)
    return tables


def apply(conn: sqlite3.Connection) -> None:
    """Create missing tables and indexes in one transaction."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        for ddl in all_tables():
            conn.execute(ddl)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
