"""A bounded FIFO that, when full, gives up its lowest-level, oldest entry first.

Order out is order in, across levels, so a condition's WARNING, BREACH and OK stay in sequence.
Not thread-safe: the event loop's thread only.
"""

from __future__ import annotations

from collections import deque
from typing import Generic, TypeVar

from peaktrade.alerts.config import LEVEL_RANK, AlertLevel

T = TypeVar("T")

_LEVELS = sorted(LEVEL_RANK, key=LEVEL_RANK.__getitem__)  # lowest first


class LevelQueue(Generic[T]):
    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self._seq = 0
        self._lanes: dict[AlertLevel, deque[tuple[int, T]]] = {lvl: deque() for lvl in _LEVELS}
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def put(self, level: AlertLevel, item: T) -> tuple[AlertLevel, T] | None:
        """Enqueue; returns what had to be dropped (possibly ``item`` itself), else None."""
        if self._size >= self.capacity:
            lowest = next(lvl for lvl in _LEVELS if self._lanes[lvl])
            if LEVEL_RANK[lowest] > LEVEL_RANK[level]:
                return level, item  # everything queued matters more than the newcomer
            _, evicted = self._lanes[lowest].popleft()
            self._size -= 1
            self._append(level, item)
            return lowest, evicted
        self._append(level, item)
        return None

    def _append(self, level: AlertLevel, item: T) -> None:
        self._seq += 1
        self._lanes[level].append((self._seq, item))
        self._size += 1

    def pop(self) -> T | None:
        """The oldest entry of any level, or None when empty."""
        heads = [(lane[0][0], lvl) for lvl, lane in self._lanes.items() if lane]
        if not heads:
            return None
        _, level = min(heads)
        _, item = self._lanes[level].popleft()
        self._size -= 1
        return item

    def clear(self) -> list[T]:
        items = [item for _, item in sorted(e for lane in self._lanes.values() for e in lane)]
        for lane in self._lanes.values():
            lane.clear()
        self._size = 0
        return items
