"""The live stream's source: the newest encoded view with a version number.

The daemon publishes a view when something changed (and at least every push interval while
anyone watches); each open stream sends every version it has not sent yet, so a slow client
skips versions instead of queueing them.
"""

from __future__ import annotations

import asyncio


class ViewFeed:
    def __init__(self) -> None:
        self.version = 0
        self.latest = b""
        self.clients = 0
        self.closed = False
        self._changed = asyncio.Event()
        self.dirty = asyncio.Event()  # set by listeners: something worth showing happened

    def publish(self, body: bytes) -> None:
        self.latest = body
        self.version += 1
        self._changed.set()
        self._changed = asyncio.Event()

    def mark_dirty(self) -> None:
        self.dirty.set()

    def close(self) -> None:
        """Shutting down: every waiting stream returns."""
        self.closed = True
        self._changed.set()

    async def next(self, seen: int, timeout_s: float) -> tuple[int, bytes] | None:
        """The newest version after ``seen``; None after ``timeout_s`` without one or on close."""
        if self.version == seen:
            try:
                await asyncio.wait_for(self._changed.wait(), timeout_s)
            except TimeoutError:
                return None
        if self.closed or self.version == seen:
            return None
        return self.version, self.latest
