"""The alert service: one bounded queue, one dispatcher, a lane per sink, batched history.

``emit`` (and ``alert``/``set_condition`` built on it) is sync, never blocks and never raises:
trading code calls it from the event loop and moves on. Everything slow (sinks, SQLite) happens
in the tasks ``run`` starts inside the daemon's task group. In a storm most calls repeat an
open alert: that costs a dict lookup and two counters, nothing is built, redacted or written.
"""

from __future__ import annotations

import contextlib
import itertools
import random
import secrets
import time
from collections.abc import Callable, Mapping

import anyio
import anyio.abc
import msgspec

from peaktrade.alerts.codes import lookup
from peaktrade.alerts.conditions import ConditionTable, OpenCondition
from peaktrade.alerts.config import AlertLevel, AlertsConfig, SinkName, sink_config
from peaktrade.alerts.config import sink_timeout_s as config_timeout_s
from peaktrade.alerts.dedupe import DedupeTable, OpenAlert
from peaktrade.alerts.dispatch import Dispatcher
from peaktrade.alerts.event import (
    AlertEvent,
    DeliveryResult,
    DeliveryStatus,
    Draft,
    Identity,
    build_event,
    snapshot,
)
from peaktrade.alerts.history import HistoryBuffer, Row
from peaktrade.alerts.lane import SinkLane
from peaktrade.alerts.levelqueue import LevelQueue
from peaktrade.alerts.pacing import TokenBucket
from peaktrade.alerts.sinks.base import AlertSink
from peaktrade.alerts.sinks.factory import SinkProblem, build_sinks
from peaktrade.alerts.sinks.multi import MultiAlertSink
from peaktrade.alerts.watch import watch_sinks
from peaktrade.log import get_logger
from peaktrade.redaction import redact_text
from peaktrade.store import alerts as store
from peaktrade.store.db import Database

log = get_logger("peaktrade.alerts")


def _wall_ms() -> int:
    return time.time_ns() // 1_000_000


class UnknownSink(Exception):
    """``send_test`` named a sink that is not configured."""

    code = "alerts.unknown_sink"


class SinkHealth(msgspec.Struct, frozen=True):
    """One sink lane as `ptctl alerts` and the health check show it."""

    name: str
    queued: int
    delivered: int
    gave_up: int
    retries: int
    dropped: int
    failing_for_s: float | None
    last_error: str


class AlertStats(msgspec.Struct, frozen=True):
    """Counters since start; ``dropped`` counts the intake queue, sinks count their own."""

    emitted: int
    deduped: int
    dropped: dict[str, int]
    queued: int
    conditions_open: int
    history_pending: int
    history_lost: int
    emit_errors: int
    sinks: list[SinkHealth]


