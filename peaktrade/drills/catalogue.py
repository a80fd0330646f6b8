"""The incident drills ``peaktrade drill`` knows, in the order ``--all`` runs them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import msgspec

from peaktrade.drills import scenarios_market as market
from peaktrade.drills import scenarios_orders as orders
from peaktrade.drills.environment import DrillEnv


class Scenario(msgspec.Struct, frozen=True):
    """One drill: what it rehearses, its config on top of the drill base, its steps."""

    name: str
    title: str
    run: Callable[[DrillEnv], None]
    config: Mapping[str, Any] = {}


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("exchange_outage", "Exchange outage (simulator down 5 s)", market.exchange_outage),
    Scenario("data_freeze", "Market data freeze", market.data_freeze),
    Scenario("corrupt_data", "Corrupt market data (bad tickers)", market.corrupt_data),
    Scenario("fill_divergence", "Fills far from the intended price", orders.fill_divergence),
    Scenario(
        "flash_crash",
        "Flash crash breaching the daily loss limit",
        orders.flash_crash,
        {
            "live_risk": {
                "max_daily_loss_abs": 2000.0,
                "actions": {"max_daily_loss_abs": "halt_cancel_open"},
            }
        },
    ),
    Scenario("rate_limit", "Rate limit (429) and ban (418)", market.rate_limit),
    Scenario("unknown_outcome", "Unknown order outcome", orders.unknown_outcome),
    Scenario("daemon_crash", "Daemon killed mid-order", orders.daemon_crash),
    Scenario(
        "alert_sink_down",
        "Alert sink down",
        orders.alert_sink_down,
        {"live_alerts": {"sinks": ["log", "webhook", "discord"]}},
    ),
    Scenario("reconcile_mismatch", "Reconciliation mismatch", orders.reconcile_mismatch),
)

BY_NAME: Mapping[str, Scenario] = {s.name: s for s in SCENARIOS}
