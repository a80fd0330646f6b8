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
        self._lowest_first = [(lvl, self._lanes[lvl]) for lvl in _LEVELS]
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def put(self, level: AlertLevel, item: T) -> tuple[AlertLevel, T] | None:
        """Enqueue; returns what had to be dropped (possibly ``item`` itself), else None."""
        self._seq += 1
        if self._size < self.capacity:
            self._lanes[level].append((self._seq, item))
            self._size += 1
            return None
        lowest, lane = self._lowest_nonempty()
        if LEVEL_RANK[lowest] > LEVEL_RANK[level]:
            return level, item  # everything queued matters more than the newcomer
        _, evicted = lane.popleft()
        self._lanes[level].append((self._seq, item))
        return lowest, evicted

    def _lowest_nonempty(self) -> tuple[AlertLevel, deque[tuple[int, T]]]:
        for level, lane in self._lowest_first:
            if lane:
                return level, lane
        raise ValueError("the queue is empty")  # not when full: capacity is at least 1

    @property
    def last_seq(self) -> int:
        """The sequence number of the latest ``put``."""
        return self._seq

    def oldest_seq(self) -> int | None:
        """The sequence number of the oldest entry still queued, or None when empty."""
        heads = [lane[0][0] for _, lane in self._lowest_first if lane]
        return min(heads) if heads else None

    def pop(self) -> T | None:
        """The oldest entry of any level, or None when empty."""
        if not self._size:
            return None
        oldest: deque[tuple[int, T]] | None = None
        for _, lane in self._lowest_first:
            if lane and (oldest is None or lane[0][0] < oldest[0][0]):
                oldest = lane
        if oldest is None:
            return None
        self._size -= 1
        return oldest.popleft()[1]

    def clear(self) -> list[T]:
        items = [item for _, item in sorted(e for lane in self._lanes.values() for e in lane)]
        for lane in self._lanes.values():
            lane.clear()
        self._size = 0
        return items
