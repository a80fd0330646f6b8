"""The stage ladder: one step up at a time, down anywhere, and where a start comes back."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from peaktrade.config import Mode, Network
from peaktrade.stages.ladder import (
    LADDER,
    MoveKind,
    MoveRefused,
    ceiling,
    check_degrade,
    check_promotion,
    rank,
    start_stage,
)

ANY_NET = frozenset({Network.TESTNET})


def promote(
    current: Mode, target: Mode, network: Network = Network.SIM, top: Mode = Mode.TESTNET
) -> MoveKind:
    return check_promotion(current, target, network=network, top=top, live_from=ANY_NET)


def refusal(current: Mode, target: Mode, **kw: object) -> str:
    with pytest.raises(MoveRefused) as caught:
        promote(current, target, **kw)  # type: ignore[arg-type]
    return caught.value.code


def test_promotion_within_the_network_takes_effect_in_process() -> None:
    assert promote(Mode.SHADOW, Mode.PAPER) is MoveKind.IN_PROCESS
    assert promote(Mode.PAPER, Mode.TESTNET) is MoveKind.IN_PROCESS


def test_promotion_goes_one_stage_at_a_time() -> None:
    assert refusal(Mode.SHADOW, Mode.TESTNET) == "stage.not_next"


def test_promotion_to_the_same_or_a_lower_stage_is_refused() -> None:
    assert refusal(Mode.PAPER, Mode.PAPER) == "stage.not_higher"
    assert refusal(Mode.TESTNET, Mode.SHADOW) == "stage.not_higher"


def test_promotion_above_max_stage_is_refused() -> None:
    assert refusal(Mode.PAPER, Mode.TESTNET, top=Mode.PAPER) == "stage.above_max"


def test_testnet_stage_does_not_exist_on_mainnet() -> None:
    assert refusal(Mode.PAPER, Mode.TESTNET, network=Network.MAINNET) == "stage.network_forbids"


def test_live_is_an_approval_from_a_testnet_run_only() -> None:
    assert promote(Mode.TESTNET, Mode.LIVE, network=Network.TESTNET) is MoveKind.APPROVAL
    assert refusal(Mode.TESTNET, Mode.LIVE, network=Network.SIM) == "stage.live_not_from_here"
    assert refusal(Mode.PAPER, Mode.LIVE, network=Network.MAINNET) == "stage.not_next"


def test_degrade_goes_to_any_lower_stage_never_to_live() -> None:
    check_degrade(Mode.TESTNET, Mode.SHADOW)
    check_degrade(Mode.LIVE, Mode.PAPER)
    for current, target in [(Mode.PAPER, Mode.PAPER), (Mode.SHADOW, Mode.PAPER)]:
        with pytest.raises(MoveRefused) as caught:
            check_degrade(current, target)
        assert caught.value.code == "stage.not_lower"


def test_a_fresh_database_starts_where_the_config_says() -> None:
    decision = start_stage(Mode.PAPER, None, persisted_by_degrade=False, top=Mode.TESTNET)
    assert (decision.stage, decision.note) == (Mode.PAPER, "first")


def test_a_promotion_survives_a_restart() -> None:
    decision = start_stage(Mode.PAPER, Mode.TESTNET, persisted_by_degrade=False, top=Mode.TESTNET)
    assert (decision.stage, decision.note) == (Mode.TESTNET, "resumed")


def test_a_persisted_stage_above_what_the_config_allows_comes_down_logged() -> None:
    decision = start_stage(Mode.PAPER, Mode.TESTNET, persisted_by_degrade=False, top=Mode.PAPER)
    assert (decision.stage, decision.note) == (Mode.PAPER, "degraded")
    assert "allows at most paper" in decision.message


def test_a_degrade_survives_a_restart() -> None:
    decision = start_stage(Mode.TESTNET, Mode.SHADOW, persisted_by_degrade=True, top=Mode.TESTNET)
    assert (decision.stage, decision.note) == (Mode.SHADOW, "kept_degrade")


def test_a_config_above_a_stage_nobody_degraded_raises_it_logged() -> None:
    decision = start_stage(Mode.TESTNET, Mode.PAPER, persisted_by_degrade=False, top=Mode.TESTNET)
    assert (decision.stage, decision.note) == (Mode.TESTNET, "raised_by_config")


def test_a_database_left_in_live_restarts_in_the_configured_stage() -> None:
    decision = start_stage(Mode.PAPER, Mode.LIVE, persisted_by_degrade=False, top=Mode.PAPER)
    assert decision.stage is Mode.PAPER and decision.note == "degraded"


stages = st.sampled_from(LADDER)
non_live = st.sampled_from(LADDER[:-1])


@given(configured=non_live, persisted=st.none() | stages, by_degrade=st.booleans(), top=non_live)
def test_a_start_is_never_live_nor_above_the_ceiling_unless_configured_live(
    configured: Mode, persisted: Mode | None, by_degrade: bool, top: Mode
) -> None:
    roof = ceiling(configured, top)
    decision = start_stage(configured, persisted, persisted_by_degrade=by_degrade, top=roof)
    assert decision.stage is not Mode.LIVE
    assert rank(decision.stage) <= rank(roof)


@given(persisted=st.none() | stages, by_degrade=st.booleans())
def test_live_is_decided_by_the_config_alone(persisted: Mode | None, by_degrade: bool) -> None:
    decision = start_stage(Mode.LIVE, persisted, persisted_by_degrade=by_degrade, top=Mode.LIVE)
    assert decision.stage is Mode.LIVE
