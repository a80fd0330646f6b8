"""Wall-clock time for the daemon; ``core`` gets time passed in, never reads it."""

from __future__ import annotations

import time


def now_ms() -> int:
    return time.time_ns() // 1_000_000
