"""The ``[strategy]`` config section: which strategy runs, how often, and its parameters.

Built-in strategies have typed sub-tables (``[strategy.rebalance]``, ``[strategy.ma_cross]``);
a third-party strategy's table lives under ``[strategy.plugins.NAME]`` and is validated by the
plugin's own params struct (``peaktrade.strategy.registry.strategy_problems``).
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from peaktrade.strategy.bars import Timeframe

StrategyName = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
MarketSymbol = Annotated[str, msgspec.Meta(pattern=r"^[A-Z0-9]{2,12}/[A-Z0-9]{2,12}$")]
Weight = Annotated[float, msgspec.Meta(ge=0, le=1)]
PositiveQty = Annotated[float, msgspec.Meta(gt=0)]


class RebalanceParams(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Hold target weights of total equity per symbol; the rest stays in the quote currency."""

    weights: dict[MarketSymbol, Weight] = {}
    """Target share of equity per symbol (0 sells it all); they may add up to at most 1."""
    threshold_pct: Annotated[float, msgspec.Meta(gt=0, le=100)] = 5.0
    """Trade a symbol only when its value is off its target by more than this % of the target."""
    min_order_notional: Annotated[float, msgspec.Meta(ge=0)] = 10.0
    """Smallest order worth sending, in the quote currency (the exchange minimum also holds)."""
    max_order_notional: Annotated[float, msgspec.Meta(gt=0)] | None = None
    """Largest single order; a bigger move is split into several orders sent together."""
    cash_buffer_pct: Annotated[float, msgspec.Meta(ge=0, lt=100)] = 1.0
    """Share of free quote currency never spent, so fees and slippage do not fail a buy."""

    def __post_init__(self) -> None:
        total = sum(self.weights.values())
        if total > 1 + 1e-9:
            raise ValueError(f"weights add up to {total:g}; at most 1 (the rest is cash)")


class MaCrossParams(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Moving-average cross on closed bars: long on a golden cross, flat on a death cross."""

    fast: Annotated[int, msgspec.Meta(ge=1, le=499)] = 5
    """Bars in the fast simple moving average of closes."""
    slow: Annotated[int, msgspec.Meta(ge=2, le=500)] = 20
    """Bars in the slow simple moving average; must be more than ``fast``."""
    qty: dict[MarketSymbol, PositiveQty] = {}
    """Base units the strategy holds after a golden cross, per symbol (on top of what the
    account holds otherwise); symbols not listed are not traded."""
    allow_short: bool = False
    """On a death cross go short by ``qty`` instead of flat (not on a spot account)."""

    def __post_init__(self) -> None:
        if self.fast >= self.slow:
            raise ValueError(f"fast ({self.fast}) must be less than slow ({self.slow})")


class StrategyConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The strategy that places orders on its own (through the same gate as ptctl's)."""

    name: StrategyName = "none"
    """Strategy: ``none`` (operator-driven only), ``rebalance``, ``ma_cross``, or a plugin."""
    interval_s: Annotated[float, msgspec.Meta(ge=0.1, le=3600)] = 5.0
    """Seconds between decisions."""
    timeframe: Timeframe = Timeframe.M1
    """Length of the closed bars fed to the strategy."""
    rebalance: RebalanceParams = RebalanceParams()
    """Parameters of ``rebalance``."""
    ma_cross: MaCrossParams = MaCrossParams()
    """Parameters of ``ma_cross``."""
    plugins: dict[StrategyName, dict[str, Any]] = {}
    """Parameters of third-party strategies, one table per strategy name."""
