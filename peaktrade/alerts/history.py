"""Alert history on its way to SQLite: rows buffered on the loop, written in small batches.

Nothing here blocks emitting: the dispatcher and the sink lanes append encoded rows, a writer
task flushes them. Rows are encoded on the event loop's thread so the DB thread only runs
``executemany`` (it must not hold the GIL in Python code while the loop waits for it).

Repeats of an open alert are counted on its ``Tally`` (no row, no dict write per repeat) and
written once per flush: with its row when that is still pending, else as one count update.
"""

from __future__ import annotations

import enum

import anyio
import msgspec

from peaktrade.alerts.config import LEVEL_RANK, AlertLevel
from peaktrade.alerts.event import AlertEvent, DeliveryResult, DeliveryStatus
from peaktrade.log import get_logger
from peaktrade.redaction import redact_text
from peaktrade.store import alerts as store
from peaktrade.store.db import Database

log = get_logger("peaktrade.alerts")

BATCH_ROWS = 200  # per DB call: the kill switch shares the DB lane and must not wait long
MAX_PENDING = 100_000  # rows held while the database is slow; more are counted as lost
# our own wording, no caller text in it: stored as it is
SINK_QUEUE_FULL = "alerts.sink_queue_full: dropped for higher-level alerts"
_DROPPED = DeliveryStatus.DROPPED.value
_LEVEL_TEXT = {level: level.value for level in AlertLevel}  # .value is a slow property


class Row(enum.Enum):
    """Where an alert's row is; its repeats can only be written once the row is."""

    QUEUED = "queued"  # not dispatched yet
    KEPT = "kept"  # dispatched, row waiting in the buffer
    WRITTEN = "written"  # row written (or in the batch being written)
    GONE = "gone"  # dropped before dispatch, or lost: its repeats have no row to land on


class Tally(msgspec.Struct, gc=False):
    """Repeats of one alert not yet written, and the state of its row."""

    alert_id: str
    count: int = 0
    last_ms: int = 0
    row: Row = Row.QUEUED


class HistoryBuffer:
    def __init__(self, db: Database | None) -> None:
        self.db = db
        self.lost = 0
        self._alerts: list[store.AlertParams] = []
        self._tallies: list[Tally | None] = []  # one per row in ``_alerts`` (no pair per row)
        self._deliveries: list[store.DeliveryParams] = []
        self._ready: list[Tally] = []  # repeats of rows already written, in order of arrival
        self._lock = anyio.Lock()

    def __len__(self) -> int:
        return len(self._alerts) + len(self._deliveries)

    def keep(self, event: AlertEvent, routed: list[str], tally: Tally | None = None) -> None:
        """The alert as dispatched; repeats counted on ``tally`` are written with its row."""
        if self._full():
            if tally is not None:
                tally.row = Row.GONE
            return
        if tally is not None:
            tally.row = Row.KEPT
        self._alerts.append(
            store.new_alert_params(
                event.id,
                event.at_ms,
                _LEVEL_TEXT[event.level],
                LEVEL_RANK[event.level],
                event.source,
                event.code,
                event.title,
                event.message,
                event.context,
                event.dedupe_key,
                event.mode,
                event.network,
                event.run_id,
                event.runbook,
                event.resolved,
                event.stateful,
                routed,
            )
        )
        self._tallies.append(tally)

    def record(self, result: DeliveryResult) -> None:
        if self._full():
            return
        error = redact_text(result.error) if result.error else ""
        self._deliveries.append(
            (
                result.alert_id,
                result.sink,
                result.attempt,
                result.at_ms,
                result.status.value,
                error,
                result.duration_ms,
            )
        )

    def dropped(self, alert_id: str, sink: str, at_ms: int) -> None:
        """``sink``'s full queue gave up this alert: recorded as its (only) delivery outcome."""
        if self._full():
            return
        self._deliveries.append((alert_id, sink, 0, at_ms, _DROPPED, SINK_QUEUE_FULL, 0))

    def repeat(self, tally: Tally, at_ms: int) -> None:
        """One more occurrence of an open alert; written at the next flush after its row."""
        tally.count += 1
        tally.last_ms = at_ms
        if tally.count == 1 and tally.row is Row.WRITTEN:
            self._ready.append(tally)

    def _full(self) -> bool:
        if len(self) < MAX_PENDING:
            return False
        self.lost += 1
        return True

    async def run(self, interval_s: float) -> None:
        while True:
            await anyio.sleep(interval_s)
            await self.flush()

    async def flush(self) -> None:
        """Write what is pending, in bounded transactions, and return (a stream cannot hold it)."""
        async with self._lock:
            rounds = 2 + (len(self) + len(self._ready)) // BATCH_ROWS
            for _ in range(rounds):
                if not (self._alerts or self._deliveries or self._ready):
                    return
                alerts = self._take_alerts()
                repeats: list[store.RepeatParams] = []
                for tally in self._ready[:BATCH_ROWS]:
                    repeats.append((tally.count, tally.last_ms, tally.alert_id))
                    tally.count = 0
                del self._ready[:BATCH_ROWS]
                deliveries = self._deliveries[:BATCH_ROWS]
                del self._deliveries[:BATCH_ROWS]
                if self.db is None:
                    continue
                try:
                    await self.db.call(store.write_batch, alerts, repeats, deliveries)
                except Exception as exc:
                    self.lost += len(alerts) + len(deliveries)
                    log.error("alert_history_write_failed", error=redact_text(repr(exc)))
                    return

    def _take_alerts(self) -> list[store.AlertParams]:
        """The next batch of rows, with the repeats counted on them so far folded in."""
        alerts = self._alerts[:BATCH_ROWS]
        del self._alerts[:BATCH_ROWS]
        tallies = self._tallies[:BATCH_ROWS]
        del self._tallies[:BATCH_ROWS]
        for n, tally in enumerate(tallies):
            if tally is not None:
                if tally.count:
                    alerts[n] = store.with_repeats(alerts[n], tally.count, tally.last_ms)
                    tally.count = 0
                tally.row = Row.WRITTEN
        return alerts

    async def open_conditions(self) -> list[tuple[str, str, AlertLevel, AlertLevel]]:
        """(key, code, level, peak) of state alerts left open by an earlier run."""
        if self.db is None:
            return []
        by_rank = {rank: level for level, rank in LEVEL_RANK.items()}
        rows = await self.db.call(store.open_conditions)
        return [
            (
                r.dedupe_key,
                r.code,
                AlertLevel(r.level),
                by_rank.get(r.peak_rank, AlertLevel(r.level)),
            )
            for r in rows
        ]

    async def recent(
        self, *, since_ms: int | None, min_level: AlertLevel | None, limit: int
    ) -> list[store.AlertRow]:
        await self.flush()
        if self.db is None:
            return []
        rank = LEVEL_RANK[min_level] if min_level is not None else 0
        return await self.db.call(store.recent, since_ms=since_ms, min_rank=rank, limit=limit)

    async def deliveries(self, alert_id: str) -> list[store.DeliveryRow]:
        await self.flush()
        return [] if self.db is None else await self.db.call(store.deliveries, alert_id)

    async def ack(self, alert_id: str, by: str, at_ms: int) -> store.AlertRow | None:
        await self.flush()
        return None if self.db is None else await self.db.call(store.ack, alert_id, by, at_ms)
