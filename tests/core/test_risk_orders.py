"""check_orders: every rule, cumulative batches, reducing orders, warnings, guards."""

from __future__ import annotations

import pytest

from peaktrade.core.risk import check_orders
from peaktrade.core.risk_config import BreachAction, RiskProfile, SymbolRiskConfig
from peaktrade.core.risk_rules import GUARDS, REASON_CODES, Decision, Rule, RuleStatus
from peaktrade.core.trade_usage import RunUsage
from tests.core.risk_support import NOW, buy, limits, quote, quotes, sell, snapshot


def one(lim, order, snap=None):  # type: ignore[no-untyped-def]
    (result,) = check_orders(lim, [order], snap or snapshot())
    return result


def status(result, rule: Rule) -> RuleStatus:  # type: ignore[no-untyped-def]
    outcome = result.outcome(rule)
    assert outcome is not None, f"{rule} not evaluated"
    return outcome.status


def test_order_within_every_limit_is_allowed_without_action() -> None:
    result = one(limits(max_order_notional=1000), buy("BTC/USDT", 1))
    assert result.decision is Decision.ALLOW
    assert result.action is None
    assert result.notional == pytest.approx(100.0)


def test_every_result_row_has_rule_limit_value_status_and_code() -> None:
    result = one(limits(max_order_notional=50), buy("BTC/USDT", 1))
    row = result.outcome(Rule.MAX_ORDER_NOTIONAL)
    assert row is not None
    assert (row.rule, row.limit, row.value, row.status, row.code, row.passed) == (
        Rule.MAX_ORDER_NOTIONAL,
        50.0,
        100.0,
        RuleStatus.BREACH,
        "risk.max_order_notional",
        False,
    )


def test_every_reason_code_emitted_is_documented() -> None:
    lim = limits(
        max_order_notional=1,
        max_total_exposure_notional=1,
        max_symbol_exposure_notional=1,
        max_open_positions=1,
        max_position_qty=0.1,
        max_daily_loss_abs=1,
        max_daily_loss_pct=1,
        max_drawdown_pct=1,
        min_free_quote_balance=1,
        max_orders_per_second=1,
        max_orders_per_minute=1,
        price_band_pct=1,
        max_quote_age_s=1,
        max_run_notional=1,
        max_run_trades=1,
        max_daily_notional=1,
        max_daily_trades=1,
    )
    orders = [buy("BTC/USDT", 1), buy("DOGE/USDT", -1), buy("ETH/USDT", 1, price=10.0)]
    results = check_orders(lim, orders, snapshot(quote_map={}))
    codes = {o.code for r in results for o in r.outcomes}
    assert len(codes) >= 18
    assert codes <= set(REASON_CODES)


def test_invalid_quantity_is_refused() -> None:
    result = one(limits(), buy("BTC/USDT", 0))
    assert status(result, Rule.INVALID_ORDER) is RuleStatus.BREACH
    assert result.decision is Decision.BLOCK


def test_symbol_outside_the_whitelist_is_refused() -> None:
    lim = limits(symbol_whitelist=("ETH/USDT",))
    result = one(lim, buy("BTC/USDT", 1))
    assert result.reason_codes == ("risk.symbol_whitelist",)
    assert result.decision is Decision.BLOCK


def test_empty_whitelist_means_the_configured_markets() -> None:
    assert limits().whitelist == {"BTC/USDT", "ETH/USDT", "SOL/USDT"}


def test_order_without_a_quote_is_refused() -> None:
    result = one(limits(), buy("BTC/USDT", 1), snapshot(quote_map={}))
    assert result.reason_codes[0] == "risk.no_quote"
    assert result.decision is Decision.BLOCK


def test_stale_quote_is_refused() -> None:
    snap = snapshot(quote_map=quotes(b=quote("BTC/USDT", age_ms=11_000)))
    result = one(limits(max_quote_age_s=10), buy("BTC/USDT", 1), snap)
    assert result.reason_codes == ("risk.max_quote_age_s",)


