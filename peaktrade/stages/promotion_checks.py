"""The promotion checklist: facts about the current stage in, one check per rule out.

Pure: the daemon gathers the facts (journal, alerts, portfolio, divergence samples) and this
decides. A promotion goes ahead only when no check is ``fail``.
"""

from __future__ import annotations

import msgspec

from peaktrade.control.protocol import Check, CheckLevel
from peaktrade.stages.config import OpenOrdersPolicy, PromotionChecksConfig
from peaktrade.stages.divergence import Summary

_OFF = "(check off)"


class PromotionFacts(msgspec.Struct, frozen=True, kw_only=True):
    stage: str
    time_in_stage_s: float
    orders: int  # journaled in the current stage
    critical_alerts: list[str]  # codes of CRITICAL alerts in the window, oldest first
    open_orders: int
    unresolved: int  # pending or unknown now
    drawdown_pct: float | None  # None when the portfolio is not known yet
    divergence: Summary
    # simulated positions the journal would hand to an exchange stage (None: not that move)
    carried_positions: list[str] | None = None


def evaluate(
    config: PromotionChecksConfig, facts: PromotionFacts, *, open_orders: OpenOrdersPolicy
) -> list[Check]:
    checks = [
        _time(config, facts),
        _orders(config, facts),
        _alerts(config, facts),
        _unresolved(config, facts),
        _open(facts, open_orders),
        _drawdown(config, facts),
        _divergence(config, facts),
    ]
    if facts.carried_positions is not None:
        checks.append(_carried(facts.carried_positions))
    return checks


def passed(checks: list[Check]) -> bool:
    return all(c.level is not CheckLevel.FAIL for c in checks)


def _time(config: PromotionChecksConfig, facts: PromotionFacts) -> Check:
    need = config.min_time_in_stage_s
    value = f"{_duration(facts.time_in_stage_s)} in {facts.stage}"
    if need <= 0:
        return Check("time_in_stage", CheckLevel.OK, f"{value} {_OFF}")
    if facts.time_in_stage_s < need:
        return Check(
            "time_in_stage",
            CheckLevel.FAIL,
            f"{value}, needs {_duration(need)}",
            "let the stage run longer (stages.promotion.min_time_in_stage_s)",
        )
    return Check("time_in_stage", CheckLevel.OK, f"{value} (>= {_duration(need)})")


def _orders(config: PromotionChecksConfig, facts: PromotionFacts) -> Check:
    need = config.min_orders
    if need <= 0:
        return Check("orders", CheckLevel.OK, f"{facts.orders} {_OFF}")
    if facts.orders < need:
        return Check(
            "orders",
            CheckLevel.FAIL,
            f"{facts.orders} of {need}",
            "the stage has not traded enough to judge (stages.promotion.min_orders)",
        )
    return Check("orders", CheckLevel.OK, f"{facts.orders} (>= {need})")


def _alerts(config: PromotionChecksConfig, facts: PromotionFacts) -> Check:
    counted = [c for c in facts.critical_alerts if c not in config.ignore_alert_codes]
    if not config.no_critical_alerts:
        return Check("critical_alerts", CheckLevel.OK, f"{len(counted)} {_OFF}")
    if counted:
        codes = sorted(set(counted))
        return Check(
            "critical_alerts",
            CheckLevel.FAIL,
            f"{len(counted)}: {', '.join(codes[:5])}",
            "see ptctl alerts --level CRITICAL; each must be explained before promoting",
        )
    return Check("critical_alerts", CheckLevel.OK, "none in the window")


def _unresolved(config: PromotionChecksConfig, facts: PromotionFacts) -> Check:
    if not config.no_unresolved_orders:
        return Check("unresolved_orders", CheckLevel.OK, f"{facts.unresolved} {_OFF}")
    if facts.unresolved:
        return Check(
            "unresolved_orders",
            CheckLevel.FAIL,
            f"{facts.unresolved} in doubt",
            "wait for the resolver (ptctl orders); see the unresolved-orders runbook",
        )
    return Check("unresolved_orders", CheckLevel.OK, "none")


def _open(facts: PromotionFacts, policy: OpenOrdersPolicy) -> Check:
    if not facts.open_orders:
        return Check("open_orders", CheckLevel.OK, "none")
    if policy is OpenOrdersPolicy.REFUSE:
        return Check(
            "open_orders",
            CheckLevel.FAIL,
            f"{facts.open_orders} open",
            "stages.open_orders = refuse: cancel them first (ptctl order cancel ID)",
        )
    return Check("open_orders", CheckLevel.OK, f"{facts.open_orders} open: cancelled at the switch")


def _carried(positions: list[str]) -> Check:
    """Not configurable: the journal's positions are what a kill's flatten would close, and a
    simulated position must not become an exchange order."""
    if positions:
        return Check(
            "simulated_positions",
            CheckLevel.FAIL,
            "; ".join(positions[:5]),
            "close them in the current stage first (the exchange never had them)",
        )
    return Check("simulated_positions", CheckLevel.OK, "flat")


def _drawdown(config: PromotionChecksConfig, facts: PromotionFacts) -> Check:
    limit = config.max_drawdown_pct
    if facts.drawdown_pct is None:
        level = CheckLevel.OK if limit >= 100 else CheckLevel.FAIL
        return Check("drawdown", level, "portfolio not known yet", "retry once a snapshot exists")
    value = f"{facts.drawdown_pct:.2f} %"
    if limit >= 100:
        return Check("drawdown", CheckLevel.OK, f"{value} {_OFF}")
    if facts.drawdown_pct >= limit:
        return Check(
            "drawdown",
            CheckLevel.FAIL,
            f"{value}, limit {limit:g} %",
            "the stage lost too much from its peak (stages.promotion.max_drawdown_pct)",
        )
    return Check("drawdown", CheckLevel.OK, f"{value} (< {limit:g} %)")


def _divergence(config: PromotionChecksConfig, facts: PromotionFacts) -> Check:
    limit = config.max_divergence_bps
    summary = facts.divergence
    if summary.mean_bps is None:
        level = CheckLevel.FAIL if config.require_divergence_samples else CheckLevel.WARN
        if limit >= 10_000:
            level = CheckLevel.OK
        return Check(
            "divergence", level, "no fills to measure", "fills against intended prices decide it"
        )
    value = f"{summary.mean_bps:.1f} bps over {summary.samples} fill(s)"
    if limit >= 10_000:
        return Check("divergence", CheckLevel.OK, f"{value} {_OFF}")
    if summary.mean_bps >= limit:
        return Check(
            "divergence",
            CheckLevel.FAIL,
            f"{value}, limit {limit:g} bps",
            "fills are worse than intended: check slippage, order types, quote freshness",
        )
    return Check("divergence", CheckLevel.OK, f"{value} (< {limit:g} bps)")


def _duration(seconds: float) -> str:
    if seconds >= 86_400:
        return f"{seconds / 86_400:.1f} d"
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:.0f} s"
