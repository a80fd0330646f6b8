"""Automatic transitions of the trading latch, and the way back after an automatic kill.

The risk layer moves the latch as actor ``risk``. Releasing an automatic kill needs the
operator's reason (the latch's own rule) and waits out a cool-down; after it, size limits are
scaled in steps (0.5, 0.75, 1.0 by default), each step after an interval without a new breach.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Sequence

import msgspec

from peaktrade.core import trading_state as ts
from peaktrade.core.risk_config import BreachAction, ReopenConfig
from peaktrade.core.trading_state import Actor, StateChange, TradingState

RISK_ACTOR = Actor(source="risk")


def is_automatic_kill(change: StateChange | None) -> bool:
    return (
        change is not None
        and change.state is TradingState.HALTED
        and change.actor.source == RISK_ACTOR.source
    )


def transition_for(
    current: TradingState, action: BreachAction | None, *, reason: str, now_ms: int
) -> StateChange | None:
    """The latch move an action asks for, or None when the state is already at least that strict.

    Never loosens: a REDUCE while HALTED, or any action again in its own state, is no move.
    """
    if action is None or action is BreachAction.ALERT:
        return None
    if action is BreachAction.REDUCE:
        if current is not TradingState.ACTIVE:
            return None
        return ts.reduce(current, reason=reason, actor=RISK_ACTOR, now_ms=now_ms)
    if current is TradingState.HALTED:
        return None
    return ts.kill(
        current,
        reason=reason,
        actor=RISK_ACTOR,
        now_ms=now_ms,
        cancel_open=action is BreachAction.HALT_CANCEL_OPEN,
    )


def release(
    last: StateChange | None,
    config: ReopenConfig,
    *,
    reason: str,
    actor: Actor,
    now_ms: int,
) -> StateChange:
    """The operator's release, refused during an automatic kill's cool-down.

    ``last`` is the latch's current change (``TradingSwitch.last``). Raises TransitionRefused.
    """
    current = last.state if last is not None else TradingState.ACTIVE
    if last is not None and is_automatic_kill(last):
        allowed_at = last.at_ms + int(config.cooldown_s * 1000)
        if now_ms < allowed_at:
            wait_s = (allowed_at - now_ms + 999) // 1000
            raise ts.TransitionRefused(
                "risk.release_cooldown",
                f"automatic kill ({last.reason}): release possible in {wait_s} s",
            )
    return ts.release(current, reason=reason, actor=actor, now_ms=now_ms)


class ReopenPhase(enum.StrEnum):
    NORMAL = "normal"  # full size
    HALTED = "halted"  # latched; no orders
    COOLDOWN = "cooldown"  # automatic kill, cool-down still running
    REOPENING = "reopening"  # released after an automatic kill, size scaled down


class ReopenStatus(msgspec.Struct, frozen=True, kw_only=True):
    """What ``ptctl risk`` shows about the way back; ``scale`` multiplies the size limits."""

    phase: ReopenPhase
    scale: float
    step: int  # index into ReopenConfig.steps; -1 when not re-opening
    next_step_at_ms: int | None
    release_allowed_at_ms: int | None  # set while an automatic kill cools down


_NORMAL = ReopenStatus(
    phase=ReopenPhase.NORMAL, scale=1.0, step=-1, next_step_at_ms=None, release_allowed_at_ms=None
)


def reopen_status(
    history: Sequence[StateChange],
    config: ReopenConfig,
    *,
    last_breach_ms: int | None,
    now_ms: int,
) -> ReopenStatus:
    """From the latch history (newest first) and the latest breach (from the violations store)."""
    if not history:
        return _NORMAL
    latest = history[0]
    if latest.state is TradingState.HALTED:
        automatic = is_automatic_kill(latest)
        allowed = latest.at_ms + int(config.cooldown_s * 1000) if automatic else None
        cooling = allowed is not None and now_ms < allowed
        return ReopenStatus(
            phase=ReopenPhase.COOLDOWN if cooling else ReopenPhase.HALTED,
            scale=0.0,
            step=-1,
            next_step_at_ms=None,
            release_allowed_at_ms=allowed,
        )
    released_at = None
    for newer, older in itertools.pairwise(history):
        if older.state is TradingState.HALTED:
            if is_automatic_kill(older):
                released_at = newer.at_ms
            break
    if released_at is None:
        return _NORMAL
    anchor = max(released_at, last_breach_ms or 0)
    interval_ms = int(config.step_interval_s * 1000)
    step = max(0, (now_ms - anchor) // interval_ms)
    last = len(config.steps) - 1
    if step >= last:
        return _NORMAL
    return ReopenStatus(
        phase=ReopenPhase.REOPENING,
        scale=config.steps[step],
        step=step,
        next_step_at_ms=anchor + (step + 1) * interval_ms,
        release_allowed_at_ms=None,
    )