def test_limit_price_outside_the_band_is_refused() -> None:
    result = one(limits(price_band_pct=2), buy("BTC/USDT", 1, price=103.0))
    assert result.reason_codes == ("risk.price_band_pct",)
    assert result.outcome(Rule.PRICE_BAND_PCT).value == pytest.approx(3.0)  # type: ignore[union-attr]


def test_limit_price_inside_the_band_passes() -> None:
    result = one(limits(price_band_pct=2), sell("BTC/USDT", 1, price=98.5))
    assert status(result, Rule.PRICE_BAND_PCT) is RuleStatus.OK


def test_order_notional_above_limit_is_refused() -> None:
    result = one(limits(max_order_notional=99), buy("BTC/USDT", 1))
    assert result.reason_codes == ("risk.max_order_notional",)


def test_limit_order_is_valued_at_its_limit_price() -> None:
    result = one(limits(), buy("BTC/USDT", 2, price=95.0))
    assert result.notional == pytest.approx(190.0)


def test_per_symbol_override_tightens_one_instrument() -> None:
    lim = limits(
        max_order_notional=1000, symbols={"BTC/USDT": SymbolRiskConfig(max_order_notional=50)}
    )
    results = check_orders(lim, [buy("BTC/USDT", 1), buy("ETH/USDT", 10)], snapshot())
    assert [r.decision for r in results] == [Decision.BLOCK, Decision.ALLOW]


def test_per_symbol_zero_lifts_the_limit_for_that_symbol() -> None:
    lim = limits(
        max_order_notional=10, symbols={"BTC/USDT": SymbolRiskConfig(max_order_notional=0)}
    )
    assert one(lim, buy("BTC/USDT", 1)).outcome(Rule.MAX_ORDER_NOTIONAL) is None


def test_position_size_above_limit_is_refused() -> None:
    lim = limits(symbols={"BTC/USDT": SymbolRiskConfig(max_position_qty=1.5)})
    result = one(lim, buy("BTC/USDT", 1), snapshot({"BTC/USDT": 1.0}))
    assert result.reason_codes == ("risk.max_position_qty",)


def test_symbol_exposure_counts_the_existing_position() -> None:
    lim = limits(max_symbol_exposure_notional=250)
    result = one(lim, buy("BTC/USDT", 1), snapshot({"BTC/USDT": 2.0}))
    assert result.outcome(Rule.MAX_SYMBOL_EXPOSURE_NOTIONAL).value == pytest.approx(300.0)  # type: ignore[union-attr]
    assert result.decision is Decision.BLOCK


def test_total_exposure_counts_every_symbol() -> None:
    lim = limits(max_total_exposure_notional=250)
    result = one(lim, buy("ETH/USDT", 6), snapshot({"BTC/USDT": 2.0}))
    assert result.outcome(Rule.MAX_TOTAL_EXPOSURE_NOTIONAL).value == pytest.approx(260.0)  # type: ignore[union-attr]
    assert result.reason_codes == ("risk.max_total_exposure_notional",)


def test_short_position_counts_as_exposure() -> None:
    lim = limits(max_total_exposure_notional=250)
    result = one(lim, sell("ETH/USDT", 6), snapshot({"BTC/USDT": -2.0}))
    assert result.decision is Decision.BLOCK


def test_new_symbol_beyond_max_open_positions_is_refused() -> None:
    lim = limits(max_open_positions=2)
    result = one(lim, buy("SOL/USDT", 1), snapshot({"BTC/USDT": 1.0, "ETH/USDT": 1.0}))
    assert result.reason_codes == ("risk.max_open_positions",)


def test_adding_to_an_open_symbol_does_not_open_a_position() -> None:
    lim = limits(max_open_positions=2)
    result = one(lim, buy("BTC/USDT", 1), snapshot({"BTC/USDT": 1.0, "ETH/USDT": 1.0}))
    assert status(result, Rule.MAX_OPEN_POSITIONS) is RuleStatus.WARNING


