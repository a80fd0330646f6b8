"""What ``ptctl risk`` shows: every limit in force, how much of it is used, the headroom left."""

from __future__ import annotations

import msgspec

from peaktrade.core.risk_limits import MIN_KEYS, LiveRiskLimits
from peaktrade.core.risk_rules import LiveRiskCheckResult, RuleStatus
from peaktrade.core.trade_usage import RunUsage, sent_within
from peaktrade.core.trading_day import TradingDay


class UsageRow(msgspec.Struct, frozen=True):
    """One limit: ``value`` is None for order-only limits (they have no standing usage)."""

    rule: str
    symbol: str
    limit: float
    value: float | None
    headroom: float | None  # how much more may be used (for a minimum: how much is left above it)
    usage_pct: float | None
    status: RuleStatus | None


def risk_usage(
    limits: LiveRiskLimits,
    portfolio: LiveRiskCheckResult,
    *,
    day: TradingDay,
    run: RunUsage,
    free_quote: float,
    now_ms: int,
) -> list[UsageRow]:
    """Rows for the portfolio result (from ``evaluate_portfolio``), the counters, the rest."""
    rows = [_row(o.rule.value, o.symbol, o.limit, o.value, o.status) for o in portfolio.outcomes]
    counters = {
        "max_run_trades": float(run.trades),
        "max_run_notional": run.notional,
        "max_daily_trades": float(day.trades),
        "max_daily_notional": day.traded_notional,
        "max_orders_per_second": float(sent_within(run, now_ms=now_ms, window_ms=1000)),
        "max_orders_per_minute": float(sent_within(run, now_ms=now_ms, window_ms=60_000)),
        "min_free_quote_balance": free_quote,
    }
    shown = {r.rule for r in rows}
    for key in ("max_order_notional", "price_band_pct", "max_quote_age_s", *counters):
        limit = getattr(limits, key)
        if limit is None or key in shown:
            continue
        rows.append(_row(key, "", limit, counters.get(key), None, limits.warning_fraction))
    return rows


def render_usage(rows: list[UsageRow]) -> list[str]:
    """Aligned text lines, one per row."""
    lines = []
    for r in rows:
        name = f"{r.rule}[{r.symbol}]" if r.symbol else r.rule
        value = "-" if r.value is None else f"{r.value:g}"
        room = "-" if r.headroom is None else f"{r.headroom:g}"
        pct = "" if r.usage_pct is None else f" ({r.usage_pct:.0f}%)"
        status = r.status.value if r.status is not None else ""
        lines.append(
            f"{name:<44} limit {r.limit:<12g} used {value:<12}{pct:<7} headroom {room:<12} {status}"
        )
    return lines


def _row(
    rule: str,
    symbol: str,
    limit: float,
    value: float | None,
    status: RuleStatus | None,
    fraction: float | None = None,
) -> UsageRow:
    if value is None:
        return UsageRow(rule, symbol, limit, None, None, None, status)
    if rule in MIN_KEYS:
        headroom = value - limit
        usage = limit / value * 100.0 if value > 0 else None
    else:
        headroom = limit - value
        usage = value / limit * 100.0 if limit > 0 else None
    if status is None and fraction is not None and usage is not None:
        if usage > 100.0:
            status = RuleStatus.BREACH
        elif usage >= fraction * 100.0:
            status = RuleStatus.WARNING
        else:
            status = RuleStatus.OK
    return UsageRow(rule, symbol, limit, value, headroom, usage, status)
