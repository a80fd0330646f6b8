"""Environment profiles: conservative presets that explicit config keys override.

A profile may only preset limits, caps and alert routing. It can never choose the mode, the
network or live arming (``test_profiles_cannot_arm_live`` holds that line).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any


class Profile(enum.StrEnum):
    """Named presets; ``dev`` presets nothing."""

    DEV = "dev"
    TINY_LIVE = "tiny-live"
    STANDARD_LIVE = "standard-live"


PROFILE_SECTIONS = frozenset({"live_risk", "live_alerts"})

PROFILES: Mapping[Profile, Mapping[str, Any]] = {
    Profile.DEV: {},
    # A first live run with pocket money: every order small, losses stopped early, loud alerts.
    Profile.TINY_LIVE: {
        "live_risk": {
            "max_order_notional": 25.0,
            "max_symbol_exposure_notional": 100.0,
            "max_total_exposure_notional": 200.0,
            "max_open_positions": 2,
            "max_daily_loss_abs": 20.0,
            "max_daily_loss_pct": 2.0,
            "max_drawdown_pct": 5.0,
            "max_orders_per_second": 1,
            "max_orders_per_minute": 20,
            "max_daily_trades": 50,
            "max_daily_notional": 500.0,
            "price_band_pct": 1.0,
            "max_quote_age_s": 10.0,
            "block_on_violation": True,
        },
        "live_alerts": {"min_level": "WARNING"},
    },
    # A proven strategy on a funded account: still capped, still blocking.
    Profile.STANDARD_LIVE: {
        "live_risk": {
            "max_order_notional": 1000.0,
            "max_symbol_exposure_notional": 5000.0,
            "max_total_exposure_notional": 20000.0,
            "max_open_positions": 8,
            "max_daily_loss_abs": 500.0,
            "max_daily_loss_pct": 3.0,
            "max_drawdown_pct": 10.0,
            "max_orders_per_second": 3,
            "max_orders_per_minute": 120,
            "max_daily_trades": 2000,
            "max_daily_notional": 100000.0,
            "price_band_pct": 2.0,
            "max_quote_age_s": 10.0,
            "block_on_violation": True,
        },
        "live_alerts": {"min_level": "INFO"},
    },
}
