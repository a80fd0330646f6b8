"""Semantic health: the checks ``ptctl health`` shows, each with a value and a hint."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

from peaktrade.control.protocol import Check, CheckLevel, HealthResult
from peaktrade.core.trading_state import TradingState

if TYPE_CHECKING:
    from peaktrade.daemon.app import Daemon

_LAG_WARN_S = 0.25
_DISK_WARN_BYTES = 1 << 30
_DISK_FAIL_BYTES = 100 << 20


def collect(daemon: Daemon) -> HealthResult:
    checks = [
        _lifecycle(daemon),
        _loop_lag(daemon),
        _trading_state(daemon),
        _disk(daemon),
        _exchange(daemon),
        _market_data(daemon),
        _reconciliation(daemon),
        _orders_in_doubt(daemon),
    ]
    return HealthResult(healthy=all(c.level is not CheckLevel.FAIL for c in checks), checks=checks)


def _lifecycle(daemon: Daemon) -> Check:
    if daemon.stopping:
        return Check("lifecycle", CheckLevel.FAIL, "stopping", "the daemon is shutting down")
    return Check("lifecycle", CheckLevel.OK, "running")


def _loop_lag(daemon: Daemon) -> Check:
    lag = daemon.looplag.current_s()
    value = f"{lag * 1000:.1f} ms"
    if lag >= daemon.config.daemon.loop_lag_unhealthy_s:
        return Check("event_loop", CheckLevel.FAIL, value, "the loop is stalled; see the log")
    if lag >= _LAG_WARN_S:
        return Check("event_loop", CheckLevel.WARN, value, "the loop is slow; check CPU load")
    return Check("event_loop", CheckLevel.OK, value)


def _trading_state(daemon: Daemon) -> Check:
    assert daemon.switch is not None
    state = daemon.switch.state
    reason = daemon.switch.last.reason if daemon.switch.last else ""
    value = f"{state.value}" + (f" ({reason})" if reason else "")
    if state is TradingState.ACTIVE:
        return Check("trading_state", CheckLevel.OK, value)
    return Check(
        "trading_state",
        CheckLevel.WARN,
        value,
        "ptctl release --reason TEXT re-arms trading once the cause is understood",
    )


def _disk(daemon: Daemon) -> Check:
    free = shutil.disk_usage(daemon.state_dir).free
    value = f"{free / (1 << 30):.1f} GiB free"
    if free < _DISK_FAIL_BYTES:
        return Check("state_disk", CheckLevel.FAIL, value, "free space under the state directory")
    if free < _DISK_WARN_BYTES:
        return Check("state_disk", CheckLevel.WARN, value, "the state directory is filling up")
    return Check("state_disk", CheckLevel.OK, value)


def market_data_line(daemon: Daemon) -> str:
    stack = daemon.stack
    if stack is None:
        return "not started"
    parts = []
    for symbol in stack.symbols:
        age = stack.quotes.age_s(symbol)
        fresh = stack.quotes.fresh(symbol) is not None
        parts.append(f"{symbol} {'-' if age is None else f'{age:.1f}s'}{'' if fresh else ' STALE'}")
    return ", ".join(parts)


def _exchange(daemon: Daemon) -> Check:
    stack = daemon.stack
    if stack is None or stack.venue is None:
        return Check("exchange", CheckLevel.WARN, "not started")
    if not stack.markets_loaded:
        return Check(
            "exchange",
            CheckLevel.FAIL,
            stack.reconcile_error or "connecting",
            "the exchange is unreachable; the kill switch still works",
        )
    if stack.venue.backed_off:
        return Check(
            "exchange",
            CheckLevel.WARN,
            "rate limited: backing off",
            "no requests until Retry-After; see the rate-limit runbook",
        )
    return Check("exchange", CheckLevel.OK, f"{daemon.config.exchange.id} connected")


def _market_data(daemon: Daemon) -> Check:
    stack = daemon.stack
    line = market_data_line(daemon)
    if stack is None:
        return Check("market_data", CheckLevel.WARN, line)
    stale = stack.quotes.stale_symbols()
    if stale:
        return Check(
            "market_data", CheckLevel.WARN, line, f"no orders on {', '.join(stale)} until fresh"
        )
    return Check("market_data", CheckLevel.OK, line)


def _reconciliation(daemon: Daemon) -> Check:
    stack = daemon.stack
    if stack is None or not stack.reconciled:
        detail = stack.reconcile_error if stack is not None else "not started"
        return Check(
            "reconciliation",
            CheckLevel.FAIL,
            detail or "pending",
            "orders are blocked until the journal and the exchange agree",
        )
    report = stack.last_reconcile
    if report is not None and report.problems:
        return Check(
            "reconciliation",
            CheckLevel.WARN,
            "; ".join(report.problems[:3]),
            "see the reconciliation-mismatch runbook",
        )
    return Check("reconciliation", CheckLevel.OK, "journal matches the exchange")


def _orders_in_doubt(daemon: Daemon) -> Check:
    stack = daemon.stack
    doubtful = len(stack.path.unknown) if stack is not None and stack.path is not None else 0
    if doubtful:
        return Check(
            "orders_in_doubt",
            CheckLevel.WARN,
            f"{doubtful} unknown",
            "being resolved by lookup; see the unresolved-orders runbook",
        )
    return Check("orders_in_doubt", CheckLevel.OK, "none")
