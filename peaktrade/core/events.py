"""Events the daemon's parts report upward: logged, alerted and kept in the run log.

Emitting is a plain synchronous call that must never block or raise; the daemon decides where
an event goes. ``code`` is the stable alert code (see peaktrade/alerts/codes.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import msgspec

Scalar = str | int | float | bool | None


class DaemonEvent(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    level: str  # "INFO", "WARNING", "CRITICAL"
    message: str
    ts_ms: int
    context: Mapping[str, Scalar] = {}
    dedupe_key: str = ""  # repeats with the same key are one incident
    resolved: bool = False  # a state-based condition has cleared


EventSink = Callable[[DaemonEvent], None]


def discard(event: DaemonEvent) -> None:
    """A sink for tests and tools that do not care."""
    del event
