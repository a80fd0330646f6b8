"""Config reload: tightening at once, loosening over 25 % held for approval, every change listed."""

from __future__ import annotations

import math

from peaktrade.core.reload_policy import Direction, limits_while_held, plan_reload
from peaktrade.core.risk_config import (
    BreachAction,
    LimitActions,
    ReloadPolicyConfig,
    SymbolRiskConfig,
)
from tests.core.risk_support import limits


def test_tightening_applies_at_once() -> None:
    old, new = limits(max_order_notional=100), limits(max_order_notional=50)
    plan = plan_reload(old, new)
    assert not plan.needs_approval
    assert [(c.key, c.direction) for c in plan.changes] == [
        ("max_order_notional", Direction.TIGHTEN)
    ]


def test_loosening_up_to_the_threshold_applies() -> None:
    plan = plan_reload(limits(max_order_notional=100), limits(max_order_notional=125))
    assert not plan.needs_approval
    assert plan.changes[0].loosen_pct == 25.0


def test_loosening_beyond_the_threshold_is_held() -> None:
    plan = plan_reload(limits(max_order_notional=100), limits(max_order_notional=126))
    assert [c.key for c in plan.held] == ["max_order_notional"]


def test_lifting_a_limit_is_held() -> None:
    plan = plan_reload(limits(max_daily_loss_abs=100), limits())
    assert plan.held[0].loosen_pct == math.inf


def test_lowering_a_minimum_is_loosening() -> None:
    plan = plan_reload(limits(min_free_quote_balance=100), limits(min_free_quote_balance=50))
    assert plan.held[0].key == "min_free_quote_balance"


def test_widening_the_whitelist_is_held() -> None:
    plan = plan_reload(limits(symbol_whitelist=("BTC/USDT",)), limits())
    assert plan.held[0].key == "whitelist"


def test_weakening_an_action_is_held() -> None:
    weaker = LimitActions(max_daily_loss_abs=BreachAction.ALERT)
    plan = plan_reload(limits(), limits(actions=weaker))
    assert plan.held[0].key == "actions.max_daily_loss_abs"


def test_switching_blocking_off_is_held() -> None:
    plan = plan_reload(limits(), limits(block_on_violation=False))
    assert plan.held[0].key == "block_on_violation"


def test_per_symbol_loosening_is_held() -> None:
    old = limits(symbols={"BTC/USDT": SymbolRiskConfig(max_order_notional=10)})
    new = limits(symbols={"BTC/USDT": SymbolRiskConfig(max_order_notional=20)})
    assert [c.key for c in plan_reload(old, new).held] == ["symbols.BTC/USDT.max_order_notional"]


def test_held_values_stay_while_the_rest_applies() -> None:
    old = limits(max_order_notional=100, max_daily_loss_abs=100)
    new = limits(max_order_notional=1000, max_daily_loss_abs=50)
    effective = limits_while_held(old, new, plan_reload(old, new))
    assert (effective.max_order_notional, effective.max_daily_loss_abs) == (100.0, 50.0)


def test_held_symbol_override_removal_keeps_the_override() -> None:
    old = limits(
        max_order_notional=100, symbols={"BTC/USDT": SymbolRiskConfig(max_order_notional=10)}
    )
    new = limits(max_order_notional=100)
    effective = limits_while_held(old, new, plan_reload(old, new))
    assert effective.for_symbol("BTC/USDT").max_order_notional == 10.0


def test_threshold_is_the_one_in_force() -> None:
    old = limits(max_order_notional=100)
    new = limits(max_order_notional=200, reload=ReloadPolicyConfig(max_loosen_pct=500))
    assert plan_reload(old, new).needs_approval


def test_a_held_loosening_keeps_the_limit_the_order_checks_read() -> None:
    """Held keys must stay old where check_orders looks: the per-symbol default too."""
    from peaktrade.core.reload_policy import limits_while_held, plan_reload
    from peaktrade.core.risk_config import LiveRiskConfig
    from peaktrade.core.risk_limits import resolve_limits

    def limits(order: float, total: float):  # type: ignore[no-untyped-def]
        config = LiveRiskConfig(max_order_notional=order, max_total_exposure_notional=total)
        return resolve_limits(config, exchange_id="binance", symbols=["BTC/USDT"], equity=1e5)

    current, proposed = limits(1000, 8000), limits(2000, 7000)
    held = limits_while_held(current, proposed, plan_reload(current, proposed))
    assert held.for_symbol("BTC/USDT").max_order_notional == 1000  # loosening held
    assert held.max_total_exposure_notional == 7000  # tightening applied
