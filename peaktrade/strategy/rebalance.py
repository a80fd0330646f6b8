"""``rebalance``: keep each symbol at a target share of total equity.

A symbol is traded back to its target only when its value has drifted from the target by more
than ``threshold_pct`` of the target, so prices wobbling around the target cost no fees. Buys
are limited to the free quote currency less a buffer; a move larger than
``max_order_notional`` is split into several orders sent together.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from peaktrade.core.model import Fill, Quote
from peaktrade.core.portfolio import mark_of
from peaktrade.strategy.base import HOLD, Bar, Decision, StrategyContext, StrategySetup, Targets
from peaktrade.strategy.config import RebalanceParams
from peaktrade.strategy.intents import order_sizes


def drift_pct(value: float, target: float) -> float:
    """How far ``value`` is off ``target``, in % of the target (infinite off a zero target)."""
    if target > 0:
        return abs(value - target) / target * 100.0
    return math.inf if value != 0 else 0.0


class Rebalance:
    history_bars = 0

    def __init__(self, params: RebalanceParams) -> None:
        self.params = params

    def warm_up(self, bars: Sequence[Bar]) -> None:
        del bars

    def on_bar(self, bar: Bar) -> None:
        del bar

    def on_quote(self, quote: Quote) -> None:
        del quote

    def on_fill(self, fill: Fill) -> None:
        del fill

    def decide(self, context: StrategyContext) -> Decision:
        p = self.params
        if context.equity <= 0:
            return HOLD
        targets: dict[str, float] = {}
        budget = max(0.0, context.free_quote * (1 - p.cash_buffer_pct / 100))
        for symbol in sorted(p.weights):
            price = mark_of(context.quotes.get(symbol))
            rules = context.markets.get(symbol)
            if price is None or rules is None:
                continue  # no fresh quote or no exchange rules: cannot be sized
            held = context.positions.get(symbol, 0.0)
            want = p.weights[symbol] * context.equity
            if drift_pct(held * price, want) <= p.threshold_pct:
                continue
            move = want - held * price
            if move > 0:
                move = min(move, budget)
            qty = sum(order_sizes(move / price, price, rules, p.max_order_notional))
            if qty == 0 or qty * price < p.min_order_notional:
                continue
            if move > 0:
                budget -= qty * price
            targets[symbol] = held + math.copysign(qty, move)
        return Targets(
            positions=targets,
            tag=f"rebalance drift>{p.threshold_pct:g}%",
            max_order_notional=p.max_order_notional,
        )


def make(setup: StrategySetup) -> Rebalance:
    assert isinstance(setup.params, RebalanceParams)
    return Rebalance(setup.params)
