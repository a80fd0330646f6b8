"""The risk layer in the running daemon: the order gate and the portfolio monitor.

The pure rules live in ``peaktrade.core``; this module holds their state between calls (the
effective limits, the trading day, the run's usage, exchange health, the ledger), keeps it on
disk where a restart must not reset it (the day's starting equity, the equity peak), and turns
what the monitor reports into snapshots, violations, alerts and latch moves.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Sequence

import anyio
import msgspec

from peaktrade.config import Config
from peaktrade.core.auto_kill import ReopenPhase, reopen_status, transition_for
from peaktrade.core.events import DaemonEvent, EventSink
from peaktrade.core.kill_triggers import ExchangeHealth, record_exchange_call
from peaktrade.core.model import Fill, OrderIntent
from peaktrade.core.portfolio import (
    Ledger,
    LivePortfolioSnapshot,
    apply_fills,
    balances_after,
    build_snapshot,
    equity_of,
    with_balances,
)
from peaktrade.core.portfolio_monitor import (
    LivePortfolioMonitor,
    MonitorInputs,
    MonitorReport,
    monitor_tick,
)
from peaktrade.core.reload_policy import ReloadPlan, limits_while_held, plan_reload
from peaktrade.core.risk import RiskSnapshot, check_orders
from peaktrade.core.risk_alerts import AlertKind, RiskAlert
from peaktrade.core.risk_limits import LiveRiskLimits, resolve_limits
from peaktrade.core.risk_rules import Decision, RuleStatus
from peaktrade.core.risk_violations import Violation, order_violations
from peaktrade.core.trade_usage import RunUsage, record_sent
from peaktrade.core.trading_day import EquityPeak, TradingDay, record_trades, roll_day
from peaktrade.daemon.trading import TradingSwitch
from peaktrade.execution.engine import Check, RiskVerdict
from peaktrade.log import get_logger
from peaktrade.store import journal, portfolio_history, violations
from peaktrade.store import trading_day as day_store
from peaktrade.store import trading_state as state_store
from peaktrade.store.db import Database
from peaktrade.venues.quotes import QuoteBook

log = get_logger("peaktrade.risk")

# total balances per asset and when they were read (monotonic), or None: fills only
Balances = Callable[[], tuple[dict[str, float], float] | None]


class RiskService:
    def __init__(
        self,
        *,
        config: Config,
        db: Database,
        switch: TradingSwitch,
        quotes: QuoteBook,
        events: EventSink,
        now_ms: Callable[[], int],
        starting_cash: float,
        interval_s: float,
        balances_expected: bool = False,
    ) -> None:
        self.config = config
        self.db = db
        self.switch = switch
        self.quotes = quotes
        self.events = events
        self.now_ms = now_ms
        self.interval_s = interval_s
        self.quote_currency = config.exchange.quote_currency
        self.ledger = Ledger(quote_currency=self.quote_currency, cash=starting_cash)
        self.book = ""  # the executor whose fills the ledger holds (set by load_ledger)
        self.balances: Balances = lambda: None
        self.monitor = LivePortfolioMonitor()
        self.run_usage = RunUsage()
        self.exchange = ExchangeHealth()
        self.started_ms = now_ms()
        self.last_heartbeat_ms = self.started_ms
        self.latest: LivePortfolioSnapshot | None = None
        self.snapshot_listeners: list[Callable[[LivePortfolioSnapshot], None]] = []
        self._recent_fills: list[tuple[float, Fill]] = []  # (monotonic, fill)
        self.scale = 1.0
        self.held_from: Config | None = None  # the config before a reload held for approval
        self.limits = self._resolve(starting_cash)
        self._pending: list[Violation] = []  # order violations waiting for the next write
        # exchange modes: equity is only known once the first balances are in
        self.balances_expected = balances_expected
        self._loaded_day_key: str | None = None

    # --- limits -------------------------------------------------------------------------

    def _resolve(self, equity: float) -> LiveRiskLimits:
        """Effective limits; while a loosening reload awaits approval, the loosened keys keep
        their old values (re-planned at this equity, so a day roll cannot slip them in)."""
        proposed = self.resolve_for(self.config, equity)
        if self.held_from is None:
            return proposed
        current = self.resolve_for(self.held_from, equity)
        return limits_while_held(current, proposed, plan_reload(current, proposed))

    def resolve_for(self, config: Config, equity: float) -> LiveRiskLimits:
        return resolve_limits(
            config.live_risk,
            exchange_id=config.exchange.id,
            symbols=config.exchange.symbols,
            equity=equity,
            scale=self.scale,
        )

    def set_scale(self, scale: float) -> None:
        """Re-open steps after an automatic kill: position sizes at 0.5, 0.75, then 1.0."""
        if scale != self.scale:
            self.scale = scale
            self.limits = self._resolve(self.limits.equity_basis)

    def propose_config(self, config: Config) -> ReloadPlan:
        """A reload: tightening applies at once; loosening beyond the policy waits for
        ``ptctl risk approve-reload``."""
        basis = self.limits.equity_basis
        old = self.held_from or self.config
        plan = plan_reload(self.resolve_for(old, basis), self.resolve_for(config, basis))
        self.held_from = old if plan.needs_approval else None
        self.config = config
        self.limits = self._resolve(basis)
        return plan

    def approve_reload(self) -> bool:
        """Apply the held loosening; False when nothing is waiting."""
        if self.held_from is None:
            return False
        self.held_from = None
        self.limits = self._resolve(self.limits.equity_basis)
        return True

    # --- start-up -----------------------------------------------------------------------

    async def load(self, executor: str) -> None:
        """The day and peak from disk (a restart keeps daily loss), the ledger from the fills
        of ``executor``'s book."""
        day = await self.db.call(day_store.load_day)
        peak = await self.db.call(day_store.load_peak)
        self.monitor = LivePortfolioMonitor(day=day, peak=peak)
        self._loaded_day_key = day.key if day is not None else None
        await self.load_ledger(executor)
        basis = day.start_equity if day is not None else equity_of(self.ledger, {})
        self.limits = self._resolve(basis)

    async def load_ledger(self, executor: str) -> None:
        """The ledger of one executor's book: its starting cash plus its own fills (start-up
        and every executor switch); another book's fills are not this account's."""
        fills = await self.db.call(journal.all_fills, executor=executor)
        cash = starting_cash_of(self.config, executor)
        start = Ledger(quote_currency=self.quote_currency, cash=cash)
        self.ledger = apply_fills(start, fills)
        self._recent_fills = []
        self.book = executor

    # --- the order gate (sync, on the order path) ------------------------------------------

    def check(self, intents: Sequence[OrderIntent], *, record: bool) -> list[RiskVerdict]:
        now = self.now_ms()
        snapshot = RiskSnapshot(
            now_ms=now,
            portfolio=self.snapshot_now(now),
            quotes=self.quotes.snapshot(),
            day=self._day(now),
            run=self.run_usage,
        )
        results = check_orders(self.limits, intents, snapshot)
        verdicts = []
        for result in results:
            checks = []
            warn_only = result.decision is Decision.ALLOW_WITH_WARNING
            for o in result.outcomes:
                breached = o.status is RuleStatus.BREACH
                value = "?" if o.value is None else f"{o.value:g}"
                checks.append(
                    Check(
                        rule=o.rule.value,
                        passed=not breached or warn_only,
                        code=o.code if o.status is not RuleStatus.OK else "",
                        detail=f"{value} vs limit {o.limit:g} ({o.status.value})",
                        warning=o.status is RuleStatus.WARNING or (breached and warn_only),
                    )
                )
            verdicts.append(
                RiskVerdict(allowed=result.allowed, reducing=result.reducing, checks=checks)
            )
        offending = [i for i, r in enumerate(results) if r.breaches]
        if offending and record:
            self._pending.extend(order_violations(intents, results, now_ms=now))
            for i in offending:
                r = results[i]
                self.events(
                    DaemonEvent(
                        code="risk.order_violation",
                        level="WARNING",
                        message=f"{intents[i].side.value} {intents[i].qty:g} {r.symbol}: "
                        f"{', '.join(r.reason_codes)}" + ("" if r.allowed else " (refused)"),
                        ts_ms=now,
                        context={
                            "symbol": r.symbol,
                            "allowed": r.allowed,
                            "codes": ",".join(r.reason_codes),
                        },
                        dedupe_key=f"risk.order_violation:{r.symbol}:{','.join(r.reason_codes)}",
                    )
                )
        return verdicts

    def record_sent(self, intents: Sequence[OrderIntent]) -> None:
        now = self.now_ms()
        notional = 0.0
        for intent in intents:
            quote = self.quotes.get(intent.symbol)
            price = intent.price or (quote.mid if quote else 0.0)
            notional += intent.qty * price
        self.run_usage = record_sent(
            self.run_usage, now_ms=now, count=len(intents), notional=notional
        )
        day = self._day(now)
        self.monitor = msgspec.structs.replace(
            self.monitor, day=record_trades(day, count=len(intents), notional=notional)
        )

    def on_fill(self, fill: Fill) -> None:
        self.ledger = apply_fills(self.ledger, [fill])
        self._recent_fills.append((time.monotonic(), fill))

    def on_exchange_call(self, ok: bool, code: str) -> None:
        self.exchange = record_exchange_call(
            self.exchange,
            ok=ok,
            now_ms=self.now_ms(),
            window_s=self.limits.kill.error_rate_window_s,
            error=code,
        )

    def current_day(self) -> TradingDay:
        return self._day(self.now_ms())

    def _day(self, now: int) -> TradingDay:
        day = self.monitor.day
        if day is None or now >= day.end_ms:
            equity = equity_of(self.ledger, self.quotes.snapshot())
            day = roll_day(
                day,
                self.limits.trading_day,
                now_ms=now,
                equity=equity,
                realized=self.ledger.realized_pnl,
            )
            self.monitor = msgspec.structs.replace(self.monitor, day=day)
        return day

    def ledger_now(self) -> Ledger:
        got = self.balances()
        if got is None:
            return self.ledger
        balances, read_at = got
        # fills after the balances were read are not in them yet: add them, so a position
        # is never taken back to its size before the fill (the order gate relies on it)
        self._recent_fills = [(t, f) for t, f in self._recent_fills if t > read_at - 1.0]
        later = [f for t, f in self._recent_fills if t > read_at]
        marks = {s: q.mid for s, q in self.quotes.snapshot().items()}
        adjusted = balances_after(balances, later) if later else balances
        return with_balances(self.ledger, adjusted, self.config.exchange.symbols, marks)

    def snapshot_now(self, now: int | None = None) -> LivePortfolioSnapshot:
        at = self.now_ms() if now is None else now
        day = self._day(at)
        peak = self.monitor.peak
        return build_snapshot(
            self.ledger_now(),
            self.quotes.snapshot(),
            now_ms=at,
            free_quote=None,
            day_key=day.key,
            day_start_equity=day.start_equity,
            day_start_realized=day.start_realized,
            peak_equity=peak.equity if peak else day.start_equity,
            realized_only_daily_pnl=self.limits.use_experiments_for_daily_pnl,
        )

    async def _rebase_day_on_balances(self) -> None:
        """A day this run started before the first exchange balances started at the equity of
        fills alone (zero on a fresh database): it starts again at the balances' equity."""
        self.balances_expected = False
        day = self.monitor.day
        if day is None or day.key == self._loaded_day_key:
            return
        await self.rebase(peak=False)

    async def rebase(self, *, peak: bool) -> float:
        """The account measured changed under the day (first exchange balances of a fresh run,
        a stage switch): the day restarts at its equity, and with ``peak`` the equity peak too,
        else the jump would read as profit, loss or drawdown. Returns the equity."""
        now = self.now_ms()
        equity = equity_of(self.ledger_now(), self.quotes.snapshot())
        day = msgspec.structs.replace(
            self.current_day(), start_equity=equity, start_realized=self.ledger.realized_pnl
        )
        new_peak = EquityPeak(equity=equity, at_ms=now) if peak else None
        self.monitor = msgspec.structs.replace(
            self.monitor, day=day, peak=new_peak or self.monitor.peak
        )
        self.balances_expected = False
        await self.db.call(_save_rebase, day, new_peak)
        self.limits = self._resolve(equity)
        log.info("trading_day_rebased", day=day.key, start_equity=equity, peak_reset=peak)
        return equity

    async def _follow_reopen(self, now: int) -> None:
        """After an automatic kill is released, sizes re-open in steps (0.5, 0.75, 1.0)."""
        history = await self.db.call(state_store.history, 20)
        last_breach = await self.db.call(violations.last_breach_ms)
        status = reopen_status(history, self.limits.reopen, last_breach_ms=last_breach, now_ms=now)
        self.set_scale(status.scale if status.phase is ReopenPhase.REOPENING else 1.0)

    async def flush_violations(self) -> None:
        """Write order violations now (they are otherwise written with the next snapshot)."""
        pending, self._pending = self._pending, []
        if pending:
            await self.db.call(violations.record, pending)

    # --- the portfolio monitor ------------------------------------------------------------

    async def run(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:
                log.exception("portfolio_tick_failed")
            await anyio.sleep(self.interval_s)

    async def tick(self) -> None:
        now = self.now_ms()
        self.last_heartbeat_ms = now
        if self.balances_expected and self.balances() is not None:
            await self._rebase_day_on_balances()
        await self._follow_reopen(now)
        received = [self.quotes.age_s(s) for s in self.quotes.symbols]
        ages = [a for a in received if a is not None]
        last_md = now - int(min(ages) * 1000) if ages else self.started_ms
        inputs = MonitorInputs(
            ledger=self.ledger_now(),
            quotes=self.quotes.snapshot(),
            free_quote=None,
            state=self.switch.state,
            exchange=self.exchange,
            last_market_data_ms=last_md,
            last_heartbeat_ms=self.last_heartbeat_ms,
        )
        self.monitor, report = monitor_tick(self.monitor, self.limits, inputs, now_ms=now)
        self.latest = report.snapshot
        pending, self._pending = self._pending, []
        await self.db.call(_persist, report, pending, now)
        if report.day_started:
            self.limits = self._resolve(report.day.start_equity)
        for alert in report.alerts:
            self.events(_alert_event(alert, now))
        for trigger in report.new_triggers:
            self.events(
                DaemonEvent(
                    code=trigger.code,
                    level="CRITICAL",
                    message=trigger.message,
                    ts_ms=now,
                    context={"value": trigger.value, "limit": trigger.limit},
                    dedupe_key=trigger.code,
                )
            )
        if report.change is not None:
            action, reason = report.action, report.reason
            applied = await self.switch.apply_if(
                lambda s: transition_for(s, action, reason=reason, now_ms=now)
            )
            if applied is not None:
                log.error("risk_latch_moved", state=applied.state.value, reason=reason)
        for listener in self.snapshot_listeners:
            listener(report.snapshot)


def starting_cash_of(config: Config, executor: str) -> float:
    """Cash before a book's first fill: the paper balances' quote for the simulated books, none
    for the exchange account (its balances are the truth once read)."""
    if executor == "exchange":
        return 0.0
    return config.paper.starting_balances.get(config.exchange.quote_currency, 0.0)


def _alert_event(alert: RiskAlert, now: int) -> DaemonEvent:
    o = alert.outcome
    breach = alert.status is RuleStatus.BREACH
    if alert.kind is AlertKind.RESOLVED or o is None:
        message = f"{alert.key}: back within its limit"
    else:
        value = "?" if o.value is None else f"{o.value:g}"
        message = f"{o.code}{' ' + o.symbol if o.symbol else ''}: {value} vs limit {o.limit:g}"
    return DaemonEvent(
        code="risk.portfolio_breach" if breach else "risk.portfolio_warning",
        level="CRITICAL" if breach else "WARNING",
        message=message,
        ts_ms=now,
        context={"rule": alert.key, "status": alert.status.value},
        dedupe_key=f"risk:{alert.key}",
        resolved=alert.kind is AlertKind.RESOLVED,
    )


def _save_rebase(conn: sqlite3.Connection, day: TradingDay, peak: EquityPeak | None) -> None:
    day_store.rebase_day(conn, day)
    if peak is not None:
        day_store.save_peak(conn, peak)


def _persist(
    conn: sqlite3.Connection, report: MonitorReport, pending: list[Violation], now: int
) -> None:
    """One transaction's worth of monitor output (each store call commits its own)."""
    portfolio_history.record(conn, report.snapshot)
    violations.record(conn, [*report.violations, *pending])
    day_store.save_day(conn, report.day)  # also carries today's trade counters
    if report.peak_changed:
        day_store.save_peak(conn, report.peak)
    day_store.save_heartbeat(conn, now)
