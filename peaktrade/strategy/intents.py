"""Decisions -> order intents: the one place that sizes orders against exchange rules.

Quantities round toward zero to the market's step, so orders never overshoot their target,
and an order below the exchange's minimum quantity or notional is not made at all (the
exchange would refuse it). A move larger than one order may be (the market's maximum, or the
decision's ``max_order_notional``) is split into orders sent together. Market orders fill at a
price not known in advance, so the minimum notional is checked with a small margin.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal

import msgspec

from peaktrade.core.model import OrderIntent, Quote, Side
from peaktrade.core.portfolio import mark_of
from peaktrade.strategy.base import Decision, Orders, StrategyContext
from peaktrade.strategy.markets import MarketRules

NOTIONAL_MARGIN = 1.01  # a market order must clear the minimum notional by 1 %
MAX_SLICES = 20  # most orders one symbol's move is split into per decision
_NEARLY_WHOLE = Decimal("0.999999")  # float residue (0.3 - 0.1 = 0.19999...) is not a step less


def round_to_step(qty: float, step: float) -> float:
    """``qty`` (>= 0) rounded down to a multiple of ``step``, exact in decimal."""
    if step <= 0:
        return qty
    d_step = Decimal(repr(step))
    units = Decimal(repr(qty)) / d_step
    whole = int(units)
    if units - whole >= _NEARLY_WHOLE:
        whole += 1
    return float(whole * d_step)


def allowed(qty: float, price: float, rules: MarketRules) -> bool:
    """Whether one order of ``qty`` meets the exchange's minimums."""
    return qty > 0 and qty >= rules.min_qty and qty * price >= rules.min_notional * NOTIONAL_MARGIN


def order_sizes(
    delta: float, price: float, rules: MarketRules, max_order_notional: float | None = None
) -> list[float]:
    """Order quantities (each > 0) that together move by ``|delta|`` without passing it."""
    total = round_to_step(abs(delta), rules.step)
    cap = rules.max_qty if rules.max_qty > 0 else math.inf
    if max_order_notional is not None:
        cap = min(cap, max_order_notional / price)
    cap = round_to_step(cap, rules.step) if math.isfinite(cap) else cap
    if not allowed(min(total, cap), price, rules):
        return []
    sizes: list[float] = []
    left = total
    while left > 0 and len(sizes) < MAX_SLICES:
        size = min(cap, left)
        if not allowed(size, price, rules):
            break  # a remainder below the minimum is not worth an order
        sizes.append(size)
        left = round_to_step(left - size, rules.step)
    return sizes


def intents_for_targets(
    targets: Mapping[str, float],
    positions: Mapping[str, float],
    prices: Mapping[str, float],
    markets: Mapping[str, MarketRules],
    *,
    source: str,
    tag: str = "",
    max_order_notional: float | None = None,
) -> list[OrderIntent]:
    """Market orders moving each position toward its target; sells first (they free cash).

    A symbol without a price or market rules is skipped: it cannot be sized safely.
    """
    sells: list[OrderIntent] = []
    buys: list[OrderIntent] = []
    for symbol in sorted(targets):
        price, rules = prices.get(symbol), markets.get(symbol)
        if price is None or price <= 0 or rules is None:
            continue
        delta = targets[symbol] - positions.get(symbol, 0.0)
        side = Side.BUY if delta > 0 else Side.SELL
        for qty in order_sizes(delta, price, rules, max_order_notional):
            intent = OrderIntent(symbol=symbol, side=side, qty=qty, source=source, tag=tag)
            (buys if side is Side.BUY else sells).append(intent)
    return sells + buys


def marks(quotes: Mapping[str, Quote]) -> dict[str, float]:
    """Mid prices of the quotes that have one."""
    return {s: m for s, q in quotes.items() if (m := mark_of(q)) is not None}


def decision_intents(
    decision: Decision, context: StrategyContext, *, source: str
) -> list[OrderIntent]:
    """The orders a decision asks for, every one labelled with the strategy's name."""
    if isinstance(decision, Orders):
        return [msgspec.structs.replace(i, source=source) for i in decision.intents]
    return intents_for_targets(
        decision.positions,
        context.positions,
        marks(context.quotes),
        context.markets,
        source=source,
        tag=decision.tag,
        max_order_notional=decision.max_order_notional,
    )
