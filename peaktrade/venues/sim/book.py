"""The synthetic order book: finite liquidity at fixed levels around the last price.

Each level holds ``depth_per_level`` base units. Fills consume it, so a big order walks the
book and a resting order may fill only partly; every price tick rebuilds the levels around
the new price with full depth again (liquidity replenishes).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from peaktrade.venues.sim.decimals import ZERO
from peaktrade.venues.sim.settings import SymbolSettings

BookSide = Literal["bids", "asks"]
Level = tuple[Decimal, Decimal]


class Book:
    def __init__(
        self, spec: SymbolSettings, *, levels: int, spread_bps: float, spacing_bps: float
    ) -> None:
        self._spec = spec
        self._levels = levels
        self._spread_bps = Decimal(repr(spread_bps))
        self._spacing_bps = Decimal(repr(spacing_bps))
        self._prices: dict[BookSide, list[Decimal]] = {"bids": [], "asks": []}
        self._consumed: dict[BookSide, dict[Decimal, Decimal]] = {"bids": {}, "asks": {}}
        self.update_id = 0

    def _ticks(self, mid: Decimal, bps: Decimal) -> Decimal:
        ticks = (mid * bps / 10000 / self._spec.tick_size).to_integral_value()
        return max(ticks, Decimal(1)) * self._spec.tick_size

    def reprice(self, mid: Decimal) -> None:
        """Rebuild the levels around ``mid`` with full depth."""
        half = self._ticks(mid, self._spread_bps / 2)
        step = self._ticks(mid, self._spacing_bps)
        bid, ask = mid - half, mid + half
        bids = [bid - i * step for i in range(self._levels) if bid - i * step > 0]
        asks = [ask + i * step for i in range(self._levels)]
        same = bids == self._prices["bids"] and asks == self._prices["asks"]
        if same and not (self._consumed["bids"] or self._consumed["asks"]):
            return  # nothing changed: keep the update id, so depth streams stay quiet
        self._prices = {"bids": bids, "asks": asks}
        self._consumed = {"bids": {}, "asks": {}}
        self.update_id += 1

    def levels(self, side: BookSide) -> list[Level]:
        """Remaining liquidity on ``side``, best price first."""
        depth, used = self._spec.depth_per_level, self._consumed[side]
        rows = ((p, depth - used.get(p, ZERO)) for p in self._prices[side])
        return [(p, q) for p, q in rows if q > 0]

    def best(self, side: BookSide) -> Level | None:
        rows = self.levels(side)
        return rows[0] if rows else None

    def consume(self, side: BookSide, price: Decimal, qty: Decimal) -> None:
        used = self._consumed[side]
        used[price] = used.get(price, ZERO) + qty
        self.update_id += 1
