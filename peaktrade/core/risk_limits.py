"""Effective limits: ``[live_risk]`` + risk profile + exchange preset + equity, resolved once.

The risk checks read only a ``LiveRiskLimits``; it holds numbers, never "maybe from a preset".
``None`` means no limit. Resolve again when the equity basis (the day's starting equity), the
re-open scale or the config changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import msgspec

from peaktrade.core.risk_config import (
    KillTriggerConfig,
    LimitActions,
    LiveRiskConfig,
    ReloadPolicyConfig,
    ReopenConfig,
    RiskProfile,
    TradingDayConfig,
)
from peaktrade.core.risk_presets import RISK_PROFILES, EquityShare, PresetValue, exchange_preset

LIMIT_KEYS: tuple[str, ...] = (
    "max_order_notional",
    "max_total_exposure_notional",
    "max_symbol_exposure_notional",
    "max_open_positions",
    "max_position_qty",
    "max_daily_loss_abs",
    "max_daily_loss_pct",
    "max_drawdown_pct",
    "min_free_quote_balance",
    "max_orders_per_second",
    "max_orders_per_minute",
    "price_band_pct",
    "max_quote_age_s",
    "max_run_notional",
    "max_run_trades",
    "max_daily_notional",
    "max_daily_trades",
)
"""The numeric limit keys of ``[live_risk]``, in display order."""

SYMBOL_KEYS = (
    "max_order_notional",
    "max_symbol_exposure_notional",
    "max_position_qty",
    "price_band_pct",
)
"""Keys a ``[live_risk.symbols."X"]`` table may override."""

SCALED_KEYS = frozenset(
    {
        "max_order_notional",
        "max_symbol_exposure_notional",
        "max_total_exposure_notional",
        "max_position_qty",
    }
)
"""Size limits that the re-open scale multiplies after an automatic kill."""

MIN_KEYS = frozenset({"min_free_quote_balance"})
"""Limits where a larger value is tighter (all others: smaller is tighter)."""


class SymbolLimits(msgspec.Struct, frozen=True, gc=False):
    """The limits that may differ per symbol, overrides already merged over the globals."""

    max_order_notional: float | None
    max_symbol_exposure_notional: float | None
    max_position_qty: float | None
    price_band_pct: float | None


class LiveRiskLimits(msgspec.Struct, frozen=True, kw_only=True):
    """Effective limits; ``None`` = no limit. ``sources`` says where each value came from."""

    equity_basis: float
    scale: float
    exchange_id: str
    risk_profile: RiskProfile | None
    max_order_notional: float | None
    max_total_exposure_notional: float | None
    max_symbol_exposure_notional: float | None
    max_open_positions: float | None
    max_position_qty: float | None
    max_daily_loss_abs: float | None
    max_daily_loss_pct: float | None
    max_drawdown_pct: float | None
    min_free_quote_balance: float | None
    max_orders_per_second: float | None
    max_orders_per_minute: float | None
    price_band_pct: float | None
    max_quote_age_s: float | None
    max_run_notional: float | None
    max_run_trades: float | None
    max_daily_notional: float | None
    max_daily_trades: float | None
    whitelist: frozenset[str]
    default_symbol: SymbolLimits
    symbols: dict[str, SymbolLimits]
    block_on_violation: bool
    use_experiments_for_daily_pnl: bool
    warning_fraction: float
    actions: LimitActions
    trading_day: TradingDayConfig
    kill: KillTriggerConfig
    reopen: ReopenConfig
    reload: ReloadPolicyConfig
    sources: dict[str, str]

    def for_symbol(self, symbol: str) -> SymbolLimits:
        return self.symbols.get(symbol, self.default_symbol)


class _Resolved(msgspec.Struct, frozen=True):
    value: float | None
    source: str
    share: float | None = None  # set when the value is a fraction of equity


def resolve_limits(
    config: LiveRiskConfig,
    *,
    exchange_id: str,
    symbols: Iterable[str],
    equity: float,
    scale: float = 1.0,
) -> LiveRiskLimits:
    """Effective limits at ``equity`` (use the day's starting equity) and re-open ``scale``.

    ``symbols`` are the configured markets: the whitelist when ``symbol_whitelist`` is empty.
    """
    resolved = _resolve_all(config, exchange_id, equity)
    values: dict[str, float | None] = {}
    for key, item in resolved.items():
        value = item.value
        if value is not None and key in SCALED_KEYS:
            value *= scale
        values[key] = value
    default_symbol = SymbolLimits(**{k: values[k] for k in SYMBOL_KEYS})
    per_symbol = {}
    for symbol, override in config.symbols.items():
        merged: dict[str, float | None] = {}
        for key in SYMBOL_KEYS:
            explicit = getattr(override, key)
            if explicit is None:
                merged[key] = values[key]
            else:
                merged[key] = _off_if_zero(explicit * (scale if key in SCALED_KEYS else 1.0))
        per_symbol[symbol] = SymbolLimits(**merged)
    return LiveRiskLimits(
        equity_basis=equity,
        scale=scale,
        exchange_id=exchange_id,
        risk_profile=config.risk_profile,
        whitelist=frozenset(config.symbol_whitelist or symbols),
        default_symbol=default_symbol,
        symbols=per_symbol,
        block_on_violation=config.block_on_violation,
        use_experiments_for_daily_pnl=config.use_experiments_for_daily_pnl,
        warning_fraction=config.warning_fraction,
        actions=config.actions,
        trading_day=config.trading_day,
        kill=config.kill,
        reopen=config.reopen,
        reload=config.reload,
        sources={k: v.source for k, v in resolved.items()},
        **values,
    )


def render_limits(
    config: LiveRiskConfig, *, exchange_id: str, symbols: Iterable[str], equity: float | None
) -> list[str]:
    """One line per effective limit for ``check-config`` and ``ptctl risk``.

    Without an equity (offline ``check-config``) relative limits show as a share of equity.
    """
    lines = []
    for key, item in _resolve_all(config, exchange_id, equity).items():
        if item.value is None and item.share is not None:
            shown = f"{item.share * 100:g}% of equity"
        elif item.value is None:
            shown = "none"
        else:
            shown = f"{item.value:g}"
            if item.share is not None:
                shown += f" ({item.share * 100:g}% of equity)"
        lines.append(f"{key} = {shown}  [{item.source}]")
    for symbol, override in sorted(config.symbols.items()):
        for key in SYMBOL_KEYS:
            explicit = getattr(override, key)
            if explicit is not None:
                shown = "none" if explicit == 0 else f"{explicit:g}"
                lines.append(f'symbols."{symbol}".{key} = {shown}  [config]')
    allowed = ", ".join(sorted(config.symbol_whitelist or symbols)) or "(none)"
    lines.append(f"symbol_whitelist = {allowed}")
    lines.append(f"block_on_violation = {str(config.block_on_violation).lower()}")
    lines.append(f"warning_fraction = {config.warning_fraction:g}")
    return lines


def _resolve_all(
    config: LiveRiskConfig, exchange_id: str, equity: float | None
) -> dict[str, _Resolved]:
    profile: Mapping[str, PresetValue] = (
        RISK_PROFILES[config.risk_profile] if config.risk_profile is not None else {}
    )
    preset = exchange_preset(exchange_id)
    basis = None if equity is None else max(0.0, equity)
    out = {}
    for key in LIMIT_KEYS:
        explicit = getattr(config, key)
        if explicit is not None:
            out[key] = _Resolved(_off_if_zero(float(explicit)), "config")
            continue
        candidates = []
        if key in profile and config.risk_profile is not None:
            candidates.append(_preset(profile[key], f"profile {config.risk_profile.value}", basis))
        if key in preset:
            candidates.append(_preset(preset[key], f"preset {exchange_id}", basis))
        out[key] = _tightest(key, candidates) if candidates else _Resolved(None, "no limit")
    return out


def _preset(value: PresetValue, source: str, basis: float | None) -> _Resolved:
    if isinstance(value, EquityShare):
        amount = None if basis is None else value.fraction * basis
        return _Resolved(amount, source, share=value.fraction)
    return _Resolved(_off_if_zero(float(value)), source)


def _tightest(key: str, candidates: list[_Resolved]) -> _Resolved:
    """Among presets, the tighter value wins; an unresolved share (no equity) is shown as is."""
    known = [c for c in candidates if c.value is not None]
    if not known:
        return candidates[0]
    pick = max if key in MIN_KEYS else min
    return pick(known, key=lambda c: c.value or 0.0)


def _off_if_zero(value: float) -> float | None:
    return None if value == 0 else value
