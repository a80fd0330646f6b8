"""Divergence between intended and (simulated) fills: one number, in basis points.

Definition (docs/STAGES.md): the *intended price* of an order is its limit price when it has
one, else the quote mid when its intent was journaled. Each fill's shortfall is
``side_sign * (fill_price - intended) / intended * 10_000`` (positive: worse than intended).
The stage's divergence is the notional-weighted mean shortfall of its fills. In shadow, where
nothing fills, the fill is the one the paper broker would have made on the intent's quote.
Pure functions and a bounded in-memory quote trail; time is passed in.
"""

from __future__ import annotations

import bisect

import msgspec

from peaktrade.core.model import OrderIntent, OrderType, Side


class Sample(msgspec.Struct, frozen=True, kw_only=True):
    """One measured fill."""

    key: str  # the fill's trade id, or the order's client id for a shadow order
    ts_ms: int
    stage: str
    client_order_id: str
    symbol: str
    side: Side
    qty: float
    intended: float
    price: float

    @property
    def bps(self) -> float:
        return shortfall_bps(self.side, self.intended, self.price)

    @property
    def notional(self) -> float:
        return self.qty * self.price


class Summary(msgspec.Struct, frozen=True):
    samples: int
    mean_bps: float | None  # None without samples
    worst_bps: float | None


def intended_price(intent: OrderIntent, mid_at_intent: float | None) -> float | None:
    """The limit price if the order has one, else the mid when it was decided."""
    if intent.price is not None and intent.price > 0:
        return intent.price
    return mid_at_intent if mid_at_intent is not None and mid_at_intent > 0 else None


def shortfall_bps(side: Side, intended: float, price: float) -> float:
    return side.sign * (price - intended) / intended * 10_000


def shadow_fill_price(
    intent: OrderIntent, bid: float, ask: float, slippage_bps: float
) -> float | None:
    """What the paper broker would have filled at on this quote; None if it would rest."""
    if intent.type is OrderType.MARKET:
        slip = slippage_bps / 10_000
        return ask * (1 + slip) if intent.side is Side.BUY else bid * (1 - slip)
    if intent.type is OrderType.LIMIT and intent.price is not None and not intent.post_only:
        crosses = ask <= intent.price if intent.side is Side.BUY else bid >= intent.price
        if crosses:
            return ask if intent.side is Side.BUY else bid
    return None


def summarize(samples: list[Sample]) -> Summary:
    notional = sum(s.notional for s in samples)
    if not samples or notional <= 0:
        return Summary(len(samples), None, None)
    mean = sum(s.bps * s.notional for s in samples) / notional
    return Summary(len(samples), mean, max(s.bps for s in samples))


class QuoteTrail:
    """Recent top of book per symbol, to find the quote an intent was decided on."""

    def __init__(self, keep: int = 4096) -> None:
        self.keep = keep
        self._at: dict[str, list[int]] = {}
        self._book: dict[str, list[tuple[float, float]]] = {}

    def record(self, symbol: str, bid: float, ask: float, at_ms: int) -> None:
        times = self._at.setdefault(symbol, [])
        books = self._book.setdefault(symbol, [])
        if times and at_ms < times[-1]:
            at_ms = times[-1]  # a wall clock stepping back must not unsort the trail
        times.append(at_ms)
        books.append((bid, ask))
        if len(times) > 2 * self.keep:
            del times[: self.keep]
            del books[: self.keep]

    def at(self, symbol: str, at_ms: int) -> tuple[float, float] | None:
        """(bid, ask) of the last quote received at or before ``at_ms``."""
        times = self._at.get(symbol)
        if not times:
            return None
        index = bisect.bisect_right(times, at_ms) - 1
        return self._book[symbol][index] if index >= 0 else None
