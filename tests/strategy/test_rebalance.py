"""rebalance: trade back to target weights only past the drift threshold, in sizes that count."""

from __future__ import annotations

import pytest

from peaktrade.strategy.base import HOLD, Targets
from peaktrade.strategy.config import RebalanceParams
from peaktrade.strategy.intents import decision_intents
from peaktrade.strategy.none import NoStrategy
from peaktrade.strategy.rebalance import Rebalance, drift_pct
from tests.strategy.support import context

PRICE = 50_000.0


def decide(params: RebalanceParams, **ctx: object) -> dict[str, float]:
    values: dict[str, object] = {"prices": {"BTC/USDT": PRICE}, **ctx}
    decision = Rebalance(params).decide(context(**values))  # type: ignore[arg-type]
    assert isinstance(decision, Targets)
    return decision.positions


def params(**values: object) -> RebalanceParams:
    merged = {"weights": {"BTC/USDT": 0.5}, "threshold_pct": 5.0, "cash_buffer_pct": 0.0}
    return RebalanceParams(**{**merged, **values})  # type: ignore[arg-type]


def test_drift_is_measured_in_percent_of_the_target() -> None:
    assert drift_pct(104.0, 100.0) == pytest.approx(4.0)
    assert drift_pct(1.0, 0.0) == float("inf")


def test_drift_within_threshold_makes_no_trade() -> None:
    # equity 100k: BTC worth 52k against a 50k target is 4 % off
    assert decide(params(), positions={"BTC/USDT": 52_000 / PRICE}, cash=48_000.0) == {}


def test_drift_past_threshold_trades_back_to_target() -> None:
    got = decide(params(), positions={"BTC/USDT": 56_000 / PRICE}, cash=44_000.0)
    assert got["BTC/USDT"] == pytest.approx(1.0, abs=1e-5)


def test_empty_account_buys_up_to_the_target_weight() -> None:
    got = decide(params(weights={"BTC/USDT": 0.2}), cash=100_000.0)
    assert got["BTC/USDT"] == pytest.approx(20_000 / PRICE, abs=1e-5)


def test_move_smaller_than_the_minimum_order_is_not_made() -> None:
    # 6 % off a 100 USDT target is 6 USDT, under the 10 USDT minimum
    got = decide(
        params(weights={"BTC/USDT": 0.001}, min_order_notional=10.0),
        positions={"BTC/USDT": 106 / PRICE},
        cash=99_894.0,
    )
    assert got == {}


def test_move_below_the_exchange_minimum_is_not_made() -> None:
    got = decide(
        params(weights={"BTC/USDT": 0.00004}, min_order_notional=0.0),
        cash=100_000.0,
    )
    assert got == {}  # 4 USDT: below the simulator's 5 USDT minimum notional


def test_large_moves_are_split_by_max_order_notional() -> None:
    strategy = Rebalance(params(weights={"BTC/USDT": 0.3}, max_order_notional=2_000.0))
    ctx = context({"BTC/USDT": PRICE}, cash=100_000.0)
    intents = decision_intents(strategy.decide(ctx), ctx, source="rebalance")
    assert len(intents) == 15
    assert all(i.qty * PRICE <= 2_000.0 for i in intents)
    assert sum(i.qty for i in intents) * PRICE == pytest.approx(30_000.0, rel=1e-3)


def test_buys_are_limited_to_free_cash_less_the_buffer() -> None:
    got = decide(params(cash_buffer_pct=10.0), cash=100_000.0, free_quote=1_000.0)
    assert got["BTC/USDT"] * PRICE == pytest.approx(900.0, rel=1e-3)


def test_zero_weight_sells_the_whole_position() -> None:
    got = decide(params(weights={"BTC/USDT": 0.0}), positions={"BTC/USDT": 0.3}, cash=1_000.0)
    assert got == {"BTC/USDT": 0.0}


def test_symbol_without_a_fresh_quote_is_not_traded() -> None:
    assert decide(params(), prices={}, cash=100_000.0) == {}


def test_weights_above_one_are_refused() -> None:
    with pytest.raises(ValueError, match="at most 1"):
        RebalanceParams(weights={"BTC/USDT": 0.7, "ETH/USDT": 0.4})


def test_none_strategy_never_trades() -> None:
    assert NoStrategy().decide(context({"BTC/USDT": PRICE})) == HOLD
