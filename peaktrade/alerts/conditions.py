"""State-based alerts: a keyed condition sends on each change of level and once on recovery.

WARNING -> BREACH -> OK is three messages however often it is checked. The recovery carries
the condition's peak level so every sink that heard the worst of it hears that it is over.
"""

from __future__ import annotations

from collections.abc import Callable

import msgspec

from peaktrade.alerts.config import LEVEL_RANK, AlertLevel


class OpenCondition(msgspec.Struct, frozen=True):
    code: str
    level: AlertLevel
    peak: AlertLevel


class Change(msgspec.Struct, frozen=True):
    """What to send: a firing at ``level`` or, when ``resolved``, the recovery."""

    code: str
    level: AlertLevel
    resolved: bool


class ConditionTable:
    def __init__(self) -> None:
        self._open: dict[str, OpenCondition] = {}
        self._restored: set[str] = set()  # seeded by an earlier run, not reported since

    def __len__(self) -> int:
        return len(self._open)

    def get(self, key: str) -> OpenCondition | None:
        return self._open.get(key)

    def restore(self, key: str, condition: OpenCondition) -> None:
        """Seed from history at start, so a recovery after a restart still resolves."""
        self._open[key] = condition
        self._restored.add(key)

    def unconfirmed(self, expires: Callable[[str], bool]) -> list[tuple[str, str]]:
        """(key, code) of the restored conditions not reported since, whose code ``expires``;
        resolving one is an ``update`` to None like any recovery."""
        return [
            (key, self._open[key].code)
            for key in sorted(self._restored)
            if expires(self._open[key].code)
        ]

    def update(self, key: str, level: AlertLevel | None, code: str) -> Change | None:
        """Record the condition's current level (None = healthy); the message to send, if any."""
        current = self._open.get(key)
        self._restored.discard(key)  # this run has a view of it now
        if level is None:
            if current is None:
                return None
            del self._open[key]
            return Change(code=current.code, level=current.peak, resolved=True)
        if current is not None and current.level is level and current.code == code:
            return None
        peak = level
        if current is not None and LEVEL_RANK[current.peak] > LEVEL_RANK[level]:
            peak = current.peak
        self._open[key] = OpenCondition(code=code, level=level, peak=peak)
        return Change(code=code, level=level, resolved=False)
