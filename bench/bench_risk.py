"""Risk-layer throughput: ``python bench/bench_risk.py`` prints the figures against the targets.

Targets (issue 4): ``check_orders`` >= 200,000 order checks/s for batches of 100 orders against a
50-position portfolio (an order check = one order through every rule, all rules enabled);
``evaluate_portfolio`` on 50 positions <= 50 us. Printed, not asserted.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable

from common import figure  # puts the checkout first on sys.path

from peaktrade.core.model import OrderIntent, OrderType, Quote, Side
from peaktrade.core.portfolio import Ledger, LivePortfolioSnapshot, Position, build_snapshot
from peaktrade.core.portfolio_risk import evaluate_portfolio
from peaktrade.core.risk import RiskSnapshot, check_orders
from peaktrade.core.risk_config import LiveRiskConfig, SymbolRiskConfig
from peaktrade.core.risk_limits import LiveRiskLimits, resolve_limits
from peaktrade.core.trade_usage import RunUsage
from peaktrade.core.trading_day import TradingDay

NOW = 1_700_000_000_000
POSITIONS = 50
BATCH = 100


def _setup() -> tuple[LiveRiskLimits, list[OrderIntent], RiskSnapshot, LivePortfolioSnapshot]:
    symbols = [f"C{i:02d}/USDT" for i in range(POSITIONS + 10)]
    quotes = {
        s: Quote(symbol=s, bid=99.9 + i, ask=100.1 + i, last=100.0 + i, ts_ms=NOW - 500)
        for i, s in enumerate(symbols)
    }
    positions = {
        s: Position(symbol=s, qty=(1.0 if i % 3 else -1.0), avg_entry=100.0 + i)
        for i, s in enumerate(symbols[:POSITIONS])
    }
    ledger = Ledger(quote_currency="USDT", cash=1_000_000.0, positions=positions)
    portfolio = build_snapshot(
        ledger,
        quotes,
        now_ms=NOW,
        free_quote=900_000.0,
        day_key="2023-11-14",
        day_start_equity=1_000_000.0,
        day_start_realized=0.0,
        peak_equity=1_010_000.0,
        realized_only_daily_pnl=False,
    )
    config = LiveRiskConfig(
        max_order_notional=50_000,
        max_total_exposure_notional=5_000_000,
        max_symbol_exposure_notional=500_000,
        max_open_positions=100,
        max_position_qty=10_000,
        max_daily_loss_abs=50_000,
        max_daily_loss_pct=5,
        max_drawdown_pct=10,
        min_free_quote_balance=1_000,
        max_orders_per_second=1_000,
        max_orders_per_minute=10_000,
        price_band_pct=5,
        max_quote_age_s=10,
        max_run_notional=100_000_000,
        max_run_trades=1_000_000,
        max_daily_notional=100_000_000,
        max_daily_trades=1_000_000,
        symbols={"C01/USDT": SymbolRiskConfig(max_order_notional=20_000)},
    )
    limits = resolve_limits(config, exchange_id="binance", symbols=symbols, equity=1_000_000.0)
    batch = []
    for i in range(BATCH):
        s = symbols[i % len(symbols)]
        q = quotes[s]
        if i % 2:
            batch.append(OrderIntent(symbol=s, side=Side.BUY, qty=0.5))
        else:
            batch.append(
                OrderIntent(
                    symbol=s, side=Side.SELL, qty=0.25, type=OrderType.LIMIT, price=q.ask * 1.001
                )
            )
    day = TradingDay(
        key="2023-11-14",
        start_ms=NOW - 3_600_000,
        end_ms=NOW + 3_600_000,
        start_equity=1_000_000.0,
        start_realized=0.0,
    )
    snapshot = RiskSnapshot(
        now_ms=NOW,
        portfolio=portfolio,
        quotes=quotes,
        day=day,
        run=RunUsage(
            trades=10, notional=1_000.0, recent_ms=tuple(NOW - 100 * k for k in range(20))
        ),
    )
    return limits, batch, snapshot, portfolio


def _per_call(fn: Callable[[], object], *, repeats: int, number: int) -> list[float]:
    """CPU seconds per call of ``fn``, one figure per repeat.

    CPU time, not wall time: the machine is shared, and time spent descheduled is not ours.
    """
    times = []
    for _ in range(repeats):
        start = time.process_time()
        for _ in range(number):
            fn()
        times.append((time.process_time() - start) / number)
    return times


def main() -> None:
    limits, batch, snapshot, portfolio = _setup()
    results = check_orders(limits, batch, snapshot)
    rules = sorted({len(r.rules) for r in results})
    allowed = sum(r.allowed for r in results)
    gc.collect()

    def checks() -> object:
        return check_orders(limits, batch, snapshot)

    def checks_and_rows() -> object:
        return [r.outcomes for r in check_orders(limits, batch, snapshot)]

    print("(CPU time per call; median over 9 repeats)")
    print(
        f"check_orders: batches of {BATCH} orders vs {POSITIONS} positions,"
        f" rules per order {rules}, allowed {allowed}/{BATCH}   target >= 200,000 checks/s"
    )
    for label, fn in (("checks", checks), ("checks + RuleOutcome rows", checks_and_rows)):
        times = _per_call(fn, repeats=9, number=300)
        best, median = min(times), statistics.median(times)
        print(
            f"  {label:<26} best {BATCH / best:10,.0f}/s  median {BATCH / median:10,.0f}/s"
            f"  ({median * 1e6:7.1f} us/batch)"
        )
        if fn is checks:
            figure("risk_check_orders_median", BATCH / median, "checks/s", ">= 200000")
    times = _per_call(lambda: evaluate_portfolio(limits, portfolio), repeats=7, number=5000)
    print(
        f"evaluate_portfolio: {POSITIONS} positions   target <= 50 us\n"
        f"  best {min(times) * 1e6:6.1f} us  median {statistics.median(times) * 1e6:6.1f} us"
    )
    figure("risk_evaluate_portfolio_median", statistics.median(times) * 1e6, "us", "<= 50 us")


if __name__ == "__main__":
    main()
