"""Every alert code the daemon emits: stable strings with a default level and a runbook anchor.

Operators grep for these codes and runbooks are keyed on them: never rename one, only add.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from peaktrade.alerts.config import AlertLevel

RUNBOOK_DOC = "docs/RUNBOOKS_AND_INCIDENT_HANDLING.md"


class AlertCode(msgspec.Struct, frozen=True):
    """One code: its default level, the title shown to operators, its runbook section."""

    code: str
    level: AlertLevel
    title: str
    anchor: str
    stateful: bool = False  # fires on change and resolves on recovery (set_condition)
    # Raised again by its emitter for as long as it lasts, and resolved only by the run that
    # saw it start: one left open by an earlier run and not raised again soon after a restart
    # is over (``restored_grace_s``). Conditions judged afresh every run (risk, health, sinks,
    # unresolved orders) are not transient: their own check resolves them.
    transient: bool = False


_C, _W, _I = AlertLevel.CRITICAL, AlertLevel.WARNING, AlertLevel.INFO

_CATALOGUE = (
    AlertCode("kill.engaged", _C, "Kill switch engaged: trading HALTED", "kill-switch-engaged"),
    AlertCode(
        "kill.released", _W, "Kill switch released: trading re-armed", "kill-switch-released"
    ),
    AlertCode("state.changed", _W, "Trading state changed", "trading-state-changed"),
    AlertCode("risk.order_violation", _W, "Order refused by a risk limit", "risk-order-violation"),
    AlertCode(
        "risk.portfolio_warning", _W, "Portfolio near a risk limit", "risk-portfolio", stateful=True
    ),
    AlertCode(
        "risk.portfolio_breach",
        _C,
        "Portfolio risk limit breached",
        "risk-portfolio",
        stateful=True,
    ),
    AlertCode(
        "reconcile.mismatch",
        _C,
        "Exchange and journal disagree",
        "reconcile-mismatch",
        stateful=True,
    ),
    AlertCode(
        "order.unresolved", _C, "Order outcome unresolved", "order-unresolved", stateful=True
    ),
    AlertCode("data.stale", _W, "Market data stale", "data-stale", stateful=True, transient=True),
    AlertCode("data.corrupt", _W, "Market data refused as corrupt", "data-corrupt"),
    AlertCode(
        "exchange.disconnected",
        _W,
        "Exchange connection lost",
        "exchange-disconnected",
        stateful=True,
        transient=True,
    ),
    AlertCode(
        "exchange.reconnect_storm",
        _C,
        "Exchange reconnecting repeatedly",
        "exchange-reconnect-storm",
        stateful=True,
        transient=True,
    ),
    AlertCode(
        "exchange.rate_limited",
        _W,
        "Exchange rate limit: backing off",
        "exchange-rate-limited",
        stateful=True,
        transient=True,
    ),
    AlertCode(
        "exchange.banned",
        _C,
        "Exchange ban (IP or key)",
        "exchange-banned",
        stateful=True,
        transient=True,
    ),
    AlertCode("daemon.started", _I, "Daemon started", "daemon-started"),
    AlertCode("daemon.stopped", _W, "Daemon stopped", "daemon-stopped"),
    AlertCode("daemon.unhealthy", _C, "Daemon unhealthy", "daemon-unhealthy", stateful=True),
    AlertCode("config.reloaded", _I, "Configuration reloaded", "config-reloaded"),
    AlertCode("config.reload_refused", _W, "Configuration reload refused", "config-reload-refused"),
    AlertCode(
        "alerts.sink_failing", _C, "Alert sink failing", "alerts-sink-failing", stateful=True
    ),
    AlertCode(
        "alerts.sink_misconfigured", _W, "Alert sink not configured", "alerts-sink-misconfigured"
    ),
    AlertCode("alerts.dropped", _W, "Alerts dropped: queue full", "alerts-dropped"),
    AlertCode("alerts.test", _I, "Test alert", "alerts-test"),
    AlertCode("store.failed", _C, "State database failed: daemon stopping", "store-failed"),
    AlertCode(
        "dashboard.unavailable",
        _W,
        "Dashboard/metrics listener not started",
        "dashboard-unavailable",
    ),
    AlertCode(
        "order.unknown", _W, "Order outcome unknown: resolving by lookup", "order-unresolved"
    ),
    AlertCode("exchange.clock_skew", _W, "Exchange clock offset resynced", "exchange-clock-skew"),
    AlertCode(
        "execution.fill_divergence",
        _W,
        "Fill far from the price it was sent at",
        "execution-fill-divergence",
    ),
    AlertCode("risk.reload_held", _W, "Loosening reload awaits approval", "risk-reload-held"),
    AlertCode("kill.exchange_failures", _C, "Auto-kill: exchange failing", "automatic-kill"),
    AlertCode("kill.exchange_error_rate", _C, "Auto-kill: exchange errors", "automatic-kill"),
    AlertCode("kill.market_data_gap", _C, "Auto-kill: market data gap", "automatic-kill"),
    AlertCode("kill.heartbeat_missing", _C, "Auto-kill: heartbeat missing", "automatic-kill"),
    AlertCode("alerts.unknown_code", _W, "Alert with an unknown code", "alert-codes"),
    AlertCode(
        "strategy.failed", _C, "Strategy code raised: skipped", "strategy-failed", stateful=True
    ),
    AlertCode("stage.promoted", _W, "Stage promoted", "stage-promoted"),
    AlertCode("stage.degraded", _W, "Stage degraded", "stage-degraded"),
    AlertCode("stage.live_approved", _W, "Promotion to live approved", "stage-live-approved"),
    AlertCode("stage.orders_left_open", _C, "Degrade left orders open", "stage-orders-left-open"),
    AlertCode("stage.start_changed", _W, "Start stage differs from config", "stage-start-changed"),
    AlertCode("check.failed", _W, "Scheduled check failed", "check-failed", stateful=True),
)

CODES: Mapping[str, AlertCode] = {c.code: c for c in _CATALOGUE}

UNKNOWN = CODES["alerts.unknown_code"]


def lookup(code: str) -> AlertCode:
    """The catalogue entry, or the ``alerts.unknown_code`` entry for a code not listed."""
    return CODES.get(code, UNKNOWN)


def runbook_link(anchor: str, base: str = RUNBOOK_DOC) -> str:
    """Where an operator reads what to do: ``<doc or URL>#<anchor>``."""
    return f"{base}#{anchor}"
