"""The state database: one SQLite file per network, WAL, synchronous=FULL.

Every write that an acknowledgement depends on (kill switch, journal) is committed and fsynced
before the caller continues. The daemon talks to SQLite from one worker thread at a time, so the
event loop never waits on a disk flush and writes keep their order.
"""

from __future__ import annotations

import math
import sqlite3
import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar, cast

import anyio
import anyio.to_thread

from peaktrade.store import schema

P = ParamSpec("P")
T = TypeVar("T")


def db_path(state_dir: Path, network: str) -> Path:
    """One database per network, so testnet state can never leak into live."""
    return state_dir / f"peaktrade-{network}.sqlite3"


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating if needed) with the durability settings, and the schema applied."""
    conn = open_connection(path)
    schema.apply(conn)
    return conn


def open_connection(path: Path) -> sqlite3.Connection:
    """A connection with the durability settings the kill switch relies on; every connection
    to the state database is opened here, so none of them can flush less than the others."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10.0)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=10000")
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


class StoreFailed(Exception):
    """The disk refused a write or a flush: nothing more may be trusted to this database."""


# SQLite's words for the storage itself failing (SQLITE_IOERR*, SQLITE_FULL, SQLITE_CANTOPEN);
# a busy lock or a constraint is not a storage failure and is raised as it is.
_STORAGE = ("disk i/o error", "database or disk is full", "unable to open", "disk is full")


def is_storage_failure(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.Error) and any(w in str(exc).lower() for w in _STORAGE)


CHECKPOINT_INTERVAL_S = 1.0
CHECKPOINT_LULL_S = 0.05  # the lane idle this long: a commit is unlikely to come mid-checkpoint
CHECKPOINT_MAX_WAIT_S = 10.0  # a lane busy for longer gets its checkpoint all the same


def _checkpoint(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()


class Database:
    """A connection plus the single-file lane that all daemon access goes through.

    WAL checkpoints run off the lane (``checkpoints``): left to SQLite, every thousandth
    commit copies the log into the database and flushes it twice more before it returns, and
    that commit is as likely to be a kill as anything else.

    Fail-stop on storage errors: after one failed write or fsync, every later call raises
    StoreFailed without touching the file. A failed fsync is never retried (the kernel may
    already have dropped the dirty pages; a retry that "succeeds" would be a lie): the daemon
    stops and a restart recovers from the WAL and reconciles with the exchange.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.conn = connect(path)
        self.conn.execute("PRAGMA wal_autocheckpoint=0")  # see ``checkpoints``
        self._lane = anyio.CapacityLimiter(1)
        self.failed: BaseException | None = None
        self.failure_listeners: list[Callable[[BaseException], None]] = []
        self._running = 0  # calls entered and not yet returned
        self._last_call_s = -math.inf  # monotonic time the latest call returned
        self._recalled: dict[Hashable, object] = {}

    async def call(
        self,
        fn: Callable[Concatenate[sqlite3.Connection, P], T],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """Run ``fn(conn, ...)`` on the worker thread; cancellation waits for it to finish."""
        if self.failed is not None:
            raise StoreFailed(f"the state database failed earlier: {self.failed}")
        self._recalled.clear()  # any call may write
        self._running += 1
        try:
            return await anyio.to_thread.run_sync(
                partial(fn, self.conn, *args, **kwargs), limiter=self._lane
            )
        except sqlite3.Error as exc:
            if not is_storage_failure(exc):
                raise
            self._fail(exc)
            raise StoreFailed(f"the state database failed: {exc}") from exc
        finally:
            self._running -= 1
            self._last_call_s = time.monotonic()

    def _fail(self, exc: BaseException) -> None:
        if self.failed is None:
            self.failed = exc
            for listener in self.failure_listeners:
                listener(exc)

    async def checkpoints(
        self,
        interval_s: float = CHECKPOINT_INTERVAL_S,
        *,
        lull_s: float = CHECKPOINT_LULL_S,
        max_wait_s: float = CHECKPOINT_MAX_WAIT_S,
    ) -> None:
        """Copy the WAL into the database every ``interval_s``, in a lull, until cancelled.

        A connection and a thread of its own: a PASSIVE checkpoint takes no lock a writer
        waits for, so commits on the lane (the kill among them) flush only the log. Its flush
        of the database file still shares the disk with theirs, so it waits until the lane
        has been idle for ``lull_s`` (at most ``max_wait_s``): a kill tends to come when the
        daemon is busy, not in its lulls. A storage error here fails the database as one on
        the lane does.
        """
        conn = open_connection(self.path)
        lane = anyio.CapacityLimiter(1)
        try:
            while self.failed is None:
                await anyio.sleep(interval_s)
                with anyio.move_on_after(max_wait_s):
                    while (wait_s := self._until_lull_s(lull_s)) > 0:  # noqa: ASYNC110 - a lull is time
                        await anyio.sleep(wait_s)
                try:
                    await anyio.to_thread.run_sync(_checkpoint, conn, limiter=lane)
                except sqlite3.Error as exc:
                    if is_storage_failure(exc):
                        self._fail(exc)
                        return
                    # busy or locked: the next round tries again
        finally:
            conn.close()

    def _until_lull_s(self, lull_s: float) -> float:
        """How much longer until the lane has been idle for ``lull_s`` (a call is running: all)."""
        if self._running:
            return lull_s
        return lull_s - (time.monotonic() - self._last_call_s)

    async def recall(
        self,
        fn: Callable[Concatenate[sqlite3.Connection, P], T],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """A read answered from memory while no other call has run or is running since it was
        last made, else as ``call``.

        Exact, not a timed cache: every call clears it, as every call may write. A thread hop is
        most of the cost of a small read (about 0.2 ms), so a status query asked again on a
        quiet database need not pay it.
        """
        key = (fn, args, tuple(sorted(kwargs.items())))
        if not self._running and key in self._recalled:
            return cast(T, self._recalled[key])
        value = await self.call(fn, *args, **kwargs)
        if not self._running:  # nothing ran after it: the answer still holds
            self._recalled[key] = value
        return value

    def close(self) -> None:
        self.conn.close()
