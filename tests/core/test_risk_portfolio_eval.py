"""evaluate_portfolio: exposure, positions, daily loss, drawdown, and the breach actions."""

from __future__ import annotations

import pytest

from peaktrade.core.portfolio_risk import evaluate_portfolio
from peaktrade.core.risk_config import BreachAction, LimitActions, SymbolRiskConfig
from peaktrade.core.risk_rules import Decision, Rule, RuleStatus
from tests.core.risk_support import limits, snapshot


def evaluate(lim, snap):  # type: ignore[no-untyped-def]
    return evaluate_portfolio(lim, snap.portfolio)


def test_portfolio_within_limits_needs_no_action() -> None:
    result = evaluate(limits(max_total_exposure_notional=1000), snapshot({"BTC/USDT": 1.0}))
    assert result.decision is Decision.ALLOW
    assert result.action is None


def test_total_exposure_breach_moves_to_reducing_by_default() -> None:
    result = evaluate(limits(max_total_exposure_notional=150), snapshot({"BTC/USDT": 2.0}))
    assert result.breaches[0].rule is Rule.MAX_TOTAL_EXPOSURE_NOTIONAL
    assert result.action is BreachAction.REDUCE


def test_symbol_exposure_is_reported_per_symbol() -> None:
    lim = limits(max_symbol_exposure_notional=150)
    result = evaluate(lim, snapshot({"BTC/USDT": 2.0, "ETH/USDT": 1.0}))
    rows = {o.symbol: o.status for o in result.outcomes}
    assert rows == {"BTC/USDT": RuleStatus.BREACH, "ETH/USDT": RuleStatus.OK}


def test_symbol_override_applies_to_the_portfolio_check() -> None:
    lim = limits(symbols={"ETH/USDT": SymbolRiskConfig(max_symbol_exposure_notional=5)})
    result = evaluate(lim, snapshot({"ETH/USDT": 1.0}))
    assert result.breaches[0].symbol == "ETH/USDT"


def test_position_size_limit_is_checked_on_the_portfolio() -> None:
    lim = limits(symbols={"SOL/USDT": SymbolRiskConfig(max_position_qty=5)})
    result = evaluate(lim, snapshot({"SOL/USDT": -6.0}))
    assert result.breaches[0].rule is Rule.MAX_POSITION_QTY


def test_too_many_open_positions_is_a_breach() -> None:
    lim = limits(max_open_positions=1)
    result = evaluate(lim, snapshot({"BTC/USDT": 1.0, "ETH/USDT": 1.0}))
    assert result.breaches[0].rule is Rule.MAX_OPEN_POSITIONS
    assert result.action is BreachAction.REDUCE


def test_daily_loss_breach_latches_halted_by_default() -> None:
    snap = snapshot(cash=9_000.0, day_start_equity=10_000.0)
    result = evaluate(limits(max_daily_loss_abs=500), snap)
    assert result.action is BreachAction.HALT


def test_daily_loss_pct_breach_halts() -> None:
    snap = snapshot(cash=9_000.0, day_start_equity=10_000.0)
    result = evaluate(limits(max_daily_loss_pct=5), snap)
    assert result.breaches[0].value == pytest.approx(10.0)
    assert result.action is BreachAction.HALT


def test_loss_from_zero_starting_equity_counts_as_total() -> None:
    snap = snapshot(cash=-1.0, day_start_equity=0.0)
    result = evaluate(limits(max_daily_loss_pct=50), snap)
    assert result.breaches[0].value == 100.0


def test_zero_equity_without_loss_is_no_breach() -> None:
    result = evaluate(limits(max_daily_loss_pct=5, max_drawdown_pct=5), snapshot(cash=0.0))
    assert result.decision is Decision.ALLOW


def test_drawdown_breach_halts_by_default() -> None:
    snap = snapshot(cash=8_000.0, peak_equity=10_000.0)
    result = evaluate(limits(max_drawdown_pct=10), snap)
    assert result.breaches[0].value == pytest.approx(20.0)
    assert result.action is BreachAction.HALT


def test_configured_action_alert_only() -> None:
    lim = limits(
        max_daily_loss_abs=500, actions=LimitActions(max_daily_loss_abs=BreachAction.ALERT)
    )
    result = evaluate(lim, snapshot(cash=9_000.0, day_start_equity=10_000.0))
    assert result.action is BreachAction.ALERT
    assert result.decision is Decision.BLOCK


def test_configured_action_halt_with_cancel_open() -> None:
    actions = LimitActions(max_total_exposure_notional=BreachAction.HALT_CANCEL_OPEN)
    lim = limits(max_total_exposure_notional=50, actions=actions)
    assert evaluate(lim, snapshot({"BTC/USDT": 1.0})).action is BreachAction.HALT_CANCEL_OPEN


def test_the_most_severe_action_of_several_breaches_wins() -> None:
    lim = limits(max_total_exposure_notional=50, max_daily_loss_abs=10)
    snap = snapshot({"BTC/USDT": 1.0}, cash=9_000.0, day_start_equity=10_000.0)
    assert evaluate(lim, snap).action is BreachAction.HALT


def test_warning_only_raises_an_alert() -> None:
    result = evaluate(limits(max_total_exposure_notional=110), snapshot({"BTC/USDT": 1.0}))
    assert result.decision is Decision.ALLOW_WITH_WARNING
    assert result.action is BreachAction.ALERT
