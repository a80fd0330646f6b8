"""Binance symbol filters: the checks behind ``-1013 Filter failure: ...``, and their listing."""

from __future__ import annotations

from decimal import Decimal

from peaktrade.venues.sim.decimals import ZERO, fmt, is_multiple
from peaktrade.venues.sim.errors import filter_failure
from peaktrade.venues.sim.settings import SymbolSettings


def check_price(spec: SymbolSettings, price: Decimal) -> None:
    if price < spec.tick_size or price > spec.max_price:
        raise filter_failure("PRICE_FILTER")
    if not is_multiple(price - spec.tick_size, spec.tick_size):
        raise filter_failure("PRICE_FILTER")


def check_quantity(spec: SymbolSettings, quantity: Decimal, *, market: bool) -> None:
    if quantity < spec.min_qty or quantity > spec.max_qty:
        raise filter_failure("LOT_SIZE")
    if not is_multiple(quantity - spec.min_qty, spec.step_size):
        raise filter_failure("LOT_SIZE")
    if market and quantity > spec.market_max_qty:
        raise filter_failure("MARKET_LOT_SIZE")


def check_notional(spec: SymbolSettings, notional: Decimal, *, market: bool) -> None:
    """NOTIONAL with Binance's defaults: the minimum applies to market orders, the maximum not."""
    if notional < spec.min_notional:
        raise filter_failure("NOTIONAL")
    if not market and notional > spec.max_notional:
        raise filter_failure("NOTIONAL")


def filters_json(spec: SymbolSettings) -> list[dict[str, object]]:
    """The symbol's filters as exchangeInfo lists them.

    The vendored OpenAPI spec marks ``minPrice``/``maxPrice``/``tickSize`` required on every
    filter item, so each filter carries them; clients index filters by ``filterType`` and
    ignore fields they do not know, as they must for Binance adding fields over time.
    """
    price_fields: dict[str, object] = {
        "minPrice": fmt(spec.tick_size),
        "maxPrice": fmt(spec.max_price),
        "tickSize": fmt(spec.tick_size),
    }
    return [
        {"filterType": "PRICE_FILTER", **price_fields},
        {
            "filterType": "LOT_SIZE",
            "minQty": fmt(spec.min_qty),
            "maxQty": fmt(spec.max_qty),
            "stepSize": fmt(spec.step_size),
            **price_fields,
        },
        {
            "filterType": "MARKET_LOT_SIZE",
            "minQty": fmt(ZERO),
            "maxQty": fmt(spec.market_max_qty),
            "stepSize": fmt(ZERO),
            **price_fields,
        },
        {
            "filterType": "NOTIONAL",
            "minNotional": fmt(spec.min_notional),
            "applyMinToMarket": True,
            "maxNotional": fmt(spec.max_notional),
            "applyMaxToMarket": False,
            "avgPriceMins": 5,
            **price_fields,
        },
    ]
