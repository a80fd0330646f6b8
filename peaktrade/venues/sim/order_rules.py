"""The rules a new order must pass before the matching engine sees it, as Binance applies them.

Which parameters each order type needs or refuses, the symbol filters, and the refusals that
depend on the market at that moment (a maker that would take, a stop that would fire).
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from peaktrade.venues.sim import filters
from peaktrade.venues.sim.book import Book, BookSide
from peaktrade.venues.sim.decimals import ZERO
from peaktrade.venues.sim.errors import (
    WOULD_TAKE,
    WOULD_TRIGGER,
    bad_combination,
    mandatory,
    not_required,
    rejected,
)
from peaktrade.venues.sim.orders import STOP_TYPES, Order
from peaktrade.venues.sim.settings import SymbolSettings

LIMIT_TYPES = frozenset({"LIMIT", "LIMIT_MAKER", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"})
ORDER_TYPES = LIMIT_TYPES | {"MARKET", "STOP_LOSS", "TAKE_PROFIT"}
_TIF_TYPES = frozenset({"LIMIT", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"})


class NewOrder(msgspec.Struct, frozen=True, kw_only=True):
    """A new-order request, already parsed from Binance parameters."""

    symbol: str
    side: str
    type: str
    quantity: Decimal | None = None
    quote_order_qty: Decimal | None = None
    price: Decimal | None = None
    stop_price: Decimal | None = None
    time_in_force: str | None = None
    client_order_id: str | None = None


def book_side_against(side: str) -> BookSide:
    """The synthetic side an order of ``side`` trades with."""
    return "asks" if side == "BUY" else "bids"


def crosses(side: str, limit: Decimal, level_price: Decimal) -> bool:
    return level_price <= limit if side == "BUY" else level_price >= limit


def stop_triggered(o: Order, last: Decimal) -> bool:
    """Binance triggers on the last price: stop-losses on adverse moves, take-profits on gains."""
    loss = o.type.startswith("STOP_LOSS")
    rising = (o.side == "BUY") == loss
    return last >= o.stop_price if rising else last <= o.stop_price


def validate(req: NewOrder, spec: SymbolSettings, last: Decimal) -> None:
    """Parameters for the order type, then PRICE_FILTER, LOT_SIZE and NOTIONAL."""
    limit_type = req.type in LIMIT_TYPES
    if req.type in _TIF_TYPES and req.time_in_force is None:
        raise mandatory("timeInForce")
    if req.type not in _TIF_TYPES and req.time_in_force is not None:
        raise not_required("timeInForce")
    if limit_type and req.price is None:
        raise mandatory("price")
    if not limit_type and req.price is not None:
        raise not_required("price")
    if req.type in STOP_TYPES and req.stop_price is None:
        raise mandatory("stopPrice")
    if req.type not in STOP_TYPES and req.stop_price is not None:
        raise not_required("stopPrice")
    if req.quote_order_qty is not None and req.type != "MARKET":
        raise not_required("quoteOrderQty")
    if req.quantity is not None and req.quote_order_qty is not None:
        raise bad_combination()
    if req.quantity is None and req.quote_order_qty is None:
        raise mandatory("quantity")
    for price in (req.price, req.stop_price):
        if price is not None:
            filters.check_price(spec, price)
    market = not limit_type
    if req.quantity is not None:
        filters.check_quantity(spec, req.quantity, market=market)
    reference = req.price or req.stop_price or last
    notional = req.quote_order_qty or reference * (req.quantity or ZERO)
    filters.check_notional(spec, notional, market=market)


def check_entry(o: Order, book: Book, last: Decimal) -> None:
    """Refusals that depend on the market now: makers that would take, stops that would fire."""
    if o.type == "LIMIT_MAKER":
        best = book.best(book_side_against(o.side))
        if best is not None and crosses(o.side, o.price, best[0]):
            raise rejected(WOULD_TAKE)
    if o.type in STOP_TYPES and stop_triggered(o, last):
        raise rejected(WOULD_TRIGGER)
