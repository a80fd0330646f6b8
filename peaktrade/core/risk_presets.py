"""Preset limits: risk profiles (relative to equity) and per-exchange presets.

Presets fill only the keys the config leaves absent; an explicit key always wins (an explicit 0
switches a limit off whatever they say). Where the risk profile and the exchange preset both
preset a key, the tighter of the two applies.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from peaktrade.core.risk_config import RiskProfile


class EquityShare(msgspec.Struct, frozen=True):
    """A notional limit given as a fraction of equity; resolved when equity is known."""

    fraction: float


PresetValue = float | int | EquityShare

# Relative presets: at zero equity the notional limits resolve to 0 and refuse every new risk.
RISK_PROFILES: Mapping[RiskProfile, Mapping[str, PresetValue]] = {
    RiskProfile.CONSERVATIVE: {
        "max_order_notional": EquityShare(0.01),
        "max_symbol_exposure_notional": EquityShare(0.10),
        "max_total_exposure_notional": EquityShare(0.25),
        "max_open_positions": 3,
        "max_daily_loss_pct": 2.0,
        "max_drawdown_pct": 5.0,
        "min_free_quote_balance": EquityShare(0.05),
        "max_daily_notional": EquityShare(1.0),
        "price_band_pct": 1.0,
        "max_quote_age_s": 10.0,
    },
    RiskProfile.MODERATE: {
        "max_order_notional": EquityShare(0.025),
        "max_symbol_exposure_notional": EquityShare(0.20),
        "max_total_exposure_notional": EquityShare(0.60),
        "max_open_positions": 6,
        "max_daily_loss_pct": 4.0,
        "max_drawdown_pct": 10.0,
        "min_free_quote_balance": EquityShare(0.02),
        "max_daily_notional": EquityShare(3.0),
        "price_band_pct": 2.0,
        "max_quote_age_s": 15.0,
    },
    RiskProfile.AGGRESSIVE: {
        "max_order_notional": EquityShare(0.05),
        "max_symbol_exposure_notional": EquityShare(0.35),
        "max_total_exposure_notional": EquityShare(1.0),
        "max_open_positions": 12,
        "max_daily_loss_pct": 6.0,
        "max_drawdown_pct": 20.0,
        "max_daily_notional": EquityShare(10.0),
        "price_band_pct": 5.0,
        "max_quote_age_s": 30.0,
    },
}

# Per exchange: order rates well under the venue's own order limits (so ours trip first) and a
# price band inside the venue's percent-price filter. Unknown exchanges get DEFAULT_PRESET.
DEFAULT_PRESET: Mapping[str, PresetValue] = {
    "max_orders_per_second": 2,
    "max_orders_per_minute": 60,
    "price_band_pct": 5.0,
    "max_quote_age_s": 30.0,
}

EXCHANGE_PRESETS: Mapping[str, Mapping[str, PresetValue]] = {
    "binance": {"max_orders_per_second": 5, "max_orders_per_minute": 300, "price_band_pct": 5.0},
    "bybit": {"max_orders_per_second": 5, "max_orders_per_minute": 300, "price_band_pct": 5.0},
    "okx": {"max_orders_per_second": 5, "max_orders_per_minute": 300, "price_band_pct": 5.0},
    "kraken": {"max_orders_per_second": 1, "max_orders_per_minute": 60, "price_band_pct": 5.0},
    "coinbase": {"max_orders_per_second": 3, "max_orders_per_minute": 180, "price_band_pct": 5.0},
}


def exchange_preset(exchange_id: str) -> Mapping[str, PresetValue]:
    """The preset of an exchange, over the default one (quote age, etc. stay from the default)."""
    return {**DEFAULT_PRESET, **EXCHANGE_PRESETS.get(exchange_id, {})}