def test_buy_that_eats_into_the_minimum_free_balance_is_refused() -> None:
    lim = limits(min_free_quote_balance=950)
    result = one(lim, buy("BTC/USDT", 1), snapshot(free_quote=1000.0))
    assert result.outcome(Rule.MIN_FREE_QUOTE_BALANCE).value == pytest.approx(900.0)  # type: ignore[union-attr]
    assert result.reason_codes == ("risk.min_free_quote_balance",)


def test_sell_does_not_use_the_free_balance() -> None:
    lim = limits(min_free_quote_balance=950)
    result = one(lim, sell("BTC/USDT", 1), snapshot({"BTC/USDT": 1.0}, free_quote=1000.0))
    assert status(result, Rule.MIN_FREE_QUOTE_BALANCE) is RuleStatus.WARNING
    assert result.allowed


def test_daily_loss_beyond_limit_refuses_new_risk() -> None:
    snap = snapshot(cash=9_000.0, day_start_equity=10_000.0)
    result = one(limits(max_daily_loss_abs=500), buy("BTC/USDT", 1), snap)
    assert result.reason_codes == ("risk.max_daily_loss_abs",)


def test_daily_loss_pct_is_of_the_day_start_equity() -> None:
    snap = snapshot(cash=9_700.0, day_start_equity=10_000.0)
    result = one(limits(max_daily_loss_pct=2), buy("BTC/USDT", 1), snap)
    assert result.outcome(Rule.MAX_DAILY_LOSS_PCT).value == pytest.approx(3.0)  # type: ignore[union-attr]
    assert result.decision is Decision.BLOCK


def test_drawdown_beyond_limit_refuses_new_risk() -> None:
    snap = snapshot(cash=9_000.0, peak_equity=10_000.0)
    result = one(limits(max_drawdown_pct=5), buy("BTC/USDT", 1), snap)
    assert result.reason_codes == ("risk.max_drawdown_pct",)


def test_orders_per_second_counts_recent_sends_and_the_batch() -> None:
    run = RunUsage(trades=1, recent_ms=(NOW - 500,))
    results = check_orders(
        limits(max_orders_per_second=2), [buy("BTC/USDT", 0.1)] * 2, snapshot(run=run)
    )
    assert [r.decision for r in results] == [Decision.ALLOW_WITH_WARNING, Decision.BLOCK]
    assert results[1].reason_codes == ("risk.max_orders_per_second",)


def test_orders_per_minute_ignores_sends_older_than_a_minute() -> None:
    run = RunUsage(trades=2, recent_ms=(NOW - 61_000, NOW - 30_000))
    result = one(limits(max_orders_per_minute=2), buy("BTC/USDT", 0.1), snapshot(run=run))
    assert result.outcome(Rule.MAX_ORDERS_PER_MINUTE).value == 2.0  # type: ignore[union-attr]
    assert result.allowed


def test_run_trade_cap_refuses_once_reached() -> None:
    result = one(limits(max_run_trades=3), buy("BTC/USDT", 0.1), snapshot(run=RunUsage(trades=3)))
    assert result.reason_codes == ("risk.max_run_trades",)


def test_run_notional_cap_counts_this_order() -> None:
    snap = snapshot(run=RunUsage(trades=1, notional=950.0))
    result = one(limits(max_run_notional=1000), buy("BTC/USDT", 1), snap)
    assert result.reason_codes == ("risk.max_run_notional",)


def test_daily_caps_read_the_persisted_day_counters() -> None:
    snap = snapshot(day_trades=10, day_notional=100.0)
    results = check_orders(
        limits(max_daily_trades=10, max_daily_notional=1000), [buy("BTC/USDT", 1)], snap
    )
    assert results[0].reason_codes == ("risk.max_daily_trades",)


