"""The state database: one SQLite file per network, WAL, synchronous=FULL.

Every write that an acknowledgement depends on (kill switch, journal) is committed and fsynced
before the caller continues. The daemon talks to SQLite from one worker thread at a time, so the
event loop never waits on a disk flush and writes keep their order.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

import anyio
import anyio.to_thread

from peaktrade.store import schema

P = ParamSpec("P")
T = TypeVar("T")


def db_path(state_dir: Path, network: str) -> Path:
    """One database per network, so testnet state can never leak into live."""
    return state_dir / f"peaktrade-{network}.sqlite3"


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating if needed) with the durability settings the kill switch relies on."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10.0)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=10000")
    schema.apply(conn)
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any error; COMMIT is the durable point."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


class Database:
    """A connection plus the single-file lane that all daemon access goes through."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.conn = connect(path)
        self._lane = anyio.CapacityLimiter(1)

    async def call(
        self,
        fn: Callable[Concatenate[sqlite3.Connection, P], T],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """Run ``fn(conn, ...)`` on the worker thread; cancellation waits for it to finish."""
        return await anyio.to_thread.run_sync(
            partial(fn, self.conn, *args, **kwargs), limiter=self._lane
        )

    def close(self) -> None:
        self.conn.close()
