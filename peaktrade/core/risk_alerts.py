"""Alert once per condition: raise when a rule reaches WARNING or BREACH, resolve when it is OK.

The active set is keyed by rule and symbol (``RuleOutcome.key``). A rise in level (OK to
WARNING, WARNING to BREACH) raises again; a fall from BREACH to WARNING does not.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

import msgspec

from peaktrade.core.risk_rules import LiveRiskCheckResult, RuleOutcome, RuleStatus

_LEVEL = {RuleStatus.OK: 0, RuleStatus.EXEMPT: 0, RuleStatus.WARNING: 1, RuleStatus.BREACH: 2}


class AlertKind(enum.StrEnum):
    RAISED = "raised"
    RESOLVED = "resolved"


class RiskAlert(msgspec.Struct, frozen=True):
    """One alert to send: a condition started (with its outcome) or ended."""

    kind: AlertKind
    key: str
    status: RuleStatus  # the new status (OK for a resolution)
    outcome: RuleOutcome | None  # None for a resolution of a rule no longer evaluated


def alert_changes(
    active: Mapping[str, RuleStatus], result: LiveRiskCheckResult
) -> tuple[dict[str, RuleStatus], list[RiskAlert]]:
    """The new active set and the alerts to send for one portfolio evaluation.

    A condition that disappears from the result (the position was closed) resolves too.
    """
    now_active: dict[str, RuleStatus] = {}
    alerts: list[RiskAlert] = []
    seen: set[str] = set()
    for outcome in result.outcomes:
        key = outcome.key
        seen.add(key)
        level = _LEVEL[outcome.status]
        before = active.get(key)
        before_level = _LEVEL[before] if before is not None else 0
        if level == 0:
            if before is not None:
                alerts.append(RiskAlert(AlertKind.RESOLVED, key, RuleStatus.OK, outcome))
            continue
        now_active[key] = outcome.status
        if level > before_level:
            alerts.append(RiskAlert(AlertKind.RAISED, key, outcome.status, outcome))
    for key in active.keys() - seen:
        alerts.append(RiskAlert(AlertKind.RESOLVED, key, RuleStatus.OK, None))
    return now_active, alerts
