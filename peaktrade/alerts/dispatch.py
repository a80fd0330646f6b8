"""From an accepted alert to its sinks' lanes and its history row, in short slices on the loop.

Emitting only queues: the emitting caller's own slice of the loop grows by an append, however
many alerts it emits back to back. The dispatcher task works the queue off in slices of at most
``SLICE_S`` with a loop turn (and so a poll for I/O) between two slices, so whatever else is
ready (the control socket, trading) waits no longer than one slice. While the queue is shallow
it also keeps to a budget per tick, a tenth of the loop; a backlog deep enough to risk drops is
worked at full speed, still slice by slice.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import anyio

from peaktrade.alerts.config import AlertLevel, AlertsConfig
from peaktrade.alerts.dedupe import OpenAlert
from peaktrade.alerts.event import AlertEvent, Draft
from peaktrade.alerts.history import HistoryBuffer
from peaktrade.alerts.lane import SinkLane
from peaktrade.alerts.levelqueue import LevelQueue
from peaktrade.alerts.routing import sinks_for

TICK_S = 0.001  # the loop's timers are per millisecond
BUDGET_S = 100e-6  # dispatch work per tick while the queue is shallow: a tenth of the loop
SLICE_S = 25e-6  # the dispatcher's work between two loop turns: the control socket waits no longer
_DEEP = 4  # a backlog past 1/_DEEP of the intake queue is worked at full speed

RouteKey = tuple[str, AlertLevel, tuple[str, ...]]
Queued = AlertEvent | Draft
Dropped = tuple[AlertLevel, Queued, OpenAlert | None]
Build = Callable[[Draft, OpenAlert | None], AlertEvent | None]  # None: cannot be built


class Dispatcher:
    """Owns the order of dispatch: oldest first, as queued."""

    def __init__(
        self,
        config: AlertsConfig,
        intake: LevelQueue[Queued],
        lanes: dict[str, SinkLane],
        history: HistoryBuffer,
        build: Build,
    ) -> None:
        self.config = config
        self.intake = intake
        self._lanes = lanes
        self._available = set(lanes)
        self._history = history
        self._build = build
        self._routes: dict[RouteKey, list[str]] = {}  # config is fixed
        self._queued: dict[str, OpenAlert | None] = {}  # in the intake queue, by alert id
        # set by the first submit while the dispatcher waits; resettable, as an anyio.Event is
        # not, and one costs microseconds to make: a storm wakes the dispatcher every tick
        self._wake = asyncio.Event()
        self._tick_end_s = -float("inf")
        self._spent_s = 0.0  # dispatch work done in this tick
        self._running = False  # ``caught_up`` waits only while ``run`` works the queue

    def submit(self, item: Queued, opened: OpenAlert | None) -> Dropped | None:
        """Queue ``item`` for the dispatcher task; sync, cheap, never dispatches itself.

        Returns what the full intake queue gave up for it (possibly ``item`` itself).
        """
        dropped = self.intake.put(item.level, item)
        if dropped is None or dropped[1] is not item:
            self._queued[item.id] = opened
        self._wake.set()
        if dropped is None:
            return None
        level, gone = dropped
        return level, gone, opened if gone is item else self._queued.pop(gone.id, None)

    async def caught_up(self, timeout_s: float = 1.0) -> None:
        """Wait (bounded) until what was queued before this call is dispatched or dropped."""
        last = self.intake.last_seq
        with anyio.move_on_after(timeout_s):
            while self._running:
                oldest = self.intake.oldest_seq()
                if oldest is None or oldest > last:
                    return
                await anyio.sleep(TICK_S)

    async def run(self) -> None:
        """Work off what gets queued, slice by slice; until cancelled."""
        self._running = True
        try:
            await self._work()
        finally:
            self._running = False

    async def _work(self) -> None:
        while True:
            if not len(self.intake):
                self._wake.clear()
                await self._wake.wait()  # resumes in a later loop turn than the submit
                continue
            deep = len(self.intake) > self.intake.capacity // _DEEP
            if not deep and not self._budget_left():
                await anyio.sleep(TICK_S)
                continue
            self._slice(deep=deep)
            if len(self.intake):
                await asyncio.sleep(0)  # one loop turn: I/O is polled before the next slice

    def _slice(self, *, deep: bool) -> None:
        """Dispatch queued alerts, oldest first, for one slice (at least one alert)."""
        start = time.perf_counter()
        budget = SLICE_S if deep else min(SLICE_S, BUDGET_S - self._spent_s)
        deadline = start + budget
        while (item := self.intake.pop()) is not None:
            self._dispatch(item, self._queued.pop(item.id, None))
            if time.perf_counter() >= deadline:
                break
        self._spent_s += time.perf_counter() - start

    def _budget_left(self) -> bool:
        now = time.perf_counter()
        if now >= self._tick_end_s:
            self._tick_end_s = now + TICK_S
            self._spent_s = 0.0
        return self._spent_s < BUDGET_S

    def _dispatch(self, item: Queued, opened: OpenAlert | None) -> None:
        event = item if isinstance(item, AlertEvent) else self._build(item, opened)
        if event is None:
            return
        route_key = (event.code, event.level, event.not_to)
        routed = self._routes.get(route_key)
        if routed is None:
            routed = self._routes[route_key] = sinks_for(event, self.config, self._available)
        self._history.keep(event, routed, None if opened is None else opened.tally)
        for name in routed:
            self._lanes[name].offer(event)
