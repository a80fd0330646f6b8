"""One monitor tick: day start, daily-loss halt, kill triggers, restart mid-day."""

from __future__ import annotations

from peaktrade.core.kill_triggers import ExchangeHealth
from peaktrade.core.portfolio import Ledger, Position
from peaktrade.core.portfolio_monitor import LivePortfolioMonitor, MonitorInputs, monitor_tick
from peaktrade.core.risk_config import BreachAction, KillTriggerConfig
from peaktrade.core.risk_rules import Rule
from peaktrade.core.trading_state import TradingState
from tests.core.risk_support import NOW, limits, quote, quotes

DAY_MS = 86_400_000


def inputs(
    cash: float,
    *,
    btc: float = 0.0,
    btc_mark: float = 100.0,
    state: TradingState = TradingState.ACTIVE,
    data_ms: int | None = None,
    now: int = NOW,
) -> MonitorInputs:
    positions = {"BTC/USDT": Position(symbol="BTC/USDT", qty=btc, avg_entry=100.0)} if btc else {}
    return MonitorInputs(
        ledger=Ledger(quote_currency="USDT", cash=cash, positions=positions),
        quotes=quotes(b=quote("BTC/USDT", btc_mark)),
        free_quote=None,
        state=state,
        exchange=ExchangeHealth(),
        last_market_data_ms=now if data_ms is None else data_ms,
        last_heartbeat_ms=now,
    )


LIMITS = limits(max_daily_loss_abs=100, kill=KillTriggerConfig(max_market_data_gap_min=5))


def test_first_tick_starts_the_day_at_current_equity() -> None:
    _, report = monitor_tick(LivePortfolioMonitor(), LIMITS, inputs(1000.0, btc=1), now_ms=NOW)
    assert report.day_started and report.peak_changed
    assert report.day.start_equity == 1100.0
    assert report.snapshot.equity == 1100.0


def test_quiet_tick_changes_nothing_to_persist() -> None:
    monitor, _ = monitor_tick(LivePortfolioMonitor(), LIMITS, inputs(1000.0), now_ms=NOW)
    _, report = monitor_tick(monitor, LIMITS, inputs(1000.0), now_ms=NOW + 5000)
    assert not report.day_started and not report.peak_changed
    assert report.change is None and report.violations == ()


def test_daily_loss_breach_halts_with_a_reason_and_a_violation() -> None:
    monitor, _ = monitor_tick(LivePortfolioMonitor(), LIMITS, inputs(1000.0, btc=1), now_ms=NOW)
    _, report = monitor_tick(monitor, LIMITS, inputs(880.0, btc=1), now_ms=NOW + 5000)
    assert report.change is not None
    assert report.change.state is TradingState.HALTED
    assert report.change.reason.startswith("auto: risk.max_daily_loss_abs")
    assert [v.rule for v in report.violations] == [Rule.MAX_DAILY_LOSS_ABS.value]


def test_unrealized_loss_counts_when_daily_pnl_is_equity_based() -> None:
    monitor, _ = monitor_tick(LivePortfolioMonitor(), LIMITS, inputs(1000.0, btc=2), now_ms=NOW)
    _, report = monitor_tick(monitor, LIMITS, inputs(1000.0, btc=2, btc_mark=40.0), now_ms=NOW + 1)
    assert report.snapshot.daily_pnl == -120.0
    assert report.change is not None


def test_realized_only_daily_pnl_ignores_marks() -> None:
    lim = limits(max_daily_loss_abs=100, use_experiments_for_daily_pnl=True)
    monitor, _ = monitor_tick(LivePortfolioMonitor(), lim, inputs(1000.0, btc=2), now_ms=NOW)
    _, report = monitor_tick(monitor, lim, inputs(1000.0, btc=2, btc_mark=40.0), now_ms=NOW + 1)
    assert report.snapshot.daily_pnl == 0.0 and report.change is None


def test_restart_mid_day_keeps_the_daily_loss() -> None:
    first, _ = monitor_tick(LivePortfolioMonitor(), LIMITS, inputs(1000.0), now_ms=NOW)
    restarted = LivePortfolioMonitor(day=first.day, peak=first.peak)  # as loaded from the store
    _, report = monitor_tick(restarted, LIMITS, inputs(850.0), now_ms=NOW + 60_000)
    assert report.snapshot.daily_pnl == -150.0
    assert not report.day_started
    assert report.change is not None


def test_next_day_starts_from_the_equity_then() -> None:
    first, _ = monitor_tick(LivePortfolioMonitor(), LIMITS, inputs(1000.0), now_ms=NOW)
    later = NOW + DAY_MS
    _, report = monitor_tick(first, LIMITS, inputs(850.0, now=later), now_ms=later)
    assert report.day_started and report.snapshot.daily_pnl == 0.0
    assert report.change is None


def test_market_data_gap_kills_and_cancels_open_orders() -> None:
    stale = inputs(1000.0, data_ms=NOW - 6 * 60_000)
    _, report = monitor_tick(LivePortfolioMonitor(), LIMITS, stale, now_ms=NOW)
    assert [t.code for t in report.new_triggers] == ["kill.market_data_gap"]
    assert report.action is BreachAction.HALT_CANCEL_OPEN
    assert report.reason.startswith("kill.market_data_gap: no market data for 6.0 min")
    assert report.change is not None and report.change.cancel_open


def test_standing_trigger_is_new_only_once() -> None:
    stale = inputs(1000.0, data_ms=NOW - 6 * 60_000)
    monitor, _ = monitor_tick(LivePortfolioMonitor(), LIMITS, stale, now_ms=NOW)
    _, report = monitor_tick(monitor, LIMITS, stale, now_ms=NOW + 1)
    assert report.new_triggers == () and len(report.triggers) == 1


def test_already_halted_needs_no_new_move() -> None:
    halted = inputs(1000.0, data_ms=NOW - 6 * 60_000, state=TradingState.HALTED)
    _, report = monitor_tick(LivePortfolioMonitor(), LIMITS, halted, now_ms=NOW)
    assert report.change is None
