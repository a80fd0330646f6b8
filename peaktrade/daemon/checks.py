"""Check presets (pre-open, end-of-day), their schedule, and what health needs gathered.

Health checks answer from memory, so ``run_checks`` keeps what needs I/O fresh in the
background: the exchange clock offset and the last alert-delivery test. Presets build on the
health checks (same shape: ok/warn/fail, value, hint); a scheduled preset that fails raises
``check.failed`` (a condition: it resolves when the preset next passes).
"""

from __future__ import annotations

import sqlite3
import time
from collections import Counter
from typing import TYPE_CHECKING

import anyio
import msgspec

from peaktrade.alerts.config import AlertLevel
from peaktrade.checks.config import ScheduledCheck
from peaktrade.checks.schedule import next_run_ms
from peaktrade.control.protocol import AlertsTestResult, Check, CheckLevel, ChecklistResult
from peaktrade.core.events import DaemonEvent
from peaktrade.core.portfolio import LivePortfolioSnapshot
from peaktrade.core.trading_state import TradingState
from peaktrade.daemon import health
from peaktrade.daemon.clock import now_ms
from peaktrade.log import get_logger
from peaktrade.store import alerts as alert_store
from peaktrade.store import journal, violations

if TYPE_CHECKING:
    from peaktrade.daemon.app import Daemon

log = get_logger("peaktrade.checks")

_SCHEDULE_TICK_S = 30.0  # the schedule is re-read (reloads, clock steps) at least this often
# what pre-open treats as failing where health only warns
_PRE_OPEN_STRICT = frozenset(
    {"trading_state", "market_data", "alert_delivery", "orders_in_doubt", "reconciliation"}
)


class AlertTest(msgspec.Struct, frozen=True):
    """The last ``ptctl alerts test``: when, and per sink whether it was delivered."""

    at_ms: int
    delivered: list[str]
    failed: list[str]  # "sink: error"


class CheckState:
    """What health reads from memory; written by ``run_checks`` and the alerts-test command."""

    def __init__(self) -> None:
        self.clock_offset_ms: float | None = None
        self.clock_read_at = 0.0  # monotonic
        self.clock_error = ""
        self.alert_test: AlertTest | None = None
        self.config_seen: tuple[tuple[str, int, int], Check] | None = None  # file stamp, verdict

    def remember_alert_test(self, result: AlertsTestResult) -> None:
        self.alert_test = AlertTest(
            at_ms=now_ms(),
            delivered=[d.sink for d in result.deliveries if d.status == "delivered"],
            failed=[
                f"{d.sink}: {d.error or d.status}"
                for d in result.deliveries
                if d.status != "delivered"
            ],
        )


async def run_checks(daemon: Daemon) -> None:
    """Background: clock reads, the alert-test memory, scheduled presets. Never raises."""
    try:
        await _seed_alert_test(daemon)
    except Exception:
        log.exception("alert_test_seed_failed")
    async with anyio.create_task_group() as tg:
        tg.start_soon(_watch_clock, daemon)
        tg.start_soon(_schedule, daemon)


# --- presets ---------------------------------------------------------------------------


def pre_open(daemon: Daemon) -> ChecklistResult:
    """Everything health checks, with what must be right before the open made strict."""
    checks = [
        _strict(c) if c.name in _PRE_OPEN_STRICT else c for c in health.collect(daemon).checks
    ]
    return _result("pre-open", checks)


async def end_of_day(daemon: Daemon) -> ChecklistResult:
    """The day in review: PnL, violations, alerts, what is still open, the report command."""
    stack = daemon.stack
    if stack is None or daemon.db is None or stack.path is None:
        return _result("end-of-day", [Check("daemon", CheckLevel.FAIL, "starting", "retry")])
    risk = stack.risk
    day = risk.current_day()
    snapshot = risk.snapshot_now()
    quote = snapshot.quote_currency
    found = await daemon.db.call(violations.since, day.start_ms, 1000)
    rows = await daemon.alerts.history(since_ms=day.start_ms, limit=1000) if daemon.alerts else []
    live = await daemon.db.call(journal.live_orders, executor=stack.path.executor.name)
    checks = [
        _day_pnl(snapshot.daily_pnl, day.key, quote, risk.limits.max_daily_loss_abs),
        _violations([v.code for v in found]),
        _alerts_today(rows),
        _positions(snapshot, daemon.config.checks.expect_flat_at_end_of_day),
        Check("open_orders", CheckLevel.OK, f"{len(live)} live order(s)"),
        next(c for c in health.collect(daemon).checks if c.name == "orders_in_doubt"),
        _trading_state(daemon),
    ]
    command = report_command(daemon, day.key)
    checks.append(Check("report", CheckLevel.OK, command))
    return msgspec.structs.replace(_result("end-of-day", checks), report_command=command)


def report_command(daemon: Daemon, day_key: str) -> str:
    network = daemon.config.run.network.value
    return (
        f"peaktrade report {daemon.run_id} -o report-{daemon.run_id}-{day_key}.html"
        f" --state-dir {daemon.state_dir} --network {network}"
    )


async def run_preset(daemon: Daemon, preset: str) -> ChecklistResult:
    return pre_open(daemon) if preset == "pre-open" else await end_of_day(daemon)


def _result(preset: str, checks: list[Check]) -> ChecklistResult:
    return ChecklistResult(
        preset=preset, passed=all(c.level is not CheckLevel.FAIL for c in checks), checks=checks
    )


def _strict(check: Check) -> Check:
    if check.level is CheckLevel.WARN:
        return msgspec.structs.replace(check, level=CheckLevel.FAIL)
    return check


