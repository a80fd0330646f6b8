"""Human-readable output for stages and checklists: one line per check, the verdict first."""

from __future__ import annotations

import time

from peaktrade.control.protocol import (
    Check,
    CheckLevel,
    ChecklistResult,
    PromotionResult,
    StageResult,
)

_MARK = {CheckLevel.OK: "ok  ", CheckLevel.WARN: "WARN", CheckLevel.FAIL: "FAIL"}


def _when(ms: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(ms / 1000))


def check_lines(checks: list[Check]) -> list[str]:
    """``[ok  ] name  value  -> hint``, aligned; hints only where something is wrong."""
    width = max((len(c.name) for c in checks), default=0)
    out = []
    for c in checks:
        hint = f"  -> {c.hint}" if c.hint and c.level is not CheckLevel.OK else ""
        out.append(f"  [{_MARK[c.level]}] {c.name:<{width}}  {c.value}{hint}")
    return out


def render_checklist(result: ChecklistResult) -> list[str]:
    verdict = "passed" if result.passed else "FAILED"
    return [f"check {result.preset}: {verdict}", *check_lines(result.checks)]


def render_promotion(result: PromotionResult) -> list[str]:
    move = f"{result.previous} -> {result.target}"
    if result.kind == "degrade":
        head = f"degrade {move}: done"
    elif result.check_only:
        failed = any(c.level is CheckLevel.FAIL for c in result.checks)
        head = f"promote {move}: checks {'FAIL' if failed else 'pass'} (check only, nothing moved)"
    elif result.applied and result.approval:
        head = f"promote {move}: APPROVED (recorded; the live start requires it)"
    elif result.applied:
        head = f"promote {move}: done"
    else:
        head = f"promote {move}: REFUSED by its checks (nothing moved)"
    out = [head]
    if result.checks:
        out += ["  checks:", *("  " + line for line in check_lines(result.checks))]
    if result.actions:
        out += ["  done:", *(f"    - {a}" for a in result.actions)]
    if result.approval:
        out.append(f"  approval: {result.approval}")
    return out


def render_stage(result: StageResult) -> list[str]:
    out = [
        f"stage: {result.stage} since {_when(result.since_ms)}",
        f"  configured: {result.configured} (run.mode); may reach {result.max_stage} in-process",
        f"  next:       {result.next_stage or '-'}"
        + (f" (ptctl promote --to {result.next_stage})" if result.next_stage else ""),
    ]
    if result.live_approval:
        out.append(f"  live:       {result.live_approval}")
    if result.history:
        out.append("  history (newest first):")
        for h in result.history:
            who = f" uid {h.uid}" if h.uid >= 0 else ""
            came = f"{h.previous or '-'} -> {h.stage}"
            out.append(f"    {_when(h.at_ms)}  {h.kind:<12} {came:<18}{who}  {h.reason}")
    return out
