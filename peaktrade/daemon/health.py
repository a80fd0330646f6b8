"""Semantic health: the checks ``ptctl health`` shows, each with a value and a hint."""

from __future__ import annotations

import os
import shutil
import time
from typing import TYPE_CHECKING

from peaktrade.config import ConfigError, load_config
from peaktrade.control.protocol import Check, CheckLevel, HealthResult
from peaktrade.core.portfolio_risk import evaluate_portfolio
from peaktrade.core.risk_rules import RuleStatus
from peaktrade.core.risk_usage import risk_usage
from peaktrade.core.trading_state import TradingState

if TYPE_CHECKING:
    from peaktrade.daemon.app import Daemon

_LAG_WARN_S = 0.25
_DISK_WARN_BYTES = 1 << 30
_DISK_FAIL_BYTES = 100 << 20
_CLOCK_STALE_S = 600.0


def collect(daemon: Daemon) -> HealthResult:
    """Answers from memory only (the dashboard calls it too); ``checks.run_checks`` keeps
    what needs I/O fresh."""
    checks = [
        _lifecycle(daemon),
        _loop_lag(daemon),
        _config(daemon),
        _stage(daemon),
        _trading_state(daemon),
        _disk(daemon),
        _exchange(daemon),
        _clock(daemon),
        _market_data(daemon),
        _private_stream(daemon),
        _reconciliation(daemon),
        _orders_in_doubt(daemon),
        _alert_delivery(daemon),
        _risk_headroom(daemon),
        _watchdog(daemon),
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
    feed = stack.market_data
    if feed is not None and feed.health.reconnects and not feed.health.connected:
        return Check(
            "exchange",
            CheckLevel.FAIL,
            f"disconnected: reconnecting ({feed.health.reconnects} reconnects so far)",
            "the exchange stream is down; orders wait for fresh quotes; the kill switch works",
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


def _config(daemon: Daemon) -> Check:
    """The file on disk against the config in force: a restart must not find it broken."""
    loaded = daemon.loaded
    try:
        st = os.stat(loaded.path)
    except OSError as exc:
        return Check("config", CheckLevel.FAIL, f"{loaded.path}: {exc.strerror}", _RESTART_HINT)
    stamp = (loaded.path, st.st_mtime_ns, st.st_size)  # re-read only when the file changed
    seen = daemon.check_state.config_seen
    if seen is None or seen[0] != stamp:
        seen = (stamp, _config_verdict(loaded.path, loaded.digest))
        daemon.check_state.config_seen = seen
    return seen[1]


_RESTART_HINT = "a restart would refuse to start: fix the file (peaktrade check-config FILE)"


def _config_verdict(path: str, digest: str) -> Check:
    try:
        on_disk = load_config(path)
    except ConfigError as exc:
        return Check(
            "config",
            CheckLevel.FAIL,
            f"{len(exc.problems)} problem(s): {exc.problems[0]}",
            _RESTART_HINT,
        )
    if on_disk.digest != digest:
        return Check(
            "config",
            CheckLevel.WARN,
            f"{path} changed since it was loaded ({digest} -> {on_disk.digest})",
            "SIGHUP (systemctl reload peaktrade) applies it, or a restart",
        )
    return Check("config", CheckLevel.OK, f"{path} (digest {digest})")


def _stage(daemon: Daemon) -> Check:
    stages = daemon.stages
    if stages is None:
        return Check("stage", CheckLevel.WARN, "not decided yet")
    hours = max(0.0, time.time() * 1000 - stages.since_ms) / 3_600_000
    value = f"{stages.current.value} for {hours:.1f} h (config says {daemon.file_run.mode.value})"
    return Check("stage", CheckLevel.OK, value)


def _clock(daemon: Daemon) -> Check:
    state = daemon.check_state
    limit = daemon.config.checks.max_clock_skew_ms
    if state.clock_offset_ms is None:
        detail = f"not read yet{f' ({state.clock_error})' if state.clock_error else ''}"
        return Check("clock_skew", CheckLevel.WARN, detail, "read once the exchange answers")
    offset = state.clock_offset_ms
    age = time.monotonic() - state.clock_read_at
    value = f"{offset:+.0f} ms against the exchange ({age:.0f} s ago)"
    if abs(offset) >= limit:
        return Check(
            "clock_skew", CheckLevel.FAIL, value, "fix NTP (timedatectl); signed requests fail"
        )
    if abs(offset) >= limit / 2 or age > _CLOCK_STALE_S:
        return Check("clock_skew", CheckLevel.WARN, value, "check NTP (timedatectl status)")
    return Check("clock_skew", CheckLevel.OK, value)


def _private_stream(daemon: Daemon) -> Check:
    stack = daemon.stack
    if stack is None or stack.path is None:
        return Check("private_stream", CheckLevel.WARN, "not started")
    on_exchange = stack.path.executor is stack.venue
    sync = daemon.config.account_sync
    if not on_exchange:
        return Check(
            "private_stream", CheckLevel.OK, f"not used by the {stack.path.executor.name} executor"
        )
    if stack.private is None or not sync.use_private_stream:
        return Check(
            "private_stream",
            CheckLevel.WARN,
            f"off: orders and fills polled over REST every {sync.poll_interval_s:g} s",
            "a restart in this stage starts the stream",
        )
    health = stack.private.health
    if not health.connected:
        return Check(
            "private_stream",
            CheckLevel.WARN,
            "no message yet" if not health.last_message else "reconnecting",
            "REST polling covers while the stream is quiet",
        )
    return Check("private_stream", CheckLevel.OK, f"last message {health.quiet_for():.0f} s ago")


def _alert_delivery(daemon: Daemon) -> Check:
    alerts = daemon.alerts
    if alerts is None:
        return Check("alert_delivery", CheckLevel.WARN, "not started")
    failing = [s for s in alerts.stats().sinks if s.failing_for_s is not None]
    if failing:
        sink = failing[0]
        return Check(
            "alert_delivery",
            CheckLevel.FAIL,
            f"{sink.name} failing for {sink.failing_for_s:.0f} s: {sink.last_error}",
            "see the alerts-sink-failing runbook; ptctl alerts test",
        )
    test = daemon.check_state.alert_test
    if test is None:
        return Check(
            "alert_delivery", CheckLevel.WARN, "never tested", "ptctl alerts test proves delivery"
        )
    age_s = max(0.0, time.time() * 1000 - test.at_ms) / 1000
    value = (
        f"last test {age_s / 3600:.1f} h ago: delivered to {', '.join(test.delivered) or 'none'}"
    )
    if test.failed:
        return Check(
            "alert_delivery",
            CheckLevel.FAIL,
            f"{value}; FAILED {'; '.join(test.failed)}",
            "fix the sink, then ptctl alerts test",
        )
    if age_s > daemon.config.checks.max_alert_test_age_s:
        return Check("alert_delivery", CheckLevel.WARN, value, "ptctl alerts test: it is old")
    return Check("alert_delivery", CheckLevel.OK, value)


def _risk_headroom(daemon: Daemon) -> Check:
    stack = daemon.stack
    if stack is None:
        return Check("risk_headroom", CheckLevel.WARN, "not started")
    risk = stack.risk
    try:
        snapshot = risk.snapshot_now()
        rows = risk_usage(
            risk.limits,
            evaluate_portfolio(risk.limits, snapshot),
            day=risk.current_day(),
            run=risk.run_usage,
            free_quote=snapshot.free_quote,
            now_ms=snapshot.ts_ms,
        )
    except Exception as exc:  # the monitor not loaded yet
        return Check("risk_headroom", CheckLevel.WARN, f"not known yet ({type(exc).__name__})")
    used = [r for r in rows if r.usage_pct is not None]
    breached = [r for r in rows if r.status is RuleStatus.BREACH]
    if breached:
        names = ", ".join(_rule(r.rule, r.symbol) for r in breached[:3])
        return Check("risk_headroom", CheckLevel.FAIL, f"breached: {names}", "see ptctl risk")
    if not used:
        return Check("risk_headroom", CheckLevel.OK, "no limit in use")
    tight = max(used, key=lambda r: r.usage_pct or 0.0)
    pct = tight.usage_pct or 0.0
    value = f"tightest {_rule(tight.rule, tight.symbol)} at {pct:.0f} % of its limit"
    if 100 - pct < daemon.config.checks.min_risk_headroom_pct:
        return Check("risk_headroom", CheckLevel.WARN, value, "near a limit: see ptctl risk")
    return Check("risk_headroom", CheckLevel.OK, value)


def _rule(rule: str, symbol: str) -> str:
    return f"{rule}[{symbol}]" if symbol else rule


def _watchdog(daemon: Daemon) -> Check:
    notifier = daemon.notifier
    if not notifier.enabled or not notifier.watchdog_usec:
        return Check("watchdog", CheckLevel.OK, "not under a systemd watchdog")
    every = notifier.watchdog_usec / 2 / 1_000_000
    if not daemon.healthy():
        return Check(
            "watchdog", CheckLevel.FAIL, "pings withheld: unhealthy", "systemd will restart us"
        )
    return Check("watchdog", CheckLevel.OK, f"pinging systemd every {every:g} s")
