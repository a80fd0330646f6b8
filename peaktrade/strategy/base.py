"""The strategy interface and what flows through it.

A strategy is a small object: ``warm_up``/``on_bar``/``on_quote``/``on_fill`` update its
state, ``decide(context)`` answers without changing it (preview calls it too) and reads no
clock: the time is ``context.now_ms``. The answer is target positions, turned into orders by
``peaktrade.strategy.intents`` against the exchange's size rules, or explicit order intents.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import msgspec

from peaktrade.core.model import Fill, OrderIntent, Quote
from peaktrade.strategy.markets import MarketRules


class StrategyError(Exception):
    """A strategy that cannot be loaded or asked; ``code`` is a stable reason code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class Bar(msgspec.Struct, frozen=True, kw_only=True):
    """One closed candle (ccxt OHLCV row) of one symbol."""

    symbol: str
    open_ms: int
    close_ms: int  # open_ms + the timeframe: the bar is closed at or after this time
    open: float
    high: float
    low: float
    close: float
    volume: float


class StrategyContext(msgspec.Struct, frozen=True, kw_only=True):
    """The account and market as the daemon sees them at ``now_ms``."""

    now_ms: int
    state: str  # trading state: ACTIVE, REDUCING or HALTED
    quote_currency: str
    equity: float  # cash + positions at their marks
    free_quote: float  # quote currency available for buying
    positions: dict[str, float]  # symbol -> signed base qty the account holds (absent: none)
    own_positions: dict[str, float]  # the part this strategy's own fills add up to
    quotes: dict[str, Quote]  # fresh quotes only: a symbol without one must not be traded
    markets: dict[str, MarketRules]  # exchange size rules per symbol


class Targets(msgspec.Struct, frozen=True, kw_only=True):
    """Positions wanted (symbol -> signed base qty); symbols left out are left alone."""

    positions: dict[str, float]
    tag: str = ""  # why, recorded on each order
    max_order_notional: float | None = None  # split bigger moves into orders of at most this


class Orders(msgspec.Struct, frozen=True, kw_only=True):
    """Explicit orders; their ``source`` is set to the strategy's name when sent."""

    intents: tuple[OrderIntent, ...]


Decision = Targets | Orders

HOLD = Targets(positions={})


class StrategySetup(msgspec.Struct, frozen=True, kw_only=True):
    """What a strategy is built from: its name, the markets it may trade, its parameters."""

    name: str
    symbols: tuple[str, ...]
    quote_currency: str
    params: Any  # the plugin's validated params struct, or None when it takes none


class Strategy(Protocol):
    """What the runner calls; every method runs on the event loop and must be quick."""

    @property
    def history_bars(self) -> int:
        """Closed bars per symbol to warm up on before the first decision (0: no bars)."""
        ...

    def warm_up(self, bars: Sequence[Bar]) -> None:
        """Bars from before the start, oldest first: update state, do not act on signals."""

    def on_bar(self, bar: Bar) -> None:
        """A bar closed (bars of one symbol arrive in order, each once)."""

    def on_quote(self, quote: Quote) -> None:
        """The latest top of book of a symbol, at most once per decision interval."""

    def on_fill(self, fill: Fill) -> None:
        """An execution on the account (any source: the strategy's or an operator's)."""

    def decide(self, context: StrategyContext) -> Decision:
        """What to do now; must not change the strategy's state."""
        ...
