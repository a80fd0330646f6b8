"""Targets -> orders: step rounding, exchange minimums, size caps, order of sides."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from peaktrade.core.model import OrderIntent, Side
from peaktrade.strategy.base import Orders, Targets
from peaktrade.strategy.intents import (
    MAX_SLICES,
    NOTIONAL_MARGIN,
    decision_intents,
    intents_for_targets,
    round_to_step,
)
from peaktrade.strategy.markets import MarketRules
from tests.strategy.support import BTC, ETH, context

PRICES = {"BTC/USDT": 65_000.0, "ETH/USDT": 3_200.0}
MARKETS = {"BTC/USDT": BTC, "ETH/USDT": ETH}


def build(
    targets: dict[str, float], positions: dict[str, float] | None = None
) -> list[OrderIntent]:
    return intents_for_targets(targets, positions or {}, PRICES, MARKETS, source="test")


def test_quantity_is_rounded_down_to_the_step() -> None:
    (intent,) = build({"BTC/USDT": 0.0123456})
    assert (intent.side, intent.qty) == (Side.BUY, 0.01234)


def test_float_residue_does_not_cost_a_step() -> None:
    assert round_to_step(0.3 - 0.1, 0.1) == 0.2
    (intent,) = build({"BTC/USDT": 0.07693 + 0.00008}, {"BTC/USDT": 0.07693})
    assert intent.qty == 0.00008


def test_order_below_min_notional_is_not_made() -> None:
    # 0.00007 BTC at 65000 = 4.55 USDT, under the 5 USDT minimum
    assert build({"BTC/USDT": 0.00007}) == []


def test_min_notional_is_cleared_with_a_margin() -> None:
    rules = {"BTC/USDT": MarketRules(min_notional=5.0)}
    price = PRICES["BTC/USDT"]
    inside_margin = 5.0 * (1 + (NOTIONAL_MARGIN - 1) / 2) / price
    beyond_margin = 5.0 * NOTIONAL_MARGIN * 1.001 / price
    assert intents_for_targets({"BTC/USDT": inside_margin}, {}, PRICES, rules, source="t") == []
    assert intents_for_targets({"BTC/USDT": beyond_margin}, {}, PRICES, rules, source="t") != []


def test_order_below_min_qty_is_not_made() -> None:
    rules = {"BTC/USDT": MarketRules(step=0.001, min_qty=0.01, min_notional=0.0)}
    assert intents_for_targets({"BTC/USDT": 0.009}, {}, PRICES, rules, source="t") == []


def test_move_beyond_the_market_maximum_is_split() -> None:
    intents = build({"BTC/USDT": 250.0})
    assert [i.qty for i in intents] == [120.0, 120.0, 10.0]


def test_move_beyond_max_order_notional_is_split() -> None:
    intents = intents_for_targets(
        {"ETH/USDT": 1.0}, {}, PRICES, MARKETS, source="t", max_order_notional=1_000.0
    )
    assert [i.qty for i in intents] == [0.3125, 0.3125, 0.3125, 0.0625]


def test_remainder_below_the_minimum_is_dropped() -> None:
    intents = intents_for_targets(
        {"ETH/USDT": 0.3135}, {}, PRICES, MARKETS, source="t", max_order_notional=1_000.0
    )
    assert [i.qty for i in intents] == [0.3125]  # 0.001 ETH left is 3.2 USDT


def test_split_is_bounded_per_decision() -> None:
    intents = intents_for_targets(
        {"ETH/USDT": 100.0}, {}, PRICES, MARKETS, source="t", max_order_notional=100.0
    )
    assert len(intents) == MAX_SLICES


def test_target_reached_makes_no_order() -> None:
    assert build({"BTC/USDT": 0.5}, {"BTC/USDT": 0.5}) == []


def test_sell_toward_lower_target() -> None:
    (intent,) = build({"ETH/USDT": 1.0}, {"ETH/USDT": 2.5})
    assert (intent.side, intent.qty) == (Side.SELL, 1.5)


def test_sells_come_before_buys() -> None:
    intents = build({"BTC/USDT": 0.1, "ETH/USDT": 0.0}, {"ETH/USDT": 2.0})
    assert [i.side for i in intents] == [Side.SELL, Side.BUY]


def test_symbol_without_price_or_rules_is_skipped() -> None:
    assert intents_for_targets({"BTC/USDT": 1.0}, {}, {}, MARKETS, source="t") == []
    assert intents_for_targets({"BTC/USDT": 1.0}, {}, PRICES, {}, source="t") == []


def test_orders_are_labelled_with_the_strategy() -> None:
    (intent,) = intents_for_targets({"BTC/USDT": 0.1}, {}, PRICES, MARKETS, source="s", tag="why")
    assert (intent.source, intent.tag) == ("s", "why")


def test_explicit_orders_cannot_pose_as_the_operator() -> None:
    mine = OrderIntent(symbol="BTC/USDT", side=Side.BUY, qty=0.1, source="operator")
    (intent,) = decision_intents(Orders(intents=(mine,)), context(PRICES), source="plugin")
    assert intent.source == "plugin"


def test_targets_are_sized_on_the_context_marks() -> None:
    ctx = context({"BTC/USDT": 50_000.0}, {"BTC/USDT": 0.1})
    (intent,) = decision_intents(Targets(positions={"BTC/USDT": 0.0}), ctx, source="s")
    assert (intent.side, intent.qty) == (Side.SELL, 0.1)


quantities = st.floats(min_value=0, max_value=200, allow_nan=False, allow_infinity=False)


@given(
    target=quantities,
    position=quantities,
    cap=st.none() | st.floats(min_value=1, max_value=1e7, allow_nan=False),
)
def test_orders_never_overshoot_and_meet_every_exchange_rule(
    target: float, position: float, cap: float | None
) -> None:
    intents = intents_for_targets(
        {"BTC/USDT": target},
        {"BTC/USDT": position},
        PRICES,
        MARKETS,
        source="t",
        max_order_notional=cap,
    )
    after = position + sum(i.side.sign * i.qty for i in intents)
    assert abs(target - after) <= abs(target - position) + 1e-12
    assert len({i.side for i in intents}) <= 1
    for intent in intents:
        assert (target - position) * intent.side.sign > 0
        assert BTC.min_qty <= intent.qty <= BTC.max_qty
        assert intent.qty * PRICES["BTC/USDT"] >= BTC.min_notional
        assert cap is None or intent.qty * PRICES["BTC/USDT"] <= cap * (1 + 1e-9)
        assert Decimal(repr(intent.qty)) % Decimal(repr(BTC.step)) == 0


@given(qty=st.floats(min_value=0, max_value=1e6, allow_nan=False), exp=st.integers(-8, 2))
def test_rounding_stays_within_one_step_below(qty: float, exp: int) -> None:
    step = 10.0**exp
    rounded = round_to_step(qty, step)
    assert rounded <= qty * (1 + 1e-9) + step * 1e-6
    assert qty - rounded < step * (1 + 1e-9)
