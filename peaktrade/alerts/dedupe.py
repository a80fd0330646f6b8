"""Which alert keys are open, so a repeat within the window only raises the open alert's count.

Time is passed in (monotonic seconds). A repeat at a higher level than the open alert is not a
repeat: an escalation is news and is sent.

Keys are stored redacted and bounded, as history shows them; each open alert is also found by
the raw keys it was emitted with, so a repeat in a storm costs one dict lookup and no regex.
"""

from __future__ import annotations

import msgspec

from peaktrade.alerts.config import LEVEL_RANK, AlertLevel
from peaktrade.alerts.history import Tally


class OpenAlert(msgspec.Struct, gc=False):
    alert_id: str
    level: AlertLevel
    opened_s: float
    key: str  # as stored: redacted and bounded
    tally: Tally  # its repeats on their way to history
    raw_key: str  # as first emitted
    more_raw_keys: list[str] | None = None  # others that redact to the same stored key (rare)


class DedupeTable:
    def __init__(self, window_s: float) -> None:
        self.window_s = window_s
        self._open: dict[str, OpenAlert] = {}  # by stored key, in order of opening
        self._raw: dict[str, OpenAlert] = {}  # by raw key; only alerts in ``_open``

    def __len__(self) -> int:
        return len(self._open)

    def repeat_of(self, raw_key: str, level: AlertLevel, now_s: float) -> OpenAlert | None:
        """The open alert this one repeats, or None: look further (by the key as stored)."""
        found = self._raw.get(raw_key)
        if (
            found is None
            or now_s - found.opened_s >= self.window_s
            or (found.level is not level and LEVEL_RANK[found.level] < LEVEL_RANK[level])
        ):
            return None
        return found

    def repeat_of_stored(
        self, key: str, raw_key: str, level: AlertLevel, now_s: float
    ) -> OpenAlert | None:
        """As ``repeat_of``, by the stored key; ``raw_key`` then names the open alert too."""
        found = self._open.get(key)
        if (
            found is None
            or now_s - found.opened_s >= self.window_s
            or LEVEL_RANK[found.level] < LEVEL_RANK[level]
        ):
            return None
        if self._raw.get(raw_key) is not found:
            self._raw[raw_key] = found
            if found.more_raw_keys is None:
                found.more_raw_keys = []
            found.more_raw_keys.append(raw_key)
        return found

    def opened(
        self, key: str, raw_key: str, alert_id: str, level: AlertLevel, now_s: float
    ) -> OpenAlert | None:
        """Open ``key`` for ``alert_id``, replacing what was open; None when nothing dedupes."""
        if self.window_s <= 0:
            return None
        old = self._open.pop(key, None)  # re-insert: the dict stays in order of opening
        if old is not None:
            self._unalias(old)
        found = OpenAlert(alert_id, level, now_s, key, Tally(alert_id), raw_key)
        self._open[key] = found
        self._raw[raw_key] = found
        return found

    def forget(self, found: OpenAlert) -> None:
        """The alert never went out (dropped): its repeats must not be swallowed."""
        if self._open.get(found.key) is found:
            del self._open[found.key]
            self._unalias(found)

    def prune(self, now_s: float) -> None:
        """Forget expired keys; oldest first, stopping at the first still open (cheap)."""
        while self._open:
            key, oldest = next(iter(self._open.items()))
            if now_s - oldest.opened_s < self.window_s:
                return
            del self._open[key]
            self._unalias(oldest)

    def _unalias(self, found: OpenAlert) -> None:
        if self._raw.get(found.raw_key) is found:
            del self._raw[found.raw_key]
        for raw_key in found.more_raw_keys or ():
            if self._raw.get(raw_key) is found:
                del self._raw[raw_key]
