"""Alerts once per condition; violations for order and portfolio breaches."""

from __future__ import annotations

import msgspec

from peaktrade.core.portfolio_risk import evaluate_portfolio
from peaktrade.core.risk import check_orders
from peaktrade.core.risk_alerts import AlertKind, alert_changes
from peaktrade.core.risk_rules import RuleStatus
from peaktrade.core.risk_violations import order_violations, portfolio_violations
from tests.core.risk_support import NOW, buy, limits, snapshot

LIMITS = limits(max_total_exposure_notional=200)


def evaluate(btc: float):  # type: ignore[no-untyped-def]
    snap = snapshot({"BTC/USDT": btc}).portfolio
    return snap, evaluate_portfolio(LIMITS, snap)


def test_warning_raises_an_alert_once() -> None:
    active, first = alert_changes({}, evaluate(1.7)[1])
    _, second = alert_changes(active, evaluate(1.8)[1])
    assert [(a.kind, a.status) for a in first] == [(AlertKind.RAISED, RuleStatus.WARNING)]
    assert second == []


def test_alert_resolves_when_usage_falls_back() -> None:
    active, _ = alert_changes({}, evaluate(1.7)[1])
    active, alerts = alert_changes(active, evaluate(1.0)[1])
    assert [a.kind for a in alerts] == [AlertKind.RESOLVED]
    assert active == {}


def test_warning_turning_into_breach_raises_again() -> None:
    active, _ = alert_changes({}, evaluate(1.7)[1])
    _, alerts = alert_changes(active, evaluate(2.5)[1])
    assert [(a.kind, a.status) for a in alerts] == [(AlertKind.RAISED, RuleStatus.BREACH)]


def test_breach_easing_to_warning_does_not_alert() -> None:
    active, _ = alert_changes({}, evaluate(2.5)[1])
    active, alerts = alert_changes(active, evaluate(1.7)[1])
    assert alerts == []
    assert active == {"max_total_exposure_notional": RuleStatus.WARNING}


def test_condition_of_a_closed_position_resolves() -> None:
    lim = limits(max_symbol_exposure_notional=100)
    active, _ = alert_changes({}, evaluate_portfolio(lim, snapshot({"BTC/USDT": 2.0}).portfolio))
    _, alerts = alert_changes(active, evaluate_portfolio(lim, snapshot({}).portfolio))
    assert [(a.kind, a.key) for a in alerts] == [
        (AlertKind.RESOLVED, "max_symbol_exposure_notional:BTC/USDT")
    ]


def test_blocked_order_is_a_violation_with_the_order() -> None:
    batch = [buy("BTC/USDT", 3)]
    results = check_orders(limits(max_order_notional=100), batch, snapshot())
    (v,) = order_violations(batch, results, now_ms=NOW)
    assert (v.rule, v.code, v.limit, v.value, v.subject, v.action) == (
        "max_order_notional",
        "risk.max_order_notional",
        100.0,
        300.0,
        "order",
        "blocked",
    )
    assert msgspec.json.decode(v.detail)["qty"] == 3


def test_breach_let_through_is_recorded_as_allowed_with_warning() -> None:
    batch = [buy("BTC/USDT", 3)]
    results = check_orders(
        limits(max_order_notional=100, block_on_violation=False), batch, snapshot()
    )
    assert order_violations(batch, results, now_ms=NOW)[0].action == "allowed_with_warning"


def test_clean_orders_make_no_violation() -> None:
    batch = [buy("BTC/USDT", 1)]
    assert order_violations(batch, check_orders(limits(), batch, snapshot()), now_ms=NOW) == []


def test_portfolio_breach_is_recorded_once_with_the_action() -> None:
    snap, result = evaluate(2.5)
    active, alerts = alert_changes({}, result)
    (v,) = portfolio_violations(result, snap, alerts)
    assert (v.subject, v.action, v.code) == (
        "portfolio",
        "reduce",
        "risk.max_total_exposure_notional",
    )
    _, again = alert_changes(active, result)
    assert portfolio_violations(result, snap, again) == []
