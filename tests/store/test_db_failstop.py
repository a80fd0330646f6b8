"""The state database is fail-stop: after one storage error nothing touches it again."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from peaktrade.store.db import Database, StoreFailed, is_storage_failure


async def test_a_storage_error_is_never_retried(tmp_path: Path) -> None:
    db = Database(tmp_path / "x.sqlite3")
    calls: list[str] = []
    seen: list[BaseException] = []
    db.failure_listeners.append(seen.append)

    def failing_write(conn: sqlite3.Connection) -> None:
        calls.append("write")
        raise sqlite3.OperationalError("disk I/O error")  # what SQLite says when fsync fails

    def read(conn: sqlite3.Connection) -> int:
        calls.append("read")
        return 1

    with pytest.raises(StoreFailed):
        await db.call(failing_write)
    with pytest.raises(StoreFailed, match="failed earlier"):
        await db.call(read)
    assert calls == ["write"]  # the later call never reached SQLite
    assert len(seen) == 1  # the daemon is told once


async def test_ordinary_errors_are_not_storage_failures(tmp_path: Path) -> None:
    db = Database(tmp_path / "x.sqlite3")

    def bad_sql(conn: sqlite3.Connection) -> None:
        conn.execute("SELECT * FROM no_such_table")

    with pytest.raises(sqlite3.OperationalError):
        await db.call(bad_sql)
    assert db.failed is None  # a bug is not a disk failure: the database stays in use
    assert is_storage_failure(sqlite3.OperationalError("database or disk is full"))
    assert not is_storage_failure(sqlite3.IntegrityError("UNIQUE constraint failed"))
