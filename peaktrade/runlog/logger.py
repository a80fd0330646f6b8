"""The run logger: one run per daemon start, its typed events written in batches.

``record`` is called from the parts' listeners on the event loop: it encodes the event and
appends it to a bounded buffer, never blocks and never raises. ``run`` writes the buffer every
``flush_interval_s`` in batches small enough that the kill switch, which shares the database
lane, never waits long behind one. The run log is an account of what happened, not a
source of truth: a crash loses at most the last interval (the journal keeps every order).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable
from pathlib import Path

import anyio
import msgspec

from peaktrade.log import get_logger
from peaktrade.runlog.config import RunLogConfig
from peaktrade.runlog.events import LiveRunMetadata, RunEventBody, RunStarted, RunStopped, kind_of
from peaktrade.runlog.jsonl import JsonlWriter
from peaktrade.store import runs
from peaktrade.store.db import Database, StoreFailed

log = get_logger("peaktrade.runlog")

BATCH_ROWS = 500  # per database call
_DAY_MS = 86_400_000
_encoder = msgspec.json.Encoder()


class LiveRunLogger:
    def __init__(
        self,
        db: Database,
        meta: LiveRunMetadata,
        config: RunLogConfig,
        *,
        now_ms: Callable[[], int],
        jsonl_path: Path | None = None,
    ) -> None:
        self.db = db
        self.meta = meta
        self.config = config
        self.now_ms = now_ms
        self.jsonl = JsonlWriter(jsonl_path) if jsonl_path is not None else None
        self.seq = 0
        self.written = 0
        self.lost = 0  # refused because the buffer was full, or failed to encode
        self.counts: dict[str, int] = {}  # recorded per kind (metrics)
        self._pending: list[runs.EventRow] = []
        self._lock = anyio.Lock()

    @property
    def run_id(self) -> str:
        return self.meta.run_id

    def record(self, body: RunEventBody, ts_ms: int | None = None) -> int:
        """Queue one event; returns its seq, or 0 when it was lost. Never raises."""
        try:
            if len(self._pending) >= self.config.max_pending:
                self.lost += 1
                return 0
            kind = kind_of(body)
            data = _encoder.encode(body).decode()
            at = self.now_ms() if ts_ms is None else ts_ms
            self.seq += 1
            self._pending.append((self.meta.run_id, self.seq, at, kind, data))
            self.counts[kind] = self.counts.get(kind, 0) + 1
            return self.seq
        except Exception:
            self.lost += 1
            with contextlib.suppress(Exception):  # not even about itself
                log.exception("run_event_record_failed")
            return 0

    @property
    def pending(self) -> int:
        return len(self._pending)

    async def open(self) -> None:
        """Record the run (closing runs that never recorded a stop), then its first event."""
        retention = self.config.retention_days
        before = self.meta.started_ms - retention * _DAY_MS if retention else None
        closed, pruned = await self.db.call(_open, self.meta, before)
        if closed or pruned:
            log.info("runs_tidied", closed_unclean=closed, pruned=pruned)
        m = self.meta
        self.record(
            RunStarted(
                version=m.version,
                git_commit=m.git_commit,
                config_digest=m.config_digest,
                mode=m.mode,
                network=m.network,
                strategy=m.strategy,
            ),
            ts_ms=m.started_ms,
        )

    async def run(self) -> None:
        """Write the buffer every ``flush_interval_s`` until cancelled."""
        while True:
            await anyio.sleep(self.config.flush_interval_s)
            try:
                await self.flush()
            except Exception as exc:  # the database is unwell: keep the buffer, try again
                log.error("run_log_flush_failed", error=repr(exc), pending=len(self._pending))

    async def flush(self) -> None:
        async with self._lock:
            while self._pending:
                batch = self._pending[:BATCH_ROWS]
                # a batch is written and dropped from the buffer together, or not at all
                with anyio.CancelScope(shield=True):
                    await self.db.call(runs.append_events, self.meta.run_id, batch, self.lost)
                    del self._pending[: len(batch)]
                    self.written += len(batch)
                    if self.jsonl is not None:
                        await self._write_jsonl(batch)

    async def _write_jsonl(self, batch: list[runs.EventRow]) -> None:
        assert self.jsonl is not None
        try:
            await self.jsonl.write(batch)
        except OSError as exc:
            log.error("run_log_jsonl_failed", path=str(self.jsonl.path), error=repr(exc))

    async def close(self, exit_reason: str) -> None:
        """Record the stop; call from a shielded scope when the daemon shuts down.

        With a failed state database nothing more can be recorded: the next start closes
        this run as unclean, which is what it was."""
        stopped = self.now_ms()
        try:
            await self.flush()  # first, so the stop event always finds room
            self.record(RunStopped(exit_reason=exit_reason, events_lost=self.lost), stopped)
            await self.flush()
        except StoreFailed:
            log.error("run_log_not_closed", run_id=self.meta.run_id, reason="store failed")
            return
        try:
            await self.db.call(
                runs.stop_run,
                self.meta.run_id,
                stopped_ms=stopped,
                exit_reason=exit_reason,
                lost=self.lost,
            )
        except StoreFailed:
            log.error("run_log_not_closed", run_id=self.meta.run_id, reason="store failed")
            if self.jsonl is not None:
                self.jsonl.close()


def _open(
    conn: sqlite3.Connection, meta: LiveRunMetadata, prune_before_ms: int | None
) -> tuple[int, int]:
    closed = runs.close_unfinished(conn, meta.run_id)
    pruned = runs.prune(conn, prune_before_ms) if prune_before_ms is not None else 0
    runs.start_run(conn, meta)
    return closed, pruned
