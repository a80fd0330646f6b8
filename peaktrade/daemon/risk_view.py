"""Portfolio and risk for the control socket."""

from __future__ import annotations

from peaktrade.control.protocol import (
    PortfolioResult,
    PortfolioView,
    PositionView,
    RiskResult,
    RuleView,
    ViolationsResult,
    ViolationView,
)
from peaktrade.core.auto_kill import reopen_status
from peaktrade.core.portfolio import Ledger, LivePortfolioSnapshot, apply_fills, build_snapshot
from peaktrade.core.portfolio_risk import evaluate_portfolio
from peaktrade.core.reload_policy import plan_reload
from peaktrade.core.risk_limits import render_limits
from peaktrade.core.risk_usage import risk_usage
from peaktrade.daemon.risk_service import RiskService
from peaktrade.store import journal, portfolio_history, violations
from peaktrade.store import trading_state as state_store


def view(s: LivePortfolioSnapshot) -> PortfolioView:
    return PortfolioView(
        ts_ms=s.ts_ms,
        quote_currency=s.quote_currency,
        cash=s.cash,
        free_quote=s.free_quote,
        equity=s.equity,
        total_exposure=s.total_exposure,
        realized_pnl=s.realized_pnl,
        unrealized_pnl=s.unrealized_pnl,
        daily_pnl=s.daily_pnl,
        day_key=s.day_key,
        day_start_equity=s.day_start_equity,
        peak_equity=s.peak_equity,
        drawdown_pct=s.drawdown_pct,
        positions=[
            PositionView(
                symbol=p.symbol,
                side=p.side.value,
                size=p.size,
                avg_entry=p.avg_entry,
                mark=p.mark,
                notional=p.notional,
                unrealized_pnl=p.unrealized_pnl,
                realized_pnl=p.realized_pnl,
                mark_age_ms=p.mark_age_ms,
            )
            for p in s.positions
        ],
        max_mark_age_ms=s.max_mark_age_ms,
    )


def _rows(risk: RiskService, snapshot: LivePortfolioSnapshot) -> list[RuleView]:
    result = evaluate_portfolio(risk.limits, snapshot)
    day = risk.current_day()
    rows = risk_usage(
        risk.limits,
        result,
        day=day,
        run=risk.run_usage,
        free_quote=snapshot.free_quote,
        now_ms=snapshot.ts_ms,
    )
    return [
        RuleView(
            rule=r.rule,
            symbol=r.symbol,
            limit=r.limit,
            value=r.value,
            headroom=r.headroom,
            usage_pct=r.usage_pct,
            status=r.status.value if r.status is not None else "",
        )
        for r in rows
    ]


async def portfolio(
    risk: RiskService,
    *,
    with_risk: bool,
    starting_cash: float | None,
    history: bool,
    since_ms: int,
    limit: int,
) -> PortfolioResult:
    if starting_cash is not None:
        # the book's fills valued against another starting cash: "what if I had started
        # with X"; marks are the current quotes
        fills = await risk.db.call(journal.all_fills, executor=risk.book)
        ledger = apply_fills(Ledger(quote_currency=risk.quote_currency, cash=starting_cash), fills)
        now = risk.now_ms()
        current = build_snapshot(
            ledger,
            risk.quotes.snapshot(),
            now_ms=now,
            free_quote=None,
            day_key="what-if",
            day_start_equity=starting_cash,
            day_start_realized=0.0,
            peak_equity=starting_cash,
            realized_only_daily_pnl=False,
        )
    else:
        current = risk.snapshot_now()
    past = await risk.db.call(portfolio_history.history, since_ms, limit) if history else []
    return PortfolioResult(
        current=view(current),
        risk=_rows(risk, current) if with_risk else None,
        history=[view(h) for h in past],
    )


async def risk_status(risk: RiskService) -> RiskResult:
    snapshot = risk.snapshot_now()
    history = await risk.db.call(state_store.history, 50)
    last_breach = await risk.db.call(violations.last_breach_ms)
    status = reopen_status(
        history, risk.limits.reopen, last_breach_ms=last_breach, now_ms=snapshot.ts_ms
    )
    held: list[str] = []
    if risk.held_from is not None:
        basis = risk.limits.equity_basis
        plan = plan_reload(
            risk.resolve_for(risk.held_from, basis), risk.resolve_for(risk.config, basis)
        )
        held = [f"{c.key}: {c.old} -> {c.new}" for c in plan.held]
    return RiskResult(
        limits=render_limits(
            risk.config.live_risk,
            exchange_id=risk.config.exchange.id,
            symbols=risk.config.exchange.symbols,
            equity=risk.limits.equity_basis,
        ),
        usage=_rows(risk, snapshot),
        reopen_phase=status.phase.value,
        reopen_scale=status.scale,
        next_step_at_ms=status.next_step_at_ms,
        release_allowed_at_ms=status.release_allowed_at_ms,
        held_reload=held,
    )


async def violation_list(risk: RiskService, *, since_ms: int, limit: int) -> ViolationsResult:
    await risk.flush_violations()
    found = await risk.db.call(violations.since, since_ms, limit)
    return ViolationsResult(
        violations=[
            ViolationView(
                at_ms=v.at_ms,
                rule=v.rule,
                code=v.code,
                symbol=v.symbol,
                limit=v.limit,
                value=v.value,
                subject=v.subject,
                detail=v.detail,
                action=v.action,
            )
            for v in found
        ]
    )