def test_batch_that_breaches_only_cumulatively_blocks_the_order_that_crosses() -> None:
    lim = limits(max_symbol_exposure_notional=250)
    results = check_orders(
        lim, [buy("BTC/USDT", 1), buy("BTC/USDT", 1), buy("BTC/USDT", 1)], snapshot()
    )
    assert [r.decision for r in results] == [
        Decision.ALLOW,
        Decision.ALLOW_WITH_WARNING,
        Decision.BLOCK,
    ]
    assert results[2].outcome(Rule.MAX_SYMBOL_EXPOSURE_NOTIONAL).value == pytest.approx(300.0)  # type: ignore[union-attr]


def test_blocked_order_adds_nothing_for_the_next_one() -> None:
    lim = limits(max_order_notional=150, max_symbol_exposure_notional=250)
    results = check_orders(
        lim, [buy("BTC/USDT", 2), buy("BTC/USDT", 1), buy("BTC/USDT", 1)], snapshot()
    )
    assert [r.allowed for r in results] == [False, True, True]


def test_reducing_order_passes_a_broken_exposure_limit() -> None:
    lim = limits(max_symbol_exposure_notional=100, max_total_exposure_notional=100)
    result = one(lim, sell("BTC/USDT", 1), snapshot({"BTC/USDT": 3.0}))
    assert result.reducing
    assert status(result, Rule.MAX_SYMBOL_EXPOSURE_NOTIONAL) is RuleStatus.EXEMPT
    assert result.allowed


def test_reducing_order_still_meets_the_order_notional_limit() -> None:
    lim = limits(max_order_notional=50, max_symbol_exposure_notional=100)
    result = one(lim, sell("BTC/USDT", 1), snapshot({"BTC/USDT": 3.0}))
    assert result.reason_codes == ("risk.max_order_notional",)


def test_reducing_order_passes_the_daily_loss_limit() -> None:
    snap = snapshot({"BTC/USDT": 1.0}, cash=8_000.0, day_start_equity=10_000.0)
    result = one(limits(max_daily_loss_abs=500), sell("BTC/USDT", 1), snap)
    assert status(result, Rule.MAX_DAILY_LOSS_ABS) is RuleStatus.EXEMPT
    assert result.allowed


def test_buy_against_a_short_is_reducing() -> None:
    lim = limits(max_symbol_exposure_notional=100)
    result = one(lim, buy("BTC/USDT", 2), snapshot({"BTC/USDT": -3.0}))
    assert result.reducing and result.allowed


def test_order_that_flips_the_position_is_not_reducing() -> None:
    lim = limits(max_symbol_exposure_notional=100)
    result = one(lim, sell("BTC/USDT", 5), snapshot({"BTC/USDT": 3.0}))
    assert not result.reducing
    assert result.reason_codes == ("risk.max_symbol_exposure_notional",)


def test_reducing_is_judged_on_the_running_position_of_the_batch() -> None:
    lim = limits(max_symbol_exposure_notional=100)
    results = check_orders(
        lim, [sell("BTC/USDT", 2), sell("BTC/USDT", 2)], snapshot({"BTC/USDT": 3.0})
    )
    assert [r.reducing for r in results] == [True, False]


def test_warning_level_reports_warning_and_alert() -> None:
    result = one(limits(max_order_notional=120), buy("BTC/USDT", 1))
    assert status(result, Rule.MAX_ORDER_NOTIONAL) is RuleStatus.WARNING
    assert result.decision is Decision.ALLOW_WITH_WARNING
    assert result.action is BreachAction.ALERT


def test_warning_fraction_is_configurable() -> None:
    result = one(limits(max_order_notional=120, warning_fraction=0.9), buy("BTC/USDT", 1))
    assert status(result, Rule.MAX_ORDER_NOTIONAL) is RuleStatus.OK


def test_block_on_violation_false_lets_a_limit_breach_through_with_a_warning() -> None:
    result = one(limits(max_order_notional=50, block_on_violation=False), buy("BTC/USDT", 1))
    assert status(result, Rule.MAX_ORDER_NOTIONAL) is RuleStatus.BREACH
    assert result.decision is Decision.ALLOW_WITH_WARNING


