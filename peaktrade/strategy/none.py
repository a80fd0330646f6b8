"""``none``: no orders of its own; the operator trades with ``ptctl order submit``."""

from __future__ import annotations

from collections.abc import Sequence

from peaktrade.core.model import Fill, Quote
from peaktrade.strategy.base import HOLD, Bar, Decision, StrategyContext, StrategySetup


class NoStrategy:
    history_bars = 0

    def warm_up(self, bars: Sequence[Bar]) -> None:
        del bars

    def on_bar(self, bar: Bar) -> None:
        del bar

    def on_quote(self, quote: Quote) -> None:
        del quote

    def on_fill(self, fill: Fill) -> None:
        del fill

    def decide(self, context: StrategyContext) -> Decision:
        del context
        return HOLD


def make(setup: StrategySetup) -> NoStrategy:
    del setup
    return NoStrategy()
