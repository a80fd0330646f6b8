"""Risk limits as configured in ``[live_risk]``.

Frozen structs so a loaded limit set cannot be changed behind the risk layer's back; a reload
builds a new one. Every field's docstring line feeds the generated config reference.

Limit keys are ``None`` when absent (then a risk profile or exchange preset may fill them, see
``risk_presets``) and ``0`` when explicitly switched off: 0 means "no limit" for every limit key.
"""

from __future__ import annotations

import enum
import itertools
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

NonNegative = Annotated[float, msgspec.Meta(ge=0)]
Percent = Annotated[float, msgspec.Meta(ge=0, le=100)]
Count = Annotated[int, msgspec.Meta(ge=0)]
Fraction = Annotated[float, msgspec.Meta(gt=0, le=1)]
SymbolName = Annotated[str, msgspec.Meta(pattern=r"^[A-Z0-9]{2,12}/[A-Z0-9]{2,12}$")]
ClockTime = Annotated[str, msgspec.Meta(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]


class RiskProfile(enum.StrEnum):
    """Presets of limits relative to equity; explicit keys override them."""

    CONSERVATIVE = "conservative"
    MODERATE = "moderate"
    AGGRESSIVE = "aggressive"


class BreachAction(enum.StrEnum):
    """What a portfolio-level breach does to the trading state (ordered by severity)."""

    ALERT = "alert"  # alert only
    REDUCE = "reduce"  # REDUCING: only exposure-reducing orders
    HALT = "halt"  # HALTED, latched until an operator releases it
    HALT_CANCEL_OPEN = "halt_cancel_open"  # HALTED and cancel every open order


class SymbolRiskConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Overrides for one symbol; absent keys inherit the ``[live_risk]`` value, 0 = no limit."""

    max_order_notional: NonNegative | None = None
    """Largest notional of one order in this symbol."""
    max_symbol_exposure_notional: NonNegative | None = None
    """Largest absolute position notional in this symbol."""
    max_position_qty: NonNegative | None = None
    """Largest absolute position size in this symbol, in base units."""
    price_band_pct: Percent | None = None
    """Limit prices must lie within this percentage of the mid price."""


class LimitActions(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The action of each portfolio-level limit when ``evaluate_portfolio`` finds it breached."""

    max_total_exposure_notional: BreachAction = BreachAction.REDUCE
    """Total exposure above its limit."""
    max_symbol_exposure_notional: BreachAction = BreachAction.REDUCE
    """One symbol's exposure above its limit."""
    max_position_qty: BreachAction = BreachAction.REDUCE
    """One symbol's position size above its limit."""
    max_open_positions: BreachAction = BreachAction.REDUCE
    """More open positions than allowed."""
    max_daily_loss_abs: BreachAction = BreachAction.HALT
    """Daily loss in quote currency above its limit (latches HALTED by default)."""
    max_daily_loss_pct: BreachAction = BreachAction.HALT
    """Daily loss in percent above its limit (latches HALTED by default)."""
    max_drawdown_pct: BreachAction = BreachAction.HALT
    """Drawdown from the equity peak above its limit."""


class TradingDayConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """When the trading day (daily loss, daily caps) starts."""

    start: ClockTime = "00:00"
    """Local start time of the day, HH:MM."""
    zone: str = "UTC"
    """IANA time zone of ``start``, e.g. ``Europe/Berlin``."""

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.zone)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise ValueError(f"trading_day.zone: unknown time zone {self.zone!r}") from None


class KillTriggerConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Automatic kills besides the daily-loss and drawdown actions; 0 switches a trigger off."""

    max_consecutive_exchange_failures: Count = 5
    """Kill after this many exchange calls failed in a row."""
    max_exchange_error_rate: Annotated[float, msgspec.Meta(ge=0, le=1)] = 0.5
    """Kill when this fraction of exchange calls in the window failed."""
    error_rate_window_s: Annotated[float, msgspec.Meta(gt=0, le=86400)] = 300.0
    """Window of the exchange error rate."""
    error_rate_min_calls: Annotated[int, msgspec.Meta(ge=1)] = 20
    """The error rate counts only once the window holds this many calls."""
    max_market_data_gap_min: NonNegative = 5.0
    """Kill when no market data arrived for this many minutes."""
    max_heartbeat_gap_s: NonNegative = 60.0
    """Kill when the daemon's own heartbeat is older than this (also across a restart)."""
    cancel_open: bool = True
    """An automatic kill by these triggers also cancels open orders."""


class ReopenConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Release after an automatic kill: a cool-down, then position sizes scaled up in steps."""

    cooldown_s: Annotated[float, msgspec.Meta(ge=0, le=7 * 86400)] = 900.0
    """No release before this long after the automatic kill."""
    steps: tuple[Fraction, ...] = (0.5, 0.75, 1.0)
    """Position-size scales after the release, ending at 1.0."""
    step_interval_s: Annotated[float, msgspec.Meta(gt=0, le=7 * 86400)] = 1800.0
    """Time without a new breach before the next step."""

    def __post_init__(self) -> None:
        steps = self.steps
        if not steps or steps[-1] != 1.0:
            raise ValueError("reopen.steps: must end with 1.0")
        if any(b <= a for a, b in itertools.pairwise(steps)):
            raise ValueError("reopen.steps: must increase")


class ReloadPolicyConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """How a config reload may change limits: tightening at once, big loosening only approved."""

    max_loosen_pct: Annotated[float, msgspec.Meta(ge=0, le=1000)] = 25.0
    """Loosening beyond this percentage needs ``ptctl risk approve-reload --reason T``."""


class LiveRiskConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Order- and portfolio-level limits. Absent keys come from presets; 0 means "no limit"."""

    risk_profile: RiskProfile | None = None
    """conservative, moderate or aggressive: limits relative to equity; explicit keys win."""
    max_order_notional: NonNegative | None = None
    """Largest notional (quote currency) of a single order."""
    max_total_exposure_notional: NonNegative | None = None
    """Largest sum of absolute position notionals across all symbols."""
    max_symbol_exposure_notional: NonNegative | None = None
    """Largest absolute position notional in any one symbol."""
    max_open_positions: Count | None = None
    """Most symbols with a non-zero position at once."""
    max_position_qty: NonNegative | None = None
    """Largest absolute position size per symbol in base units (best set per symbol)."""
    max_daily_loss_abs: NonNegative | None = None
    """Largest loss of the trading day, in quote currency, before the breach action."""
    max_daily_loss_pct: Percent | None = None
    """Largest loss of the trading day, in percent of the day's starting equity."""
    max_drawdown_pct: Percent | None = None
    """Largest fall of equity from its persisted peak, in percent."""
    min_free_quote_balance: NonNegative | None = None
    """Free quote balance that buy orders must leave untouched."""
    max_orders_per_second: Count | None = None
    """Most orders sent in any one second."""
    max_orders_per_minute: Count | None = None
    """Most orders sent in any sixty seconds."""
    price_band_pct: Percent | None = None
    """Limit prices must lie within this percentage of the mid price."""
    max_quote_age_s: NonNegative | None = None
    """Orders need a quote no older than this; an order without any quote is always refused."""
    max_run_notional: NonNegative | None = None
    """Most notional traded by one daemon run."""
    max_run_trades: Count | None = None
    """Most orders sent by one daemon run."""
    max_daily_notional: NonNegative | None = None
    """Most notional traded in one trading day."""
    max_daily_trades: Count | None = None
    """Most orders sent in one trading day."""
    symbol_whitelist: tuple[SymbolName, ...] = ()
    """Symbols orders may be sent for; empty means the markets in ``exchange.symbols``."""
    block_on_violation: bool = True
    """Refuse orders that break a limit; false lets them through with a warning (not guards)."""
    use_experiments_for_daily_pnl: bool = False
    """Daily PnL = realized PnL of this run's fills; false: change of equity since day start."""
    warning_fraction: Fraction = 0.8
    """A rule reports WARNING (and alerts once) at this fraction of its limit."""
    symbols: dict[SymbolName, SymbolRiskConfig] = {}
    """Per-symbol overrides, ``[live_risk.symbols."BTC/USDT"]``."""
    actions: LimitActions = LimitActions()
    """Breach action per portfolio-level limit."""
    trading_day: TradingDayConfig = TradingDayConfig()
    """Start of the trading day."""
    kill: KillTriggerConfig = KillTriggerConfig()
    """Automatic kill triggers."""
    reopen: ReopenConfig = ReopenConfig()
    """Release and stepped re-open after an automatic kill."""
    reload: ReloadPolicyConfig = ReloadPolicyConfig()
    """Limit changes by config reload."""
