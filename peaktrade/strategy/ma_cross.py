"""``ma_cross``: fast and slow simple moving averages of closes.

A golden cross (fast rises above slow) makes the strategy hold ``qty``; a death cross makes it
flat (or short by ``qty`` when allowed). What it holds is what its own fills add up to, so
coins the account holds otherwise are never sold by it. Crosses in the warm-up history only
prime the averages: it acts on the first cross it sees live. Once set, the holding is asserted
at every decision, so an order the gate refused is tried again.
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Sequence

from peaktrade.core.model import Fill, Quote
from peaktrade.strategy.base import Bar, Decision, StrategyContext, StrategySetup, Targets
from peaktrade.strategy.config import MaCrossParams


class Cross(enum.StrEnum):
    GOLDEN = "golden_cross"
    DEATH = "death_cross"


def sma(values: Sequence[float], n: int) -> float:
    return sum(values[-n:]) / n


def cross_at(closes: Sequence[float], fast: int, slow: int) -> Cross | None:
    """The cross made by the last close, if any (needs ``slow + 1`` closes)."""
    values = list(closes)
    if len(values) < slow + 1:
        return None
    before = values[:-1]
    was = sma(before, fast) - sma(before, slow)
    now = sma(values, fast) - sma(values, slow)
    if was <= 0 < now:
        return Cross.GOLDEN
    if was >= 0 > now:
        return Cross.DEATH
    return None


class MaCross:
    def __init__(self, params: MaCrossParams) -> None:
        self.params = params
        self.closes: dict[str, deque[float]] = {
            s: deque(maxlen=params.slow + 1) for s in params.qty
        }
        self.targets: dict[str, float] = {}  # what the strategy itself should hold

    @property
    def history_bars(self) -> int:
        return self.params.slow + 1

    def warm_up(self, bars: Sequence[Bar]) -> None:
        for bar in bars:
            if bar.symbol in self.closes:
                self.closes[bar.symbol].append(bar.close)

    def on_bar(self, bar: Bar) -> None:
        closes = self.closes.get(bar.symbol)
        if closes is None:
            return
        closes.append(bar.close)
        cross = cross_at(closes, self.params.fast, self.params.slow)
        if cross is None:
            return
        qty = self.params.qty[bar.symbol]
        if cross is Cross.GOLDEN:
            self.targets[bar.symbol] = qty
        else:
            self.targets[bar.symbol] = -qty if self.params.allow_short else 0.0

    def on_quote(self, quote: Quote) -> None:
        del quote

    def on_fill(self, fill: Fill) -> None:
        del fill

    def decide(self, context: StrategyContext) -> Decision:
        positions = {}
        for symbol, own_target in self.targets.items():
            others = context.positions.get(symbol, 0.0) - context.own_positions.get(symbol, 0.0)
            target = others + own_target
            positions[symbol] = target if self.params.allow_short else max(0.0, target)
        p = self.params
        return Targets(positions=positions, tag=f"ma_cross {p.fast}/{p.slow}")


def make(setup: StrategySetup) -> MaCross:
    assert isinstance(setup.params, MaCrossParams)
    return MaCross(setup.params)
