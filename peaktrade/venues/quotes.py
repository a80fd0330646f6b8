"""The quote book: latest top of book per symbol, with its age.

Freshness is judged on when we received a quote, not on the exchange's timestamp, so a frozen
feed (socket open, nothing arriving) reads as stale even if the last quote looked recent.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from peaktrade.core.model import Quote

Listener = Callable[[Quote], None]


class QuoteBook:
    def __init__(self, symbols: Iterable[str], stale_after_s: float) -> None:
        self.symbols = list(symbols)
        self.stale_after_s = stale_after_s
        self._quotes: dict[str, Quote] = {}
        self._received: dict[str, float] = {}
        self._gap: set[str] = set(self.symbols)  # nothing seen yet counts as a gap
        self._listeners: list[Listener] = []
        self.updates = 0

    def subscribe(self, listener: Listener) -> None:
        """Called on every quote (paper broker matching, strategies); must be quick."""
        self._listeners.append(listener)

    def update(self, quote: Quote, received: float | None = None) -> None:
        if quote.bid <= 0 or quote.ask <= 0 or quote.ask < quote.bid:
            return  # a crossed or empty book is not a quote we may trade on
        self._quotes[quote.symbol] = quote
        self._received[quote.symbol] = time.monotonic() if received is None else received
        self._gap.discard(quote.symbol)
        self.updates += 1
        for listener in self._listeners:
            listener(quote)

    def mark_gap(self, symbols: Iterable[str]) -> None:
        """After a disconnect, quotes are not trusted until a fresh snapshot arrives."""
        self._gap.update(symbols)

    def get(self, symbol: str) -> Quote | None:
        return self._quotes.get(symbol)

    def age_s(self, symbol: str, now: float | None = None) -> float | None:
        received = self._received.get(symbol)
        if received is None:
            return None
        return (time.monotonic() if now is None else now) - received

    def fresh(self, symbol: str, now: float | None = None) -> Quote | None:
        """The quote, only if recent and not behind a gap."""
        age = self.age_s(symbol, now)
        if symbol in self._gap or age is None or age > self.stale_after_s:
            return None
        return self._quotes.get(symbol)

    def stale_symbols(self, now: float | None = None) -> list[str]:
        return [s for s in self.symbols if self.fresh(s, now) is None]

    def snapshot(self) -> dict[str, Quote]:
        return dict(self._quotes)
