"""The quote book: latest top of book per symbol, with its age.

Freshness is judged on when we received a quote, not on the exchange's timestamp, so a frozen
feed (socket open, nothing arriving) reads as stale even if the last quote looked recent.
A quote that cannot be true (crossed, zero or not a number) is refused, and so is one that
jumped beyond ``max_jump_pct`` from the last accepted quote until quotes at the new level have
kept coming for ``jump_confirm_s``: a bad tick never reaches risk or orders, a real move is
taken a moment late. Refusals are reported (throttled) to ``on_refused``.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Iterable

from peaktrade.core.model import Quote

Listener = Callable[[Quote], None]
RefusalListener = Callable[[str, str, str], None]  # (symbol, reason, detail)
REPORT_INTERVAL_S = 30.0  # one report per symbol and reason at most this often


def quote_problem(quote: Quote, last: Quote | None, max_jump_pct: float | None) -> tuple[str, str]:
    """("", "") for a sane quote, else (reason, detail); reasons: zero_price, crossed, jump."""
    bid, ask = quote.bid, quote.ask
    if not (math.isfinite(bid) and math.isfinite(ask) and bid > 0 and ask > 0):
        return "zero_price", f"bid {bid:g}, ask {ask:g}"
    if ask < bid:
        return "crossed", f"bid {bid:g} above ask {ask:g}"
    if last is not None and max_jump_pct is not None:
        move = (quote.mid / last.mid - 1) * 100
        if abs(move) > max_jump_pct:
            return "jump", f"mid {quote.mid:g} is {move:+.1f}% from {last.mid:g}"
    return "", ""


class QuoteBook:
    def __init__(
        self,
        symbols: Iterable[str],
        stale_after_s: float,
        *,
        max_jump_pct: float | None = None,
        jump_confirm_s: float = 1.0,
        on_refused: RefusalListener | None = None,
    ) -> None:
        self.symbols = list(symbols)
        self.stale_after_s = stale_after_s
        self.max_jump_pct = max_jump_pct
        self.jump_confirm_s = jump_confirm_s
        self.on_refused = on_refused
        self.refused: Counter[str] = Counter()  # refusals by reason, for health and metrics
        self._suspect: dict[str, tuple[float, float]] = {}  # symbol -> (first seen, mid)
        self._reported: dict[tuple[str, str], float] = {}
        self._quotes: dict[str, Quote] = {}
        self._received: dict[str, float] = {}
        self._gap: set[str] = set(self.symbols)  # nothing seen yet counts as a gap
        self._listeners: list[Listener] = []
        self.updates = 0

    def subscribe(self, listener: Listener) -> None:
        """Called on every quote (paper broker matching, strategies); must be quick."""
        self._listeners.append(listener)

    def update(self, quote: Quote, received: float | None = None) -> None:
        now = time.monotonic() if received is None else received
        reason, detail = quote_problem(quote, self._quotes.get(quote.symbol), self.max_jump_pct)
        if reason == "jump" and self._jump_confirmed(quote, now):
            reason = ""
        if reason:
            self.refuse(quote.symbol, reason, detail, now)
            return  # not a quote we may trade or value on
        self._suspect.pop(quote.symbol, None)
        self._quotes[quote.symbol] = quote
        self._received[quote.symbol] = now
        self._gap.discard(quote.symbol)
        self.updates += 1
        for listener in self._listeners:
            listener(quote)

    def _jump_confirmed(self, quote: Quote, now: float) -> bool:
        """A jump stands once quotes near the new level have kept coming for the confirm time."""
        assert self.max_jump_pct is not None
        suspect = self._suspect.get(quote.symbol)
        if suspect is None or abs(quote.mid / suspect[1] - 1) * 100 > self.max_jump_pct:
            self._suspect[quote.symbol] = (now, quote.mid)
            return False
        return now - suspect[0] >= self.jump_confirm_s

    def refuse(self, symbol: str, reason: str, detail: str, now: float | None = None) -> None:
        """Count a refused update and report it (throttled); the feed calls it for updates
        that never became a quote (ccxt drops zero prices)."""
        now = time.monotonic() if now is None else now
        self.refused[reason] += 1
        last = self._reported.get((symbol, reason))
        if self.on_refused is None or (last is not None and now - last < REPORT_INTERVAL_S):
            return
        self._reported[(symbol, reason)] = now
        self.on_refused(symbol, reason, detail)

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