def _day_pnl(pnl: float, day: str, quote: str, loss_limit: float | None) -> Check:
    value = f"{pnl:+,.2f} {quote} on {day}"
    if loss_limit is not None and pnl <= -loss_limit:
        return Check(
            "day_pnl", CheckLevel.FAIL, f"{value}, loss limit {loss_limit:g}", "see ptctl risk"
        )
    if pnl < 0:
        return Check("day_pnl", CheckLevel.WARN, value, "a losing day: see ptctl portfolio")
    return Check("day_pnl", CheckLevel.OK, value)


def _violations(codes: list[str]) -> Check:
    if not codes:
        return Check("violations", CheckLevel.OK, "none today")
    counts = Counter(codes).most_common(4)
    value = f"{len(codes)}: " + ", ".join(f"{c} x{n}" for c, n in counts)
    return Check("violations", CheckLevel.WARN, value, "ptctl risk violations --since 1d")


def _alerts_today(rows: list[alert_store.AlertRow]) -> Check:
    levels = Counter(r.level for r in rows)
    unacked = [r for r in rows if r.level == AlertLevel.CRITICAL.value and r.acked_at_ms is None]
    value = ", ".join(f"{levels[lv]} {lv}" for lv in ("CRITICAL", "WARNING", "INFO") if levels[lv])
    if unacked:
        codes = ", ".join(sorted({r.code for r in unacked})[:4])
        return Check(
            "alerts",
            CheckLevel.FAIL,
            f"{value}; {len(unacked)} CRITICAL unacknowledged ({codes})",
            "ptctl alerts --level CRITICAL, then ptctl alerts ack ID",
        )
    return Check("alerts", CheckLevel.OK, value or "none today")


def _positions(snapshot: LivePortfolioSnapshot, expect_flat: bool) -> Check:
    positions = snapshot.positions
    if not positions:
        return Check("open_positions", CheckLevel.OK, "flat")
    value = "; ".join(f"{p.symbol} {p.side.value} {p.size:g} @ {p.avg_entry:g}" for p in positions)
    if expect_flat:
        return Check("open_positions", CheckLevel.FAIL, value, "checks.expect_flat_at_end_of_day")
    return Check("open_positions", CheckLevel.OK, value)


def _trading_state(daemon: Daemon) -> Check:
    assert daemon.switch is not None
    state = daemon.switch.state
    level = CheckLevel.OK if state is TradingState.ACTIVE else CheckLevel.WARN
    return Check("trading_state", level, state.value)


# --- background --------------------------------------------------------------------------


async def _watch_clock(daemon: Daemon) -> None:
    """Our clock against the exchange's: server time minus our time when the answer came.

    Not the midpoint: ccxt's rate limiter may hold the request before sending it, which would
    bias a midpoint; this errs by at most the one-way latency of the reply.
    """
    state = daemon.check_state
    while True:
        stack = daemon.stack
        venue = stack.venue if stack is not None else None
        if venue is not None and stack is not None and stack.markets_loaded:
            try:
                with anyio.fail_after(daemon.config.exchange.timeout_s):
                    server_ms = float(await venue.call("fetch_time"))
                state.clock_offset_ms = server_ms - time.time() * 1000
                state.clock_read_at = time.monotonic()
                state.clock_error = ""
            except Exception as exc:
                state.clock_error = type(exc).__name__
        await anyio.sleep(daemon.config.checks.clock_check_interval_s)


async def _seed_alert_test(daemon: Daemon) -> None:
    """The last test on record, so a restart does not forget that delivery was proven."""
    if daemon.db is None or daemon.check_state.alert_test is not None:
        return
    found = await daemon.db.call(_last_alert_test)
    if found is not None and daemon.check_state.alert_test is None:
        daemon.check_state.alert_test = found


def _last_alert_test(conn: sqlite3.Connection) -> AlertTest | None:
    # reads the alert history's tables (peaktrade.store.alerts owns them)
    row = conn.execute(
        "SELECT id, at_ms FROM alerts WHERE code = 'alerts.test' ORDER BY at_ms DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    attempts = alert_store.deliveries(conn, str(row[0]))
    return AlertTest(
        at_ms=int(row[1]),
        delivered=[d.sink for d in attempts if d.status == "delivered"],
        failed=[f"{d.sink}: {d.error or d.status}" for d in attempts if d.status != "delivered"],
    )


async def _schedule(daemon: Daemon) -> None:
    """Sleep to the next due entry (re-reading the schedule every tick), run it, alert."""
    last_ms = now_ms()
    while True:
        entries = daemon.config.checks.schedule
        now = now_ms()
        due = [e for e in entries if next_run_ms(e, last_ms) <= now]
        for entry in due:
            try:
                await _run_scheduled(daemon, entry)
            except Exception:  # a broken preset must not stop the schedule
                log.exception("scheduled_check_failed", preset=entry.preset)
        last_ms = now
        upcoming = [next_run_ms(e, now) for e in entries]
        wait_s = min([(t - now) / 1000 for t in upcoming] + [_SCHEDULE_TICK_S])
        await anyio.sleep(max(0.05, wait_s))


async def _run_scheduled(daemon: Daemon, entry: ScheduledCheck) -> None:
    result = await run_preset(daemon, entry.preset)
    failed = [c for c in result.checks if c.level is CheckLevel.FAIL]
    log.info("scheduled_check", preset=entry.preset, passed=result.passed, failed=len(failed))
    summary = "; ".join(f"{c.name}: {c.value}" for c in failed[:5])
    daemon.emit(
        DaemonEvent(
            code="check.failed",
            level=entry.level,
            message=f"{entry.preset} check failed: {summary}"
            if failed
            else f"{entry.preset} check passed",
            ts_ms=now_ms(),
            context={"preset": entry.preset, "failed": len(failed)},
            dedupe_key=f"check.failed:{entry.preset}",
            resolved=not failed,
        )
    )
