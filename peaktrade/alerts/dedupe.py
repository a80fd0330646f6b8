"""Which alert keys are open, so a repeat within the window only raises the open alert's count.

Time is passed in (monotonic seconds). A repeat at a higher level than the open alert is not a
repeat: an escalation is news and is sent.
"""

from __future__ import annotations

import msgspec

from peaktrade.alerts.config import AlertLevel, at_least


class OpenAlert(msgspec.Struct, gc=False):
    alert_id: str
    level: AlertLevel
    opened_s: float
    repeats: int = 0


class DedupeTable:
    def __init__(self, window_s: float) -> None:
        self.window_s = window_s
        self._open: dict[str, OpenAlert] = {}

    def __len__(self) -> int:
        return len(self._open)

    def repeat_of(self, key: str, level: AlertLevel, now_s: float) -> OpenAlert | None:
        """The open alert this one repeats (its count is raised), or None: send it."""
        found = self._open.get(key)
        if found is None or now_s - found.opened_s >= self.window_s:
            return None
        if not at_least(found.level, level):
            return None
        found.repeats += 1
        return found

    def opened(self, key: str, alert_id: str, level: AlertLevel, now_s: float) -> None:
        if self.window_s > 0:
            self._open.pop(key, None)  # re-insert: the dict stays in order of opening
            self._open[key] = OpenAlert(alert_id=alert_id, level=level, opened_s=now_s)

    def forget(self, key: str, alert_id: str) -> None:
        """The alert never went out (dropped): its repeats must not be swallowed."""
        found = self._open.get(key)
        if found is not None and found.alert_id == alert_id:
            del self._open[key]

    def prune(self, now_s: float) -> None:
        """Forget expired keys; oldest first, stopping at the first still open (cheap)."""
        while self._open:
            key, oldest = next(iter(self._open.items()))
            if now_s - oldest.opened_s < self.window_s:
                return
            del self._open[key]
