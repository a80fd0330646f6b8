"""A trading-state change and the audit entry of the command that asked for it are one
transaction: one flush before the kill is acknowledged, and never one without the other."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from peaktrade.core import trading_state as ts
from peaktrade.store import audit, trading_state
from peaktrade.store.db import connect

KILL = ts.kill(
    ts.TradingState.ACTIVE, reason="drill", actor=ts.Actor("ptctl", 1000, 42), now_ms=1_000
)


def entry(detail: object = '{"reason":"drill"}') -> audit.AuditEntry:
    return audit.AuditEntry(1_000, "kill", "kill", 1000, 1000, 42, "ok", detail)  # type: ignore[arg-type]


def test_the_change_and_its_audit_entry_are_written_together(tmp_path: Path) -> None:
    conn = connect(tmp_path / "s.sqlite3")
    trading_state.save_change(conn, KILL, entry())
    current = trading_state.load_current(conn)
    assert current is not None and current.state is ts.TradingState.HALTED
    assert [(e.command, e.outcome) for e in audit.recent(conn)] == [("kill", "ok")]


def test_an_audit_entry_that_cannot_be_written_leaves_the_state_unchanged(
    tmp_path: Path,
) -> None:
    conn = connect(tmp_path / "s.sqlite3")
    with pytest.raises(sqlite3.IntegrityError):
        trading_state.save_change(conn, KILL, entry(detail=None))  # NOT NULL refuses it
    assert trading_state.load_current(conn) is None  # still the initial ACTIVE
    assert audit.recent(conn) == []
