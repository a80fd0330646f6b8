"""One tick of the portfolio monitor, as a pure function the daemon's portfolio task calls.

Per tick: roll the trading day, raise the equity peak, take the snapshot, evaluate it, work out
alerts (once per condition), violations, kill triggers and the latch move. The daemon persists
what the report says changed, applies ``change`` through the latch, sends ``alerts``.
"""

from __future__ import annotations

import msgspec

from peaktrade.core.auto_kill import transition_for
from peaktrade.core.kill_triggers import ExchangeHealth, KillTrigger, kill_triggers
from peaktrade.core.model import Quote
from peaktrade.core.portfolio import Ledger, LivePortfolioSnapshot, build_snapshot, equity_of
from peaktrade.core.portfolio_risk import evaluate_portfolio
from peaktrade.core.risk_alerts import RiskAlert, alert_changes
from peaktrade.core.risk_config import BreachAction
from peaktrade.core.risk_limits import LiveRiskLimits
from peaktrade.core.risk_rules import LiveRiskCheckResult, RuleStatus, strongest
from peaktrade.core.risk_violations import Violation, portfolio_violations
from peaktrade.core.trading_day import EquityPeak, TradingDay, roll_day, update_peak
from peaktrade.core.trading_state import StateChange, TradingState

_MAX_REASON = 500  # the latch refuses longer reasons


class LivePortfolioMonitor(msgspec.Struct, frozen=True, kw_only=True):
    """What the portfolio task carries between ticks. Start it from the store: day and peak."""

    day: TradingDay | None = None
    peak: EquityPeak | None = None
    alerts: dict[str, RuleStatus] = {}
    triggers: frozenset[str] = frozenset()  # kill-trigger codes firing at the last tick


class MonitorInputs(msgspec.Struct, frozen=True, kw_only=True):
    """The daemon's view at tick time."""

    ledger: Ledger
    quotes: dict[str, Quote]
    free_quote: float | None  # the exchange's free quote balance; None: the ledger's cash
    state: TradingState
    exchange: ExchangeHealth
    last_market_data_ms: int  # the daemon's start time until the first quote
    last_heartbeat_ms: int


class MonitorReport(msgspec.Struct, frozen=True, kw_only=True):
    """What one tick found and what the daemon should do about it."""

    snapshot: LivePortfolioSnapshot  # persist: store.portfolio_history.record
    result: LiveRiskCheckResult
    triggers: tuple[KillTrigger, ...]  # every trigger firing now
    new_triggers: tuple[KillTrigger, ...]  # those not firing at the last tick: alert them
    alerts: tuple[RiskAlert, ...]
    violations: tuple[Violation, ...]  # persist: store.violations.record
    action: BreachAction | None  # strongest action of breaches and triggers
    reason: str  # the reason the latch move carries
    change: StateChange | None  # the move from ``inputs.state``; inside TradingSwitch.apply
    # rebuild it from the then-current state: transition_for(state, action, reason=..., ...)
    day: TradingDay
    day_started: bool  # persist: store.trading_day.save_day, then re-resolve the limits
    peak: EquityPeak
    peak_changed: bool  # persist: store.trading_day.save_peak


def monitor_tick(
    monitor: LivePortfolioMonitor, limits: LiveRiskLimits, inputs: MonitorInputs, *, now_ms: int
) -> tuple[LivePortfolioMonitor, MonitorReport]:
    """Advance the monitor by one tick."""
    ledger = inputs.ledger
    equity = equity_of(ledger, inputs.quotes)
    day = roll_day(
        monitor.day,
        limits.trading_day,
        now_ms=now_ms,
        equity=equity,
        realized=ledger.realized_pnl,
    )
    peak = update_peak(monitor.peak, equity, now_ms)
    snapshot = build_snapshot(
        ledger,
        inputs.quotes,
        now_ms=now_ms,
        free_quote=inputs.free_quote,
        day_key=day.key,
        day_start_equity=day.start_equity,
        day_start_realized=day.start_realized,
        peak_equity=peak.equity,
        realized_only_daily_pnl=limits.use_experiments_for_daily_pnl,
    )
    result = evaluate_portfolio(limits, snapshot)
    active, alerts = alert_changes(monitor.alerts, result)
    violations = portfolio_violations(result, snapshot, alerts)
    triggers = kill_triggers(
        limits.kill,
        exchange=inputs.exchange,
        last_market_data_ms=inputs.last_market_data_ms,
        last_heartbeat_ms=inputs.last_heartbeat_ms,
        now_ms=now_ms,
    )
    action, reason = result.action, _breach_reason(result)
    if triggers:
        kill = BreachAction.HALT_CANCEL_OPEN if limits.kill.cancel_open else BreachAction.HALT
        action = strongest(action, kill)
        reason = "; ".join([f"{t.code}: {t.message}" for t in triggers] + [reason] * bool(reason))
    reason = (reason or "auto: risk")[:_MAX_REASON]
    change = transition_for(inputs.state, action, reason=reason, now_ms=now_ms)
    report = MonitorReport(
        snapshot=snapshot,
        result=result,
        triggers=triggers,
        new_triggers=tuple(t for t in triggers if t.code not in monitor.triggers),
        alerts=tuple(alerts),
        violations=tuple(violations),
        action=action,
        reason=reason,
        change=change,
        day=day,
        day_started=day is not monitor.day,
        peak=peak,
        peak_changed=peak is not monitor.peak,
    )
    after = LivePortfolioMonitor(
        day=day, peak=peak, alerts=active, triggers=frozenset(t.code for t in triggers)
    )
    return after, report


def _breach_reason(result: LiveRiskCheckResult) -> str:
    """e.g. ``auto: risk.max_daily_loss_abs 2100 > 2000``: what the latch history will show."""
    parts = []
    for o in result.breaches:
        where = f" {o.symbol}" if o.symbol else ""
        value = "?" if o.value is None else f"{o.value:g}"
        parts.append(f"{o.code}{where} {value} > {o.limit:g}")
    return ("auto: " + ", ".join(parts)) if parts else ""
