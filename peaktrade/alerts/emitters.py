"""Alerts for events the daemon already has as values: ready-made listeners to subscribe.

Each turns one domain value into one alert with a stable code; the daemon wires them, e.g.
``switch.subscribe(state_change_listener(alerts))``.
"""

from __future__ import annotations

from collections.abc import Callable

from peaktrade.alerts.codes import lookup
from peaktrade.alerts.config import AlertLevel
from peaktrade.alerts.service import AlertService
from peaktrade.core.events import DaemonEvent
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


def daemon_event_listener(alerts: AlertService) -> Callable[[DaemonEvent], None]:
    """Every event the daemon's parts report becomes an alert of the same code.

    Codes the catalogue marks stateful are conditions: they alert on change and resolve on
    recovery (``event.resolved``); the rest are one-off alerts deduped by their key.
    """

    def listener(event: DaemonEvent) -> None:
        entry = lookup(event.code)
        level = AlertLevel(event.level) if event.level in AlertLevel.__members__ else None
        context = dict(event.context)
        if entry.stateful:
            alerts.set_condition(
                event.dedupe_key or event.code,
                None if event.resolved else (level or entry.level),
                code=event.code,
                message=event.message,
                source="daemon",
                context=context,
            )
            return
        if event.resolved:
            return  # a one-off alert has nothing to resolve
        key = event.dedupe_key.removeprefix(f"{event.code}:") if event.dedupe_key else None
        alerts.alert(
            event.code,
            event.message,
            source="daemon",
            context=context,
            key=None if key == event.code else key,
            level=level,
        )

    return listener
