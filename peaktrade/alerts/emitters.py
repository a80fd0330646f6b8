"""Alerts for events the daemon already has as values: ready-made listeners to subscribe.

Each turns one domain value into one alert with a stable code; the daemon wires them, e.g.
``switch.subscribe(state_change_listener(alerts))``.
"""

from __future__ import annotations

from collections.abc import Callable

from peaktrade.alerts.service import AlertService
from peaktrade.core.trading_state import StateChange, TradingState


def state_change_code(change: StateChange) -> str:
    """``kill.engaged`` into HALTED, ``kill.released`` out of it, else ``state.changed``."""
    if change.state is TradingState.HALTED:
        return "kill.engaged"
    if change.previous is TradingState.HALTED:
        return "kill.released"
    return "state.changed"


def state_change_listener(alerts: AlertService) -> Callable[[StateChange], None]:
    """A TradingSwitch listener: every durable transition is one alert, never deduped away."""

    def listener(change: StateChange) -> None:
        alerts.alert(
            state_change_code(change),
            f"{change.previous.value} -> {change.state.value}: {change.reason}",
            source=change.actor.source,
            key=str(change.at_ms),  # each transition is news, even a second kill
            context={
                "previous": change.previous.value,
                "state": change.state.value,
                "reason": change.reason,
                "uid": change.actor.uid,
                "pid": change.actor.pid,
                "cancel_open": change.cancel_open,
                "flatten": change.flatten,
            },
        )

    return listener
