"""Trading state and the rules for moving between states.

The kill switch is a latch: once HALTED, only an explicit release with a reason re-arms trading.
Pure functions over structs so the rules can be tested without a daemon.
"""

from __future__ import annotations

import enum

import msgspec


class TradingState(enum.StrEnum):
    """What the daemon may do with new orders."""

    ACTIVE = "ACTIVE"
    REDUCING = "REDUCING"  # only orders that reduce exposure
    HALTED = "HALTED"  # no new orders; cancels still pass


class Actor(msgspec.Struct, frozen=True):
    """Who asked for a transition: a peer on the control socket, or the daemon itself."""

    source: str  # "ptctl", "risk", "reconcile", "daemon", ...
    uid: int = -1
    pid: int = -1


class StateChange(msgspec.Struct, frozen=True):
    """One transition, as persisted and shown by ``ptctl status``."""

    previous: TradingState
    state: TradingState
    reason: str
    actor: Actor
    at_ms: int
    cancel_open: bool = False
    flatten: bool = False


class TransitionRefused(Exception):
    """A transition that the latch rules do not allow; ``code`` is stable for runbooks."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def kill(
    current: TradingState,
    *,
    reason: str,
    actor: Actor,
    now_ms: int,
    cancel_open: bool = False,
    flatten: bool = False,
) -> StateChange:
    """Latch HALTED from any state. Killing twice is allowed: the newest reason wins."""
    return StateChange(
        previous=current,
        state=TradingState.HALTED,
        reason=_require_reason(reason),
        actor=actor,
        at_ms=now_ms,
        cancel_open=cancel_open,
        flatten=flatten,
    )


def reduce(current: TradingState, *, reason: str, actor: Actor, now_ms: int) -> StateChange:
    """ACTIVE -> REDUCING. From HALTED this would loosen the latch, so it needs a release."""
    if current is TradingState.HALTED:
        raise TransitionRefused(
            "state.halted_needs_release",
            "trading is HALTED; release it first (ptctl release --reason ...)",
        )
    return StateChange(
        previous=current,
        state=TradingState.REDUCING,
        reason=_require_reason(reason),
        actor=actor,
        at_ms=now_ms,
    )


def release(current: TradingState, *, reason: str, actor: Actor, now_ms: int) -> StateChange:
    """HALTED or REDUCING -> ACTIVE, only with an operator's reason."""
    if current is TradingState.ACTIVE:
        raise TransitionRefused("state.already_active", "trading is already ACTIVE")
    return StateChange(
        previous=current,
        state=TradingState.ACTIVE,
        reason=_require_reason(reason),
        actor=actor,
        at_ms=now_ms,
    )


def allows_order(state: TradingState, *, reduces_exposure: bool) -> bool:
    """The trading-state gate of the order path."""
    if state is TradingState.ACTIVE:
        return True
    if state is TradingState.REDUCING:
        return reduces_exposure
    return False


def _require_reason(reason: str) -> str:
    text = reason.strip()
    if not text:
        raise TransitionRefused("state.reason_required", "a reason is required")
    if len(text) > 500:
        raise TransitionRefused(
            "state.reason_too_long", "the reason must be 500 characters or less"
        )
    return text
