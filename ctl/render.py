"""Human-readable output for ptctl. Every answer starts with the mode and network."""

from __future__ import annotations

import time

from ctl.render_drills import render_drills
from ctl.render_risk import (
    render_alerts,
    render_alerts_test,
    render_portfolio,
    render_risk,
    render_violations,
)
from ctl.render_runs import render_events, render_run, render_runs
from ctl.render_stages import check_lines, render_checklist, render_promotion, render_stage
from peaktrade.control.protocol import (
    AlertsResult,
    AlertsTestResult,
    AnyResult,
    AuditResult,
    CancelResultView,
    ChecklistResult,
    DrillsResult,
    HealthResult,
    OrderDecision,
    OrderResult,
    OrdersResult,
    OrderView,
    PortfolioResult,
    PromotionResult,
    Reply,
    RiskResult,
    RunEventsResult,
    RunShowResult,
    RunsResult,
    StageResult,
    StateResult,
    StatusResult,
    StrategyPreviewResult,
    Transition,
    ViolationsResult,
)


def when(ms: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(ms / 1000))


def header(reply: Reply) -> str:
    return f"peaktrade {reply.mode}@{reply.network}"


def render(reply: Reply) -> str:
    lines = [header(reply)]
    if reply.error is not None:
        lines.append(f"error {reply.error.code}: {reply.error.message}")
        if reply.error.hint:
            lines.append(f"  hint: {reply.error.hint}")
    elif reply.result is not None:
        lines.extend(_result(reply.result))
    return "\n".join(lines)


def _result(result: AnyResult) -> list[str]:
    match result:
        case HealthResult(healthy=healthy, checks=checks):
            return [f"health: {'healthy' if healthy else 'UNHEALTHY'}", *check_lines(checks)]
        case ChecklistResult():
            return render_checklist(result)
        case PromotionResult():
            return render_promotion(result)
        case StageResult():
            return render_stage(result)
        case StatusResult() as s:
            out = [
                f"trading state: {s.state}" + (f" ({s.reason})" if s.reason else ""),
                f"  since:       {when(s.since_ms)}",
            ]
            if s.last_change is not None:
                out.append(f"  changed by:  {_who(s.last_change)}")
            out += [
                f"  account:     {s.account}",
                f"  market data: {s.market_data}",
                f"  orders:      {s.open_orders} open, {s.orders_in_doubt} in doubt"
                + ("" if s.reconciled else " (NOT reconciled: orders blocked)"),
                f"  daemon:      pid {s.pid}, version {s.version},"
                f" up since {when(s.started_at_ms)}",
            ]
            return out
        case StateResult(transition=t):
            flags = [f for f, on in (("cancel-open", t.cancel_open), ("flatten", t.flatten)) if on]
            extra = f" [{', '.join(flags)}]" if flags else ""
            return [
                f"trading state: {t.previous} -> {t.state}{extra} (durable)",
                f"  reason: {t.reason}",
                f"  by:     {_who(t)}",
            ]
        case OrderResult(submitted=submitted, decisions=decisions):
            return [line for d in decisions for line in _decision(d, submitted)]
        case OrdersResult(orders=orders):
            if not orders:
                return ["orders: none"]
            return [_order_line(o) for o in orders]
        case CancelResultView() as c:
            tail = f" ({c.code})" if c.code else ""
            lines = [f"cancel {c.client_order_id}: {c.outcome}{tail}"]
            if c.order is not None:
                lines.append("  " + _order_line(c.order))
            return lines
        case RunsResult():
            return render_runs(result)
        case RunShowResult():
            return render_run(result)
        case RunEventsResult():
            return render_events(result)
        case PortfolioResult():
            return render_portfolio(result)
        case RiskResult():
            return render_risk(result)
        case ViolationsResult():
            return render_violations(result)
        case AlertsResult():
            return render_alerts(result)
        case AlertsTestResult():
            return render_alerts_test(result)
        case DrillsResult():
            return render_drills(result)
        case StrategyPreviewResult(strategy=strategy, decisions=decisions):
            head = [f"strategy {strategy}: {len(decisions)} order(s) it would send now"]
            return head + [line for d in decisions for line in _decision(d, False)]
        case AuditResult(entries=entries):
            if not entries:
                return ["audit log: empty"]
            return [
                f"{when(e.at_ms)}  {e.command:<8} {e.outcome:<28} uid {e.uid} pid {e.pid}  "
                f"{e.detail}"
                for e in entries
            ]


def _decision(d: OrderDecision, submitted: bool) -> list[str]:
    verdict = "allowed" if d.allowed else "REFUSED"
    head = f"{d.side} {d.qty:g} {d.symbol}: {verdict}" + (
        " (reduces exposure)" if d.reduces else ""
    )
    out = [head]
    for c in d.checks:
        mark = "ok  " if c.passed and not c.warning else ("WARN" if c.passed else "FAIL")
        detail = f"  {c.detail}" if c.detail else ""
        code = f" [{c.code}]" if c.code else ""
        out.append(f"  [{mark}] {c.rule}{code}{detail}")
    if submitted:
        out.append(f"  outcome: {d.outcome}" + (f" ({d.code})" if d.code else ""))
        if d.order is not None:
            out.append("  " + _order_line(d.order))
    return out


def _order_line(o: OrderView) -> str:
    price = f" @ {o.price:g}" if o.price is not None else ""
    fill = f" filled {o.filled_qty:g}" + (f" @ {o.avg_fill_price:g}" if o.avg_fill_price else "")
    reason = f" ({o.reason})" if o.reason else ""
    return (
        f"{o.client_order_id}  {o.executor or '?':<8} {o.state:<16} {o.side} {o.qty:g} {o.symbol}"
        f" {o.type}{price}{fill}{reason}"
    )


def _who(t: Transition) -> str:
    return f"{t.source} uid {t.uid} pid {t.pid} at {when(t.at_ms)}"
