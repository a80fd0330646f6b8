"""From an accepted alert to its sinks' lanes and its history row, within a budget per tick.

Dispatching is a few microseconds of routing and bookkeeping per alert. While nothing is
queued and this tick's budget lasts, an alert is dispatched in the emitting call itself (no
task switch, no wake-up); past the budget it waits in the intake queue and the dispatcher task
works the queue off in short slices within the next ticks' budgets, so whatever else is ready
(the control socket, trading) runs in between. A backlog deep enough to risk drops is worked
at full speed.
"""

from __future__ import annotations

import time

import anyio
import anyio.lowlevel

from peaktrade.alerts.config import AlertLevel, AlertsConfig
from peaktrade.alerts.dedupe import OpenAlert
from peaktrade.alerts.event import AlertEvent
from peaktrade.alerts.history import HistoryBuffer
from peaktrade.alerts.lane import SinkLane
from peaktrade.alerts.levelqueue import LevelQueue
from peaktrade.alerts.routing import sinks_for

TICK_S = 0.001  # the loop's timers are per millisecond
BUDGET_S = 100e-6  # dispatch work per tick while the queue is shallow: a tenth of the loop
SLICE_S = 40e-6  # the dispatcher's work between two yields: the control socket waits no longer
_DEEP = 4  # a backlog past 1/_DEEP of the intake queue is worked at full speed

RouteKey = tuple[str, AlertLevel, tuple[str, ...]]
Dropped = tuple[AlertLevel, AlertEvent, OpenAlert | None]


class Dispatcher:
    """Owns the order of dispatch: queued alerts first, then new ones, oldest first."""

    def __init__(
        self,
        config: AlertsConfig,
        intake: LevelQueue[AlertEvent],
        lanes: dict[str, SinkLane],
        history: HistoryBuffer,
    ) -> None:
        self.config = config
        self.intake = intake
        self._lanes = lanes
        self._available = set(lanes)
        self._history = history
        self._routes: dict[RouteKey, list[str]] = {}  # config is fixed
        self._queued: dict[str, OpenAlert | None] = {}  # in the intake queue, by alert id
        self._wake = anyio.Event()
        self._running = False  # before ``run``, everything queues (and may overflow)
        self._tick_end_s = -float("inf")
        self._spent_s = 0.0  # dispatch work done in this tick

    def submit(self, event: AlertEvent, opened: OpenAlert | None) -> Dropped | None:
        """Dispatch now if nothing is queued and the budget lasts, else queue; sync, cheap.

        Returns what the full intake queue gave up for it (possibly ``event`` itself).
        """
        if self._running and not len(self.intake) and self._budget_left():
            start = time.perf_counter()
            self._dispatch(event, opened)
            self._spent_s += time.perf_counter() - start
            return None
        dropped = self.intake.put(event.level, event)
        if dropped is None or dropped[1] is not event:
            self._queued[event.id] = opened
        self._wake.set()
        if dropped is None:
            return None
        level, gone = dropped
        return level, gone, opened if gone is event else self._queued.pop(gone.id, None)

    async def run(self) -> None:
        """Work off what gets queued; until cancelled. Dispatching in ``submit`` needs it."""
        self._running = True
        try:
            await self._work()
        finally:
            self._running = False

    async def _work(self) -> None:
        while True:
            if not len(self.intake):
                self._wake = anyio.Event()
                await self._wake.wait()  # woken in a later loop turn: no need to yield again
            elif len(self.intake) > self.intake.capacity // _DEEP:
                await anyio.lowlevel.checkpoint()  # deep: a slice every loop turn
            elif self._budget_left():
                await anyio.lowlevel.checkpoint()
            else:
                await anyio.sleep(TICK_S)
                continue
            self._slice(deep=len(self.intake) > self.intake.capacity // _DEEP)

    def _slice(self, *, deep: bool) -> None:
        """Dispatch queued alerts, oldest first, for one slice (at least one alert if it runs)."""
        if not self._budget_left() and not deep:
            return
        start = time.perf_counter()
        budget = SLICE_S if deep else min(SLICE_S, BUDGET_S - self._spent_s)
        deadline = start + budget
        while (event := self.intake.pop()) is not None:
            self._dispatch(event, self._queued.pop(event.id, None))
            if time.perf_counter() >= deadline:
                break
        self._spent_s += time.perf_counter() - start

    def _budget_left(self) -> bool:
        now = time.perf_counter()
        if now >= self._tick_end_s:
            self._tick_end_s = now + TICK_S
            self._spent_s = 0.0
        return self._spent_s < BUDGET_S

    def _dispatch(self, event: AlertEvent, opened: OpenAlert | None) -> None:
        route_key = (event.code, event.level, event.not_to)
        routed = self._routes.get(route_key)
        if routed is None:
            routed = self._routes[route_key] = sinks_for(event, self.config, self._available)
        self._history.keep(event, routed, None if opened is None else opened.tally)
        for name in routed:
            self._lanes[name].offer(event)
