"""State-based alerts: a keyed condition sends on each change of level and once on recovery.

WARNING -> BREACH -> OK is three messages however often it is checked. The recovery carries
the condition's peak level so every sink that heard the worst of it hears that it is over.
"""

from __future__ import annotations

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

    def __len__(self) -> int:
        return len(self._open)

    def get(self, key: str) -> OpenCondition | None:
        return self._open.get(key)

    def restore(self, key: str, condition: OpenCondition) -> None:
        """Seed from history at start, so a recovery after a restart still resolves."""
        self._open[key] = condition

    def update(self, key: str, level: AlertLevel | None, code: str) -> Change | None:
        """Record the condition's current level (None = healthy); the message to send, if any."""
        current = self._open.get(key)
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
