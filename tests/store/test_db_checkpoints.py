"""WAL checkpoints run off the DB lane: a commit (a kill) flushes the log only."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path

import anyio
import pytest

from peaktrade.store.db import Database, StoreFailed

ROWS = 3000
BLOB = b"x" * 2000  # about 1.5 pages a row: the rows fill well past 1000 WAL pages


def _table(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE t (b BLOB)")


def _insert(conn: sqlite3.Connection) -> None:
    conn.execute("INSERT INTO t VALUES (?)", [BLOB])


def rows_in_the_database_file(path: Path) -> int:
    """What a checkpoint has copied: read the main file alone, ignoring the WAL."""
    ro = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    try:
        (n,) = ro.execute("SELECT COUNT(*) FROM t").fetchone()
    except sqlite3.OperationalError:  # the table itself is still only in the WAL
        n = 0
    finally:
        ro.close()
    return int(n)


async def test_commits_on_the_lane_do_not_checkpoint(tmp_path: Path) -> None:
    db = Database(tmp_path / "x.sqlite3")
    await db.call(_table)
    for _ in range(ROWS):
        await db.call(_insert)
    # SQLite's own rule would have copied the log into the file at 1000 pages
    assert rows_in_the_database_file(db.path) == 0
    db.close()


async def _hundred_rows(tmp_path: Path) -> Database:
    """A database whose hundred rows are in the WAL alone."""
    db = Database(tmp_path / "x.sqlite3")
    await db.call(_table)
    for _ in range(100):
        await db.call(_insert)
    return db


async def _copied(db: Database) -> None:
    """Until a checkpoint has copied the hundred rows into the database file."""
    with anyio.fail_after(10):
        while rows_in_the_database_file(db.path) < 100:
            await anyio.sleep(0.02)


async def test_the_checkpointer_copies_the_log_into_the_database(tmp_path: Path) -> None:
    db = await _hundred_rows(tmp_path)
    async with anyio.create_task_group() as tg:
        tg.start_soon(db.checkpoints, 0.02)
        await _copied(db)
        tg.cancel_scope.cancel()
    db.close()


async def test_a_storage_error_in_the_checkpointer_fails_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The checkpointer flushes the database file: EIO there is the disk failing, as on the
    lane, and nothing more may be trusted to it."""
    db = Database(tmp_path / "x.sqlite3")
    seen: list[BaseException] = []
    db.failure_listeners.append(seen.append)

    def eio(conn: sqlite3.Connection) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr("peaktrade.store.db._checkpoint", eio)
    with anyio.fail_after(10):
        await db.checkpoints(0.01)  # returns once the database has failed
    assert len(seen) == 1
    with pytest.raises(StoreFailed, match="failed earlier"):
        await db.call(_table)
    db.close()


@asynccontextmanager
async def _lane_held(db: Database, *, max_wait_s: float) -> AsyncIterator[threading.Event]:
    """The checkpointer at work while one lane call lasts until the yielded event is set."""
    release = threading.Event()

    async def hold() -> None:
        await db.call(lambda conn: release.wait(10))

    async with anyio.create_task_group() as tg:
        tg.start_soon(hold)
        tg.start_soon(partial(db.checkpoints, 0.01, lull_s=0.02, max_wait_s=max_wait_s))
        try:
            yield release
        finally:
            release.set()
            tg.cancel_scope.cancel()


async def test_a_checkpoint_waits_for_a_lull_in_the_lane(tmp_path: Path) -> None:
    """Its flush shares the disk with the lane's commits: not while a call runs."""
    db = await _hundred_rows(tmp_path)
    async with _lane_held(db, max_wait_s=30.0) as release:
        await anyio.sleep(0.3)  # thirty intervals, all of them with a call running
        assert rows_in_the_database_file(db.path) == 0
        release.set()
        await _copied(db)
    db.close()


async def test_a_lane_busy_past_the_longest_wait_gets_its_checkpoint(tmp_path: Path) -> None:
    db = await _hundred_rows(tmp_path)
    async with _lane_held(db, max_wait_s=0.1):
        await _copied(db)  # while the call still holds the lane
    db.close()
