"""Event-loop lag: how late a short sleep wakes up.

A stale heartbeat counts as lag too, so a loop that is wedged right now reads as unhealthy the
moment anything gets to ask.
"""

from __future__ import annotations

import time
from collections import deque

import anyio

INTERVAL_S = 0.1
WINDOW = 3000  # samples kept for the percentile: the last five minutes


class LoopLag:
    def __init__(self) -> None:
        self.last_beat = time.monotonic()
        self.lag_s = 0.0
        self.worst_s = 0.0
        self.samples: deque[float] = deque(maxlen=WINDOW)

    async def run(self) -> None:
        while True:
            start = time.monotonic()
            await anyio.sleep(INTERVAL_S)
            self.last_beat = time.monotonic()
            self.lag_s = max(0.0, self.last_beat - start - INTERVAL_S)
            self.worst_s = max(self.worst_s, self.lag_s)
            self.samples.append(self.lag_s)

    def p99_s(self) -> float:
        """The 99th percentile over the recent window (0 before the first sample)."""
        if not self.samples:
            return 0.0
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]

    def current_s(self) -> float:
        stale = time.monotonic() - self.last_beat - INTERVAL_S
        return max(self.lag_s, stale, 0.0)
