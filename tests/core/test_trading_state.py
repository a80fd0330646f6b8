"""The latch rules: kill from anywhere, release only with a reason, reduce never loosens."""

from __future__ import annotations

import pytest

from peaktrade.core import trading_state as ts
from peaktrade.core.trading_state import TradingState

ACTOR = ts.Actor(source="ptctl", uid=1000, pid=42)


@pytest.mark.parametrize("current", list(TradingState))
def test_kill_latches_halted_from_any_state(current: TradingState) -> None:
    change = ts.kill(current, reason="flash crash", actor=ACTOR, now_ms=5, cancel_open=True)
    assert (change.previous, change.state) == (current, TradingState.HALTED)
    assert change.cancel_open and not change.flatten
    assert (change.actor, change.at_ms, change.reason) == (ACTOR, 5, "flash crash")


def test_reduce_from_halted_needs_release() -> None:
    with pytest.raises(ts.TransitionRefused) as info:
        ts.reduce(TradingState.HALTED, reason="x", actor=ACTOR, now_ms=1)
    assert info.value.code == "state.halted_needs_release"


def test_reduce_from_active() -> None:
    change = ts.reduce(TradingState.ACTIVE, reason="news", actor=ACTOR, now_ms=1)
    assert change.state is TradingState.REDUCING


@pytest.mark.parametrize("current", [TradingState.HALTED, TradingState.REDUCING])
def test_release_rearms(current: TradingState) -> None:
    assert ts.release(current, reason="ok", actor=ACTOR, now_ms=1).state is TradingState.ACTIVE


def test_release_when_active_is_refused() -> None:
    with pytest.raises(ts.TransitionRefused) as info:
        ts.release(TradingState.ACTIVE, reason="ok", actor=ACTOR, now_ms=1)
    assert info.value.code == "state.already_active"


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_reason_is_required(reason: str) -> None:
    with pytest.raises(ts.TransitionRefused) as info:
        ts.kill(TradingState.ACTIVE, reason=reason, actor=ACTOR, now_ms=1)
    assert info.value.code == "state.reason_required"


@pytest.mark.parametrize(
    ("state", "reducing", "allowed"),
    [
        (TradingState.ACTIVE, False, True),
        (TradingState.ACTIVE, True, True),
        (TradingState.REDUCING, False, False),
        (TradingState.REDUCING, True, True),
        (TradingState.HALTED, False, False),
        (TradingState.HALTED, True, False),
    ],
)
def test_order_gate(state: TradingState, reducing: bool, allowed: bool) -> None:
    assert ts.allows_order(state, reduces_exposure=reducing) is allowed
