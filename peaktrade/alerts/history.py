"""Alert history on its way to SQLite: rows buffered on the loop, written in small batches.

Nothing here blocks emitting: the dispatcher and the sink lanes append encoded rows, a writer
task flushes them. Rows are encoded on the event loop's thread so the DB thread only runs
``executemany`` (it must not hold the GIL in Python code while the loop waits for it).
"""

from __future__ import annotations

import itertools

import anyio

from peaktrade.alerts.config import LEVEL_RANK, AlertLevel
from peaktrade.alerts.event import AlertEvent, DeliveryResult
from peaktrade.log import get_logger
from peaktrade.redaction import redact_text
from peaktrade.store import alerts as store
from peaktrade.store.db import Database

log = get_logger("peaktrade.alerts")

BATCH_ROWS = 200  # per DB call: the kill switch shares the DB lane and must not wait long
MAX_PENDING = 100_000  # rows held while the database is slow; more are counted as lost


class HistoryBuffer:
    def __init__(self, db: Database | None) -> None:
        self.db = db
        self.lost = 0
        self._alerts: list[store.AlertParams] = []
        self._deliveries: list[store.DeliveryParams] = []
        self._held: dict[str, tuple[int, int]] = {}  # repeats of alerts not yet dispatched
        self._repeats: dict[str, tuple[int, int]] = {}  # alert id -> (more count, last at)
        self._lock = anyio.Lock()

    def __len__(self) -> int:
        return len(self._alerts) + len(self._deliveries)

    def keep(self, event: AlertEvent, routed: list[str]) -> None:
        """The alert as dispatched; repeats counted while it was queued are released with it."""
        if (held := self._held.pop(event.id, None)) is not None:
            self._repeats[event.id] = held
        if self._full():
            return
        row = store.AlertRow(
            id=event.id,
            at_ms=event.at_ms,
            level=event.level.value,
            level_rank=LEVEL_RANK[event.level],
            source=event.source,
            code=event.code,
            title=event.title,
            message=event.message,
            context=event.context,
            dedupe_key=event.dedupe_key,
            mode=event.mode,
            network=event.network,
            run_id=event.run_id,
            runbook=event.runbook,
            resolved=event.resolved,
            stateful=event.stateful,
            routed=routed,
            last_at_ms=event.at_ms,
        )
        self._alerts.append(store.alert_params(row))

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

    def repeat(self, alert_id: str, at_ms: int, *, queued: bool) -> None:
        """One more occurrence of an open alert; held until its row is written if ``queued``."""
        into = self._held if queued else self._repeats
        count, _ = into.get(alert_id, (0, 0))
        into[alert_id] = (count + 1, at_ms)

    def forget(self, alert_id: str) -> None:
        """The alert was dropped before dispatch: its repeats have no row to land on."""
        self._held.pop(alert_id, None)

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
            rounds = 2 + len(self) // BATCH_ROWS
            for _ in range(rounds):
                if not (self._alerts or self._deliveries or self._repeats):
                    return
                alerts = self._alerts[:BATCH_ROWS]
                del self._alerts[:BATCH_ROWS]
                deliveries = self._deliveries[:BATCH_ROWS]
                del self._deliveries[:BATCH_ROWS]
                ready = list(itertools.islice(self._repeats.items(), BATCH_ROWS))
                for alert_id, _ in ready:
                    del self._repeats[alert_id]
                if self.db is None:
                    continue
                repeats = [store.Repeat(alert_id, n, last) for alert_id, (n, last) in ready]
                try:
                    await self.db.call(store.write_batch, alerts, repeats, deliveries)
                except Exception as exc:
                    self.lost += len(alerts) + len(deliveries)
                    log.error("alert_history_write_failed", error=redact_text(repr(exc)))
                    return

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