def test_block_on_violation_false_still_enforces_guards() -> None:
    lim = limits(block_on_violation=False, symbol_whitelist=("ETH/USDT",))
    assert one(lim, buy("BTC/USDT", 1)).decision is Decision.BLOCK


def test_breach_let_through_counts_for_the_next_order() -> None:
    lim = limits(max_symbol_exposure_notional=150, block_on_violation=False, max_order_notional=0)
    results = check_orders(lim, [buy("BTC/USDT", 2), buy("BTC/USDT", 1)], snapshot())
    assert results[1].outcome(Rule.MAX_SYMBOL_EXPOSURE_NOTIONAL).value == pytest.approx(300.0)  # type: ignore[union-attr]


def test_zero_equity_profile_limits_refuse_every_new_order() -> None:
    lim = limits(equity=0.0, risk_profile=RiskProfile.CONSERVATIVE)
    result = one(lim, buy("SOL/USDT", 1), snapshot(cash=0.0))
    assert "risk.max_order_notional" in result.reason_codes
    assert result.decision is Decision.BLOCK


def test_reopen_scale_shrinks_the_size_limits() -> None:
    result = one(limits(max_order_notional=150, scale=0.5), buy("BTC/USDT", 1))
    assert result.outcome(Rule.MAX_ORDER_NOTIONAL).limit == 75.0  # type: ignore[union-attr]
    assert result.decision is Decision.BLOCK


def test_disabled_rules_are_not_reported() -> None:
    result = one(limits(), buy("BTC/USDT", 1))
    assert {o.rule for o in result.outcomes} == {
        Rule.INVALID_ORDER,
        Rule.SYMBOL_WHITELIST,
        Rule.MAX_QUOTE_AGE_S,
    }


def test_every_rule_reports_its_own_value_with_all_rules_on() -> None:
    keys = dict.fromkeys(
        (
            "max_order_notional", "max_total_exposure_notional", "max_symbol_exposure_notional",
            "max_open_positions", "max_position_qty", "max_daily_loss_abs", "max_daily_loss_pct",
            "max_drawdown_pct", "min_free_quote_balance", "max_orders_per_second",
            "max_orders_per_minute", "price_band_pct", "max_quote_age_s", "max_run_notional",
            "max_run_trades", "max_daily_notional", "max_daily_trades",
        ),
        1e9,
    )  # fmt: skip
    keys["min_free_quote_balance"] = 1.0
    run = RunUsage(trades=2, notional=10.0, recent_ms=(NOW - 100,))
    snap = snapshot(cash=1000.0, run=run, day_trades=3, day_notional=20.0)
    result = one(limits(**keys), buy("BTC/USDT", 1), snap)
    values = {o.rule.value: o.value for o in result.outcomes}
    assert values == {
        "invalid_order": 0.0, "symbol_whitelist": 0.0, "max_quote_age_s": 0.0,
        "price_band_pct": 0.0, "max_order_notional": 100.0, "max_symbol_exposure_notional": 100.0,
        "max_total_exposure_notional": 100.0, "min_free_quote_balance": 900.0,
        "max_run_notional": 110.0, "max_daily_notional": 120.0, "max_position_qty": 1.0,
        "max_open_positions": 1.0, "max_daily_loss_abs": 0.0, "max_daily_loss_pct": 0.0,
        "max_drawdown_pct": 0.0, "max_orders_per_second": 2.0, "max_orders_per_minute": 2.0,
        "max_run_trades": 3.0, "max_daily_trades": 4.0,
    }  # fmt: skip


