"""Human-readable output for portfolio, risk and alerts."""

from __future__ import annotations

import time

from peaktrade.control.protocol import (
    AlertsResult,
    AlertsTestResult,
    PortfolioResult,
    PortfolioView,
    RiskResult,
    RuleView,
    ViolationsResult,
)


def _when(ms: int | None) -> str:
    return "-" if ms is None else time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(ms / 1000))


def portfolio_lines(p: PortfolioView) -> list[str]:
    q = p.quote_currency
    out = [
        f"portfolio at {_when(p.ts_ms)} ({p.day_key})",
        f"  equity {p.equity:,.2f} {q}  cash {p.cash:,.2f}  free {p.free_quote:,.2f}",
        f"  exposure {p.total_exposure:,.2f}  daily PnL {p.daily_pnl:+,.2f}"
        f"  realized {p.realized_pnl:+,.2f}  unrealized {p.unrealized_pnl:+,.2f}",
        f"  day start equity {p.day_start_equity:,.2f}  peak {p.peak_equity:,.2f}"
        f"  drawdown {p.drawdown_pct:.2f}%",
    ]
    if not p.positions:
        out.append("  positions: none")
    for pos in p.positions:
        age = "no quote" if pos.mark_age_ms is None else f"mark {pos.mark_age_ms / 1000:.1f}s old"
        out.append(
            f"  {pos.symbol:<10} {pos.side:<5} {pos.size:>14.6g} @ {pos.avg_entry:<12.6g}"
            f" mark {pos.mark:<12.6g} notional {pos.notional:>12,.2f}"
            f" uPnL {pos.unrealized_pnl:+,.2f} ({age})"
        )
    return out


def rule_lines(rows: list[RuleView]) -> list[str]:
    out = []
    for r in rows:
        name = f"{r.rule}[{r.symbol}]" if r.symbol else r.rule
        value = "-" if r.value is None else f"{r.value:g}"
        room = "-" if r.headroom is None else f"{r.headroom:g}"
        pct = "" if r.usage_pct is None else f"{r.usage_pct:.0f}%"
        out.append(
            f"  {name:<42} {value:>12} / {r.limit:<12g} {pct:>5} headroom {room:<10} {r.status}"
        )
    return out


def render_portfolio(result: PortfolioResult) -> list[str]:
    out = portfolio_lines(result.current) if result.current else ["portfolio: no snapshot yet"]
    if result.risk is not None:
        out += ["risk:", *rule_lines(result.risk)]
    if result.history:
        out.append(f"history ({len(result.history)} snapshots):")
        out += [
            f"  {_when(h.ts_ms)}  equity {h.equity:,.2f}  exposure {h.total_exposure:,.2f}"
            f"  daily {h.daily_pnl:+,.2f}  drawdown {h.drawdown_pct:.2f}%"
            for h in result.history
        ]
    return out


def render_risk(r: RiskResult) -> list[str]:
    out = [
        "limits (effective):",
        *[f"  {line}" for line in r.limits],
        "usage:",
        *rule_lines(r.usage),
    ]
    phase = f"re-open: {r.reopen_phase}, position scale {r.reopen_scale:g}"
    if r.next_step_at_ms:
        phase += f", next step {_when(r.next_step_at_ms)}"
    if r.release_allowed_at_ms:
        phase += f", release allowed from {_when(r.release_allowed_at_ms)}"
    out.append(phase)
    if r.held_reload:
        out.append(
            "held reload (ptctl risk approve-reload --reason TEXT): " + ", ".join(r.held_reload)
        )
    return out


def render_violations(result: ViolationsResult) -> list[str]:
    if not result.violations:
        return ["violations: none"]
    return [
        f"{_when(v.at_ms)}  {v.code:<36} {v.symbol or '-':<10} value "
        f"{'-' if v.value is None else f'{v.value:g}'} limit {v.limit:g}  {v.subject} -> {v.action}"
        for v in result.violations
    ]


def render_alerts(result: AlertsResult) -> list[str]:
    if not result.alerts:
        return ["alerts: none"]
    out = []
    for a in result.alerts:
        flags = (" resolved" if a.resolved else "") + (
            f" acked by {a.acked_by}" if a.acked_by else ""
        )
        count = f" x{a.count}" if a.count > 1 else ""
        out.append(f"{a.id}  {_when(a.at_ms)}  {a.level:<8} {a.code:<26} {a.message}{count}{flags}")
        out.append(f"      runbook: {a.runbook}")
    return out


def render_alerts_test(result: AlertsTestResult) -> list[str]:
    if not result.deliveries:
        return ["alerts test: no sinks configured"]
    return [
        f"  {d.sink:<10} {d.status:<10} attempt {d.attempt} {d.duration_ms} ms"
        + (f"  {d.error}" if d.error else "")
        for d in result.deliveries
    ]
