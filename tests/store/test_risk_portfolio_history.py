"""Portfolio snapshots are kept as history and read back whole."""

from __future__ import annotations

from pathlib import Path

from msgspec.structs import replace

from peaktrade.store import portfolio_history as store
from peaktrade.store.db import connect
from tests.core.risk_support import snapshot

SNAP = snapshot({"BTC/USDT": 1.0, "ETH/USDT": -2.0}).portfolio


def test_snapshot_round_trips(tmp_path: Path) -> None:
    conn = connect(tmp_path / "s.sqlite3")
    store.record(conn, SNAP)
    assert store.latest(conn) == SNAP


def test_history_since_is_oldest_first(tmp_path: Path) -> None:
    conn = connect(tmp_path / "s.sqlite3")
    for ts in (3, 1, 2):
        store.record(conn, replace(SNAP, ts_ms=ts))
    assert [s.ts_ms for s in store.history(conn, since_ms=2)] == [2, 3]


def test_history_limit_keeps_the_newest(tmp_path: Path) -> None:
    conn = connect(tmp_path / "s.sqlite3")
    for ts in range(5):
        store.record(conn, replace(SNAP, ts_ms=ts))
    assert [s.ts_ms for s in store.history(conn, limit=2)] == [3, 4]


def test_prune_drops_old_snapshots(tmp_path: Path) -> None:
    conn = connect(tmp_path / "s.sqlite3")
    for ts in range(5):
        store.record(conn, replace(SNAP, ts_ms=ts))
    assert store.prune(conn, before_ms=3) == 3
    assert [s.ts_ms for s in store.history(conn)] == [3, 4]