# One breaching scenario per rule: (limit keys, snapshot keywords, order).
SCENARIOS = {
    Rule.SYMBOL_WHITELIST: ({"symbol_whitelist": ("ETH/USDT",)}, {}, buy("BTC/USDT", 1)),
    Rule.MAX_QUOTE_AGE_S: (
        {"max_quote_age_s": 1},
        {"quote_map": quotes(b=quote("BTC/USDT", age_ms=5000))},
        buy("BTC/USDT", 1),
    ),
    Rule.PRICE_BAND_PCT: ({"price_band_pct": 1}, {}, buy("BTC/USDT", 1, price=110.0)),
    Rule.MAX_ORDERS_PER_SECOND: (
        {"max_orders_per_second": 1}, {"run": RunUsage(recent_ms=(NOW,))}, buy("BTC/USDT", 1),
    ),
    Rule.MAX_ORDERS_PER_MINUTE: (
        {"max_orders_per_minute": 1}, {"run": RunUsage(recent_ms=(NOW,))}, buy("BTC/USDT", 1),
    ),
    Rule.MAX_RUN_NOTIONAL: ({"max_run_notional": 50}, {}, buy("BTC/USDT", 1)),
    Rule.MAX_RUN_TRADES: ({"max_run_trades": 1}, {"run": RunUsage(trades=1)}, buy("BTC/USDT", 1)),
    Rule.MAX_DAILY_NOTIONAL: ({"max_daily_notional": 50}, {}, buy("BTC/USDT", 1)),
    Rule.MAX_DAILY_TRADES: ({"max_daily_trades": 1}, {"day_trades": 1}, buy("BTC/USDT", 1)),
    Rule.MAX_ORDER_NOTIONAL: ({"max_order_notional": 50}, {}, buy("BTC/USDT", 1)),
    Rule.MAX_POSITION_QTY: ({"max_position_qty": 0.5}, {}, buy("BTC/USDT", 1)),
    Rule.MAX_SYMBOL_EXPOSURE_NOTIONAL: (
        {"max_symbol_exposure_notional": 50}, {}, buy("BTC/USDT", 1),
    ),
    Rule.MAX_TOTAL_EXPOSURE_NOTIONAL: (
        {"max_total_exposure_notional": 50}, {}, buy("BTC/USDT", 1),
    ),
    Rule.MAX_OPEN_POSITIONS: (
        {"max_open_positions": 1}, {"positions": {"ETH/USDT": 1.0}}, buy("BTC/USDT", 1),
    ),
    Rule.MIN_FREE_QUOTE_BALANCE: (
        {"min_free_quote_balance": 9950}, {}, buy("BTC/USDT", 1),
    ),
    Rule.MAX_DAILY_LOSS_ABS: (
        {"max_daily_loss_abs": 10}, {"cash": 9000.0, "day_start_equity": 10_000.0},
        buy("BTC/USDT", 1),
    ),
    Rule.MAX_DAILY_LOSS_PCT: (
        {"max_daily_loss_pct": 1}, {"cash": 9000.0, "day_start_equity": 10_000.0},
        buy("BTC/USDT", 1),
    ),
    Rule.MAX_DRAWDOWN_PCT: (
        {"max_drawdown_pct": 1}, {"cash": 9000.0, "peak_equity": 10_000.0}, buy("BTC/USDT", 1),
    ),
}  # fmt: skip


@pytest.mark.parametrize("rule", sorted(SCENARIOS))
def test_each_rule_breaches_in_its_scenario(rule: Rule) -> None:
    keys, snap_kw, order = SCENARIOS[rule]
    result = one(limits(**keys), order, snapshot(**snap_kw))
    assert [o.rule for o in result.breaches] == [rule]
    assert result.decision is Decision.BLOCK


@pytest.mark.parametrize("rule", sorted(SCENARIOS))
def test_only_guards_block_when_blocking_is_off(rule: Rule) -> None:
    keys, snap_kw, order = SCENARIOS[rule]
    result = one(limits(block_on_violation=False, **keys), order, snapshot(**snap_kw))
    expected = Decision.BLOCK if rule in GUARDS else Decision.ALLOW_WITH_WARNING
    assert result.decision is expected
