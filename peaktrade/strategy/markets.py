"""An exchange's order-size rules for one market, as plain numbers taken from ccxt's markets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

# ccxt precision modes (ccxt.base.decimal_to_precision): what ``precision.amount`` means
DECIMAL_PLACES = 2
SIGNIFICANT_DIGITS = 3
TICK_SIZE = 4


class MarketRules(msgspec.Struct, frozen=True, kw_only=True):
    """Limits an order must meet; 0 means the exchange sets none."""

    step: float = 0.0  # quantities are multiples of it
    min_qty: float = 0.0
    max_qty: float = 0.0  # largest market order
    min_notional: float = 0.0  # qty * price, quote currency


def rules_from_ccxt(market: Mapping[str, Any], precision_mode: int) -> MarketRules:
    """``exchange.markets[symbol]`` -> rules; missing or null entries count as no limit."""
    limits = market.get("limits") or {}
    amount = limits.get("amount") or {}
    cost = limits.get("cost") or {}
    market_limits = limits.get("market") or {}
    precision = (market.get("precision") or {}).get("amount")
    step = 0.0
    if precision is not None:
        if precision_mode == TICK_SIZE:
            step = float(precision)
        elif precision_mode == DECIMAL_PLACES:
            step = 10.0 ** -int(precision)
        # significant digits cannot be expressed as a step: min_qty still applies
    caps = [float(v) for v in (amount.get("max"), market_limits.get("max")) if v]
    return MarketRules(
        step=step,
        min_qty=float(amount.get("min") or 0.0),
        max_qty=min(caps) if caps else 0.0,
        min_notional=float(cost.get("min") or 0.0),
    )
