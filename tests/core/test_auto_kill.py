"""Automatic latch moves, release after an automatic kill, and the stepped re-open."""

from __future__ import annotations

import pytest

from peaktrade.core import trading_state as ts
from peaktrade.core.auto_kill import (
    RISK_ACTOR,
    ReopenPhase,
    release,
    reopen_status,
    transition_for,
)
from peaktrade.core.risk_config import BreachAction, ReopenConfig
from peaktrade.core.trading_state import Actor, TradingState

OPERATOR = Actor(source="ptctl", uid=1000, pid=42)
T0 = 1_700_000_000_000
CONFIG = ReopenConfig(cooldown_s=600, steps=(0.5, 0.75, 1.0), step_interval_s=1800)


def auto_kill(at: int = T0) -> ts.StateChange:
    change = transition_for(TradingState.ACTIVE, BreachAction.HALT, reason="auto: x", now_ms=at)
    assert change is not None
    return change


def test_halt_action_latches_halted_as_risk() -> None:
    change = auto_kill()
    assert (change.state, change.actor) == (TradingState.HALTED, RISK_ACTOR)
    assert not change.cancel_open


def test_halt_cancel_open_action_asks_to_cancel() -> None:
    change = transition_for(
        TradingState.ACTIVE, BreachAction.HALT_CANCEL_OPEN, reason="auto", now_ms=T0
    )
    assert change is not None and change.cancel_open


def test_reduce_action_moves_active_to_reducing() -> None:
    change = transition_for(TradingState.ACTIVE, BreachAction.REDUCE, reason="auto", now_ms=T0)
    assert change is not None and change.state is TradingState.REDUCING


@pytest.mark.parametrize(
    ("state", "action"),
    [
        (TradingState.ACTIVE, BreachAction.ALERT),
        (TradingState.HALTED, BreachAction.HALT),
        (TradingState.HALTED, BreachAction.REDUCE),
        (TradingState.REDUCING, BreachAction.REDUCE),
    ],
)
def test_no_move_when_the_state_is_already_as_strict(
    state: TradingState, action: BreachAction
) -> None:
    assert transition_for(state, action, reason="auto", now_ms=T0) is None


def test_release_during_the_cooldown_is_refused() -> None:
    with pytest.raises(ts.TransitionRefused) as info:
        release(auto_kill(), CONFIG, reason="checked", actor=OPERATOR, now_ms=T0 + 599_000)
    assert info.value.code == "risk.release_cooldown"


def test_release_after_the_cooldown_needs_a_reason() -> None:
    with pytest.raises(ts.TransitionRefused) as info:
        release(auto_kill(), CONFIG, reason=" ", actor=OPERATOR, now_ms=T0 + 600_000)
    assert info.value.code == "state.reason_required"


def test_release_after_the_cooldown_with_a_reason_reopens() -> None:
    change = release(auto_kill(), CONFIG, reason="fixed feed", actor=OPERATOR, now_ms=T0 + 600_000)
    assert change.state is TradingState.ACTIVE and change.reason == "fixed feed"


def test_manual_kill_has_no_cooldown() -> None:
    manual = ts.kill(TradingState.ACTIVE, reason="op", actor=OPERATOR, now_ms=T0)
    change = release(manual, CONFIG, reason="done", actor=OPERATOR, now_ms=T0 + 1)
    assert change.state is TradingState.ACTIVE


def history_released(at: int) -> list[ts.StateChange]:
    kill = auto_kill()
    freed = release(kill, CONFIG, reason="ok", actor=OPERATOR, now_ms=at)
    return [freed, kill]


def test_status_shows_the_cooldown_while_killed() -> None:
    status = reopen_status([auto_kill()], CONFIG, last_breach_ms=None, now_ms=T0 + 1000)
    assert status.phase is ReopenPhase.COOLDOWN
    assert status.release_allowed_at_ms == T0 + 600_000


def test_reopen_steps_through_half_three_quarters_full() -> None:
    released = T0 + 600_000
    history = history_released(released)
    scales = [
        reopen_status(history, CONFIG, last_breach_ms=None, now_ms=released + k * 1_800_000).scale
        for k in (0, 1, 2)
    ]
    assert scales == [0.5, 0.75, 1.0]


def test_status_names_the_next_step() -> None:
    released = T0 + 600_000
    status = reopen_status(
        history_released(released), CONFIG, last_breach_ms=None, now_ms=released + 10
    )
    assert (status.phase, status.step, status.next_step_at_ms) == (
        ReopenPhase.REOPENING,
        0,
        released + 1_800_000,
    )


def test_a_new_breach_restarts_the_steps() -> None:
    released = T0 + 600_000
    breach = released + 2_000_000
    status = reopen_status(
        history_released(released), CONFIG, last_breach_ms=breach, now_ms=breach + 60_000
    )
    assert status.scale == 0.5


def test_release_of_a_manual_kill_is_full_size_at_once() -> None:
    manual = ts.kill(TradingState.ACTIVE, reason="op", actor=OPERATOR, now_ms=T0)
    freed = ts.release(TradingState.HALTED, reason="ok", actor=OPERATOR, now_ms=T0 + 1)
    status = reopen_status([freed, manual], CONFIG, last_breach_ms=None, now_ms=T0 + 2)
    assert (status.phase, status.scale) == (ReopenPhase.NORMAL, 1.0)