class AlertService:
    """Construct once per daemon; ``tg.start(service.run)`` before anything emits in earnest."""

    def __init__(
        self,
        config: AlertsConfig,
        *,
        sinks: Mapping[str, AlertSink],
        db: Database | None,
        mode: str,
        network: str,
        run_id: str,
        problems: list[SinkProblem] | None = None,
        wall_ms: Callable[[], int] = _wall_ms,
        monotonic: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self.identity = Identity(mode=mode, network=network, run_id=run_id)
        self._sinks = dict(sinks)
        self._problems = list(problems or [])
        self._wall_ms = wall_ms
        self.monotonic = monotonic
        rand = rng or random.Random()
        # read by watch.py as well: the intake queue, dedupe table, lanes and drop counts
        self.intake: LevelQueue[AlertEvent | Draft] = LevelQueue(config.queue_size)
        self.dedupe = DedupeTable(config.dedupe_window_s)
        self._conditions = ConditionTable()
        self._history = HistoryBuffer(db)
        self.lanes = {
            name: SinkLane(
                sink,
                capacity=config.sink_queue_size,
                timeout_s=self._timeout_s(name),
                bucket=_bucket(config, name, monotonic()),
                retry=config.retry,
                record=self._history.record,
                record_drop=self._history.dropped,
                rng=rand,
                wall_ms=wall_ms,
                monotonic=monotonic,
            )
            for name, sink in self._sinks.items()
        }
        self._dispatcher = Dispatcher(config, self.intake, self.lanes, self._history, self._built)
        self._id_prefix = secrets.token_hex(4)  # per run; a counter makes ids unique within it
        self._id_seq = itertools.count(1)
        self._emitted = 0
        self.deduped = 0
        self.dropped = {level.value: 0 for level in AlertLevel}
        self._emit_errors = 0
        self.drops_reported = 0
        self.drop_reported_at_s = -float("inf")

    @classmethod
    def from_config(
        cls, config: AlertsConfig, *, db: Database | None, mode: str, network: str, run_id: str
    ) -> AlertService:
        """Sinks built from config and credentials; missing credentials are reported on start."""
        built = build_sinks(config)
        return cls(
            config,
            sinks=built.sinks,
            db=db,
            mode=mode,
            network=network,
            run_id=run_id,
            problems=built.problems,
        )

    # --- emitting: sync, non-blocking, never raises ----------------------------------------

    def new_event(
        self,
        code: str,
        message: str,
        *,
        source: str,
        context: Mapping[str, object] | None = None,
        key: str | None = None,
        level: AlertLevel | None = None,
        title: str | None = None,
    ) -> AlertEvent:
        """An event stamped with this deployment; ``key`` narrows dedupe to ``code:key``."""
        return build_event(
            alert_id=self._next_id(),
            at_ms=self._wall_ms(),
            identity=self.identity,
            code=code,
            message=message,
            source=source,
            runbook_base=self.config.runbook_base,
            level=level,
            title=title,
            context=context,
            dedupe_key=code if key is None else f"{code}:{key}",
        )

    def alert(
        self,
        code: str,
        message: str,
        *,
        source: str,
        context: Mapping[str, object] | None = None,
        key: str | None = None,
        level: AlertLevel | None = None,
        title: str | None = None,
    ) -> str | None:
        """Emit a one-off alert; returns its id (or the open alert it repeats).

        The event is built when it is dispatched, from the values as they are now.
        """
        try:
            raw_key = code if key is None else f"{code}:{key}"
            now_s = self.monotonic()
            level = level or lookup(code).level
            found = self.dedupe.repeat_of(raw_key, level, now_s)
            if found is not None:
                return self._repeated(found)  # the common case in a storm: nothing is built
            draft = Draft(
                self._next_id(),
                self._wall_ms(),
                level,
                code,
                message,
                source,
                title,
                snapshot(context),
                redact_text(raw_key[:200]),  # as build_event stores it
            )
            return self._accept(draft, raw_key, draft.dedupe_key, now_s, dedupe=True)
        except Exception:
            self._emit_failed()
            return None

    def emit(self, event: AlertEvent) -> None:
        """Queue ``event``; a repeat within the dedupe window only raises the open one's count."""
        try:  # a hand-built event's key, as build_event would store it
            key = event.dedupe_key if event.stateful else redact_text(event.dedupe_key[:200])
            self._accept(event, event.dedupe_key, key, self.monotonic(), dedupe=not event.stateful)
        except Exception:
            self._emit_failed()

    def set_condition(
        self,
        key: str,
        level: AlertLevel | None,
        *,
        code: str,
        message: str,
        source: str,
        context: Mapping[str, object] | None = None,
        title: str | None = None,
        not_to: tuple[str, ...] = (),
    ) -> str | None:
        """Report a condition's current level (None = recovered); sends only on change."""
        try:
            change = self._conditions.update(key, level, code)
            if change is None:
                return None
            event = build_event(
                alert_id=self._next_id(),
                at_ms=self._wall_ms(),
                identity=self.identity,
                code=change.code,
                message=message,
                source=source,
                runbook_base=self.config.runbook_base,
                level=change.level,
                title=title,
                context=context,
                dedupe_key=key,
                resolved=change.resolved,
                stateful=True,
                not_to=not_to,
            )
            return self._accept(event, key, event.dedupe_key, self.monotonic(), dedupe=False)
        except Exception:
            self._emit_failed()
            return None

    def _repeated(self, found: OpenAlert) -> str:
        """Count a repeat of an open alert: counters and its tally, nothing else."""
        self._emitted += 1
        self.deduped += 1
        self._history.repeat(found.tally, self._wall_ms())
        return found.alert_id

    def _accept(
        self, item: AlertEvent | Draft, raw_key: str, key: str, now_s: float, *, dedupe: bool
    ) -> str | None:
        """Queue ``item`` for dispatch (dedupe ``key`` as stored, ``raw_key`` as emitted)."""
        opened = None
        if dedupe:
            found = self.dedupe.repeat_of_stored(key, raw_key, item.level, now_s)
            if found is not None:
                return self._repeated(found)
            opened = self.dedupe.opened(key, raw_key, item.id, item.level, now_s)
        self._emitted += 1
        dropped = self._dispatcher.submit(item, opened)
        if dropped is None:
            return item.id
        level, gone, gone_open = dropped
        self.dropped[level.value] += 1
        if gone_open is not None:
            self._gone(gone_open)
        return None if gone is item else item.id

    def _gone(self, found: OpenAlert) -> None:
        """The alert will never be sent: its repeats have no row to land on and open it anew."""
        found.tally.row = Row.GONE
        self.dedupe.forget(found)

    def _built(self, draft: Draft, opened: OpenAlert | None) -> AlertEvent | None:
        """The event of a dispatched draft; None (an emit error) if it cannot be built."""
        try:
            return build_event(
                alert_id=draft.id,
                at_ms=draft.at_ms,
                identity=self.identity,
                code=draft.code,
                message=draft.message,
                source=draft.source,
                runbook_base=self.config.runbook_base,
                level=draft.level,
                title=draft.title,
                context=draft.context,
                dedupe_key=draft.dedupe_key,
            )
        except Exception:
            if opened is not None:
                self._gone(opened)
            self._emit_failed()
            return None

    def _next_id(self) -> str:
        return f"{self._id_prefix}-{next(self._id_seq)}"

    def _emit_failed(self) -> None:
        self._emit_errors += 1
        with contextlib.suppress(Exception):  # emitting never raises, not even about itself
            log.exception("alert_emit_failed")

    # --- tasks -----------------------------------------------------------------------------

    async def run(
        self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED
    ) -> None:
        """The dispatcher with its sink lanes, history writer and health watch; until cancelled."""
        try:
            await self._restore_conditions()
            for problem in self._problems:
                log.error("alert_sink_misconfigured", sink=problem.sink, code=problem.code)
                self.alert(
                    "alerts.sink_misconfigured",
                    problem.message,
                    source="alerts",
                    context={"sink": problem.sink, "reason": problem.code},
                    key=problem.sink,
                )
            async with anyio.create_task_group() as tg:
                for lane in self.lanes.values():
                    tg.start_soon(lane.run)
                tg.start_soon(self._history.run, self.config.history_flush_s)
                tg.start_soon(watch_sinks, self)
                tg.start_soon(self._expire_restored)
                task_status.started()
                await self._dispatcher.run()
        finally:
            with anyio.CancelScope(shield=True), anyio.move_on_after(2.0):
                await self.flush()
            with anyio.CancelScope(shield=True), anyio.move_on_after(1.0):
                for sink in self._sinks.values():
                    try:
                        await sink.aclose()
                    except Exception as exc:
                        log.warning("alert_sink_close_failed", sink=sink.name, error=repr(exc))

    async def flush(self) -> None:
        """Write pending history now, with the alerts queued so far (it is written every
        ``history_flush_s`` anyway)."""
        await self._dispatcher.caught_up()
        await self._history.flush()

    async def _restore_conditions(self) -> None:
        for key, code, level, peak in await self._history.open_conditions():
            self._conditions.restore(key, OpenCondition(code=code, level=level, peak=peak))

    async def _expire_restored(self) -> None:
        """Resolve the transient conditions an earlier run left open that this run has not
        raised again: their emitters only resolve what they saw start, so without this a
        disconnect before a restart would stay open for good."""
        grace = self.config.restored_grace_s
        await anyio.sleep(grace)
        for key, code in self._conditions.unconfirmed(lambda c: lookup(c).transient):
            self.set_condition(
                key,
                None,
                code=code,
                message=f"not raised again within {grace:g} s of the restart: over",
                source="alerts",
            )

    # --- operator tools --------------------------------------------------------------------

    async def drain(self, timeout_s: float) -> bool:
        """Wait (bounded) until every queued alert has been tried, then flush; True if all were."""
        with anyio.move_on_after(timeout_s):
            while not self._idle():  # noqa: ASYNC110 - polls every lane, bounded by timeout_s
                await anyio.sleep(0.05)
        drained = self._idle()
        await self.flush()
        return drained

    def _idle(self) -> bool:
        return len(self.intake) == 0 and all(lane.idle() for lane in self.lanes.values())

    async def history(
        self, *, since_ms: int | None = None, min_level: AlertLevel | None = None, limit: int = 100
    ) -> list[store.AlertRow]:
        """Newest first, including what is still waiting to be written."""
        await self._dispatcher.caught_up()
        return await self._history.recent(since_ms=since_ms, min_level=min_level, limit=limit)

    async def deliveries(self, alert_id: str) -> list[store.DeliveryRow]:
        """Every attempt (and drop) of one alert, oldest first."""
        await self._dispatcher.caught_up()
        return await self._history.deliveries(alert_id)

    async def ack(self, alert_id: str, by: str) -> store.AlertRow | None:
        """Acknowledge an alert (the first ack stands); None when there is no such alert."""
        await self._dispatcher.caught_up()
        return await self._history.ack(alert_id, by, self._wall_ms())

    async def send_test(self, sink: str | None = None) -> list[DeliveryResult]:
        """A test alert straight to each sink (or the one named): one attempt each, no routing.

        Raises UnknownSink for a name not in ``live_alerts.sinks``.
        """
        configured = [s.value for s in self.config.sinks]
        if sink is not None and sink not in configured:
            raise UnknownSink(f"{sink!r} is not one of the configured sinks: {configured}")
        names = [sink] if sink is not None else configured
        event = self.new_event(
            "alerts.test",
            "Test alert from ptctl alerts test: if you read this, this channel works.",
            source="ptctl",
            key=secrets.token_hex(4),
        )
        built = {n: self._sinks[n] for n in names if n in self._sinks}
        timeouts = {n: self._timeout_s(n) for n in built}
        sent = await MultiAlertSink(built, timeouts, self._wall_ms).deliver(event)
        results = {r.sink: r for r in sent}
        for name in names:
            if name not in results:
                problem = next((p for p in self._problems if p.sink == name), None)
                reason = f"{problem.code}: {problem.message}" if problem else "alerts.not_built"
                results[name] = DeliveryResult(
                    alert_id=event.id,
                    sink=name,
                    attempt=0,
                    at_ms=self._wall_ms(),
                    status=DeliveryStatus.GAVE_UP,
                    error=reason,
                )
        ordered = [results[n] for n in names]
        self._history.keep(event, names)
        for result in ordered:
            self._history.record(result)
        await self._history.flush()
        return ordered

    def stats(self) -> AlertStats:
        now = self.monotonic()
        return AlertStats(
            emitted=self._emitted,
            deduped=self.deduped,
            dropped=dict(self.dropped),
            queued=len(self.intake),
            conditions_open=len(self._conditions),
            history_pending=len(self._history),
            history_lost=self._history.lost,
            emit_errors=self._emit_errors,
            sinks=[
                SinkHealth(
                    name=lane.name,
                    queued=len(lane.queue),
                    delivered=lane.stats.delivered,
                    gave_up=lane.stats.gave_up,
                    retries=lane.stats.retries,
                    dropped=lane.stats.dropped,
                    failing_for_s=None
                    if lane.failing_since_s is None
                    else now - lane.failing_since_s,
                    last_error=lane.last_error,
                )
                for lane in self.lanes.values()
            ],
        )

    def _timeout_s(self, name: str) -> float:
        if name not in SinkName.__members__.values():
            return self.config.timeout_s
        return config_timeout_s(self.config, SinkName(name))


def _bucket(config: AlertsConfig, name: str, now_s: float) -> TokenBucket:
    """The sink's configured rate; a sink outside the catalogue is not paced."""
    if name not in SinkName.__members__.values():
        return TokenBucket(0.0, 1, now_s)
    sub = sink_config(config, SinkName(name))
    rate = float(getattr(sub, "rate_per_min", 0.0))
    burst = int(getattr(sub, "burst", 1))
    return TokenBucket(rate, burst, now_s)
