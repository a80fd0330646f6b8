"""The live trading-state latch: durable first, then in memory, then announced.

Transitions are serialised so two operators killing and releasing at once cannot interleave
their writes; nothing sees a new state before it is on disk.
"""

from __future__ import annotations

from collections.abc import Callable

import anyio

from peaktrade.core.trading_state import StateChange, TradingState
from peaktrade.store import trading_state as state_store
from peaktrade.store.audit import AuditEntry
from peaktrade.store.db import Database

Listener = Callable[[StateChange], None]


class TradingSwitch:
    """Holds the current trading state for the order path to consult."""

    def __init__(self, db: Database, last: StateChange | None) -> None:
        self._db = db
        self.last = last
        self.state = last.state if last is not None else TradingState.ACTIVE
        self._lock = anyio.Lock()
        self._listeners: list[Listener] = []

    @classmethod
    async def load(cls, db: Database) -> TradingSwitch:
        return cls(db, await db.call(state_store.load_current))

    def subscribe(self, listener: Listener) -> None:
        """Called after each durable transition (alerts, metrics, the run log)."""
        self._listeners.append(listener)

    async def apply(
        self, make: Callable[[TradingState], StateChange], audit_entry: AuditEntry | None = None
    ) -> StateChange:
        """Build the change from the current state, persist it (with the audit entry of the
        command that asked, in the same transaction), then publish it.

        ``make`` raises TransitionRefused when the latch rules forbid the move.
        """
        change = await self.apply_if(make, audit_entry)
        assert change is not None
        return change

    async def apply_if(
        self,
        make: Callable[[TradingState], StateChange | None],
        audit_entry: AuditEntry | None = None,
    ) -> StateChange | None:
        """Like ``apply``, for automatic moves that may find nothing to do (``make`` -> None)."""
        async with self._lock:
            change = make(self.state)
            if change is None:
                return None
            await self._db.call(state_store.save_change, change, audit_entry)
            self.last = change
            self.state = change.state
        for listener in self._listeners:
            listener(change)
        return change
