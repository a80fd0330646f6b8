"""ptctl risk: limits in force, usage and headroom."""

from __future__ import annotations

import pytest

from peaktrade.core.portfolio_risk import evaluate_portfolio
from peaktrade.core.risk_rules import RuleStatus
from peaktrade.core.risk_usage import render_usage, risk_usage
from peaktrade.core.trade_usage import RunUsage
from tests.core.risk_support import NOW, limits, snapshot


def rows_for(**keys: float):  # type: ignore[no-untyped-def]
    lim = limits(**keys)
    snap = snapshot({"BTC/USDT": 2.0}, day_trades=4)
    result = evaluate_portfolio(lim, snap.portfolio)
    rows = risk_usage(
        lim, result, day=snap.day, run=RunUsage(trades=1), free_quote=800.0, now_ms=NOW
    )
    return {r.rule: r for r in rows}


def test_portfolio_limit_shows_usage_and_headroom() -> None:
    row = rows_for(max_total_exposure_notional=500)["max_total_exposure_notional"]
    assert (row.value, row.headroom, row.usage_pct) == (200.0, 300.0, pytest.approx(40.0))
    assert row.status is RuleStatus.OK


def test_daily_trade_cap_shows_the_day_counter() -> None:
    row = rows_for(max_daily_trades=5)["max_daily_trades"]
    assert (row.value, row.headroom, row.status) == (4.0, 1.0, RuleStatus.WARNING)


def test_minimum_free_balance_headroom_is_what_is_left_above_it() -> None:
    row = rows_for(min_free_quote_balance=1000)["min_free_quote_balance"]
    assert (row.headroom, row.status) == (-200.0, RuleStatus.BREACH)


def test_order_only_limit_is_listed_without_usage() -> None:
    row = rows_for(max_order_notional=50)["max_order_notional"]
    assert (row.limit, row.value, row.headroom) == (50.0, None, None)


def test_rendered_line_names_rule_limit_and_headroom() -> None:
    lim = limits(max_total_exposure_notional=500)
    snap = snapshot({"BTC/USDT": 2.0})
    rows = risk_usage(
        lim,
        evaluate_portfolio(lim, snap.portfolio),
        day=snap.day,
        run=RunUsage(),
        free_quote=0.0,
        now_ms=NOW,
    )
    (line,) = render_usage(rows)
    assert line.split() == [
        "max_total_exposure_notional",
        "limit",
        "500",
        "used",
        "200",
        "(40%)",
        "headroom",
        "300",
        "OK",
    ]
