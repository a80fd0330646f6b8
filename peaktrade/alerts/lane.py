"""One sink's own queue and worker: pacing, timeout, retries, health.

Each sink has its lane so a slow, hanging or failing sink only ever delays itself. A full lane
drops its lowest-level, oldest alert first and records the drop as that alert's delivery outcome.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

import anyio
import msgspec

from peaktrade.alerts.config import RetryConfig
from peaktrade.alerts.event import AlertEvent, DeliveryResult, DeliveryStatus
from peaktrade.alerts.levelqueue import LevelQueue
from peaktrade.alerts.pacing import TokenBucket, backoff_s
from peaktrade.alerts.sinks.base import AlertSink
from peaktrade.alerts.sinks.multi import attempt

Record = Callable[[DeliveryResult], None]
RecordDrop = Callable[[str, str, int], None]  # (alert id, sink, at_ms)


class LaneStats(msgspec.Struct):
    delivered: int = 0
    gave_up: int = 0
    retries: int = 0
    dropped: int = 0


class SinkLane:
    def __init__(
        self,
        sink: AlertSink,
        *,
        capacity: int,
        timeout_s: float,
        bucket: TokenBucket,
        retry: RetryConfig,
        record: Record,
        record_drop: RecordDrop,
        rng: random.Random,
        wall_ms: Callable[[], int],
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = sink.name
        self.sink = sink
        self.queue: LevelQueue[AlertEvent] = LevelQueue(capacity)
        self.timeout_s = timeout_s
        self.bucket = bucket
        self.retry = retry
        self.stats = LaneStats()
        self.failing_since_s: float | None = None  # first failure since the last success
        self.last_error = ""
        self.busy = False
        self._record = record
        self._record_drop = record_drop
        self._rng = rng
        self._wall_ms = wall_ms
        self._mono = monotonic
        self._wake = anyio.Event()

    def offer(self, event: AlertEvent) -> None:
        """Queue for this sink; sync and non-blocking."""
        dropped = self.queue.put(event.level, event)
        if dropped is not None:
            self.stats.dropped += 1
            self._record_drop(dropped[1].id, self.name, self._wall_ms())
        if not self.busy:  # a busy lane pops again when its call is done
            self._wake.set()

    def idle(self) -> bool:
        return not self.busy and len(self.queue) == 0

    async def run(self) -> None:
        while True:
            event = self.queue.pop()
            if event is None:
                self._wake = anyio.Event()
                await self._wake.wait()
                continue
            self.busy = True
            try:
                await self._deliver(event)
            finally:
                self.busy = False

    async def _deliver(self, event: AlertEvent) -> None:
        for number in range(1, self.retry.max_attempts + 1):
            await self._wait_turn()
            result, error = await attempt(
                self.sink, event, timeout_s=self.timeout_s, attempt_no=number, wall_ms=self._wall_ms
            )
            if error is None:
                self._record(result)
                self.stats.delivered += 1
                self.failing_since_s = None
                self.last_error = ""
                return
            final = number == self.retry.max_attempts or not error.retryable
            status = DeliveryStatus.GAVE_UP if final else DeliveryStatus.RETRYING
            self._record(msgspec.structs.replace(result, status=status))
            self.last_error = str(error)
            if self.failing_since_s is None:
                self.failing_since_s = self._mono()
            if final:
                self.stats.gave_up += 1
                return
            self.stats.retries += 1
            if error.retry_after_s is not None:  # the server said when: the whole sink waits
                self.bucket.pause(error.retry_after_s, self._mono())
            else:
                await anyio.sleep(backoff_s(self.retry, number, self._rng))

    async def _wait_turn(self) -> None:
        """Sleep until the token bucket and any Retry-After pause allow a call, then spend it."""
        while (wait := self.bucket.wait_s(self._mono())) > 0:  # noqa: ASYNC110 - a deadline
            await anyio.sleep(wait)
        self.bucket.take(self._mono())
