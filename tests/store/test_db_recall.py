"""`Database.recall` answers a repeated read from memory only while nothing else has run."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import anyio
import anyio.from_thread
import anyio.lowlevel

from peaktrade.store.db import Database


def _setup(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE t (x INTEGER)")


def count(conn: sqlite3.Connection, *, above: int = 0) -> int:
    reads.append(above)
    (n,) = conn.execute("SELECT COUNT(*) FROM t WHERE x > ?", [above]).fetchone()
    return int(n)


def insert(conn: sqlite3.Connection, x: int) -> None:
    conn.execute("INSERT INTO t VALUES (?)", [x])


reads: list[int] = []


async def test_a_quiet_database_answers_from_memory(tmp_path: Path) -> None:
    db = Database(tmp_path / "x.sqlite3")
    await db.call(_setup)
    reads.clear()
    assert await db.recall(count) == 0
    assert await db.recall(count) == 0
    assert reads == [0]  # the second answer did not touch SQLite


async def test_any_call_in_between_forgets_the_answer(tmp_path: Path) -> None:
    db = Database(tmp_path / "x.sqlite3")
    await db.call(_setup)
    assert await db.recall(count) == 0
    await db.call(insert, 5)
    assert await db.recall(count) == 1  # not the stale 0
    assert await db.recall(count, above=7) == 0  # other arguments are another question
    assert await db.recall(count) == 1


async def test_no_answer_from_memory_while_a_call_is_running(tmp_path: Path) -> None:
    """A write still on the worker thread may already have changed the rows."""
    db = Database(tmp_path / "x.sqlite3")
    await db.call(_setup)
    assert await db.recall(count) == 0
    started, release = anyio.Event(), anyio.Event()
    token = anyio.lowlevel.current_token()

    def slow_insert(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO t VALUES (1)")
        anyio.from_thread.run_sync(started.set, token=token)
        anyio.from_thread.run(release.wait, token=token)

    seen: list[int] = []
    async with anyio.create_task_group() as tg:
        tg.start_soon(db.call, slow_insert)
        await started.wait()

        async def ask() -> None:
            seen.append(await db.recall(count))

        tg.start_soon(ask)
        await anyio.sleep(0.05)
        assert seen == []  # it waits its turn on the lane instead of answering 0
        release.set()
    assert seen == [1]
