"""Event-loop lag: how late a short sleep wakes up.

A stale heartbeat counts as lag too, so a loop that is wedged right now reads as unhealthy the
moment anything gets to ask.
"""

from __future__ import annotations

import time

import anyio

INTERVAL_S = 0.1


class LoopLag:
    def __init__(self) -> None:
        self.last_beat = time.monotonic()
        self.lag_s = 0.0
        self.worst_s = 0.0

    async def run(self) -> None:
        while True:
            start = time.monotonic()
            await anyio.sleep(INTERVAL_S)
            self.last_beat = time.monotonic()
            self.lag_s = max(0.0, self.last_beat - start - INTERVAL_S)
            self.worst_s = max(self.worst_s, self.lag_s)

    def current_s(self) -> float:
        stale = time.monotonic() - self.last_beat - INTERVAL_S
        return max(self.lag_s, stale, 0.0)
