"""Violations as persisted: every blocked or warned-through order breach, every raised
portfolio breach, with the limit, the value, the subject and the action taken.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import msgspec

from peaktrade.core.model import OrderIntent
from peaktrade.core.portfolio import LivePortfolioSnapshot
from peaktrade.core.risk_alerts import AlertKind, RiskAlert
from peaktrade.core.risk_rules import Decision, LiveRiskCheckResult, RuleStatus


class Violation(msgspec.Struct, frozen=True, kw_only=True):
    """One breach, as ``ptctl risk violations`` lists it."""

    at_ms: int
    rule: str
    code: str
    symbol: str
    limit: float
    value: float | None
    subject: str  # "order" or "portfolio"
    detail: str  # the order, or a summary of the snapshot, as JSON
    action: str  # "blocked", "allowed_with_warning", or the portfolio action ("halt", ...)


def order_violations(
    batch: Sequence[OrderIntent], results: Iterable[LiveRiskCheckResult], *, now_ms: int
) -> list[Violation]:
    """One violation per breached rule of each order."""
    out = []
    for result in results:
        if RuleStatus.BREACH not in result.statuses:
            continue
        detail = msgspec.json.encode(batch[result.index]).decode()
        action = "blocked" if result.decision is Decision.BLOCK else "allowed_with_warning"
        for o in result.breaches:
            out.append(
                Violation(
                    at_ms=now_ms,
                    rule=o.rule.value,
                    code=o.code,
                    symbol=o.symbol,
                    limit=o.limit,
                    value=o.value,
                    subject="order",
                    detail=detail,
                    action=action,
                )
            )
    return out


def portfolio_violations(
    result: LiveRiskCheckResult, snapshot: LivePortfolioSnapshot, alerts: Iterable[RiskAlert]
) -> list[Violation]:
    """One violation per portfolio breach newly raised (a standing breach is recorded once)."""
    raised = [
        a.outcome
        for a in alerts
        if a.kind is AlertKind.RAISED and a.status is RuleStatus.BREACH and a.outcome is not None
    ]
    if not raised:
        return []
    detail = msgspec.json.encode(
        {
            "equity": snapshot.equity,
            "total_exposure": snapshot.total_exposure,
            "daily_pnl": snapshot.daily_pnl,
            "drawdown_pct": snapshot.drawdown_pct,
            "positions": len(snapshot.positions),
        }
    ).decode()
    action = result.action.value if result.action is not None else "alert"
    return [
        Violation(
            at_ms=snapshot.ts_ms,
            rule=o.rule.value,
            code=o.code,
            symbol=o.symbol,
            limit=o.limit,
            value=o.value,
            subject="portfolio",
            detail=detail,
            action=action,
        )
        for o in raised
    ]
