"""Human-readable drill log: one line per drill, then its checks (failed ones first to read)."""

from __future__ import annotations

import time

from peaktrade.control.protocol import DrillsResult, DrillView


def _when(ms: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(ms / 1000))


def drill_line(d: DrillView) -> str:
    verdict = "PASSED" if d.passed else "FAILED"
    seconds = max(0.0, (d.ended_ms - d.started_ms) / 1000)
    head = f"#{d.id:<5} {_when(d.started_ms)}  {d.scenario:<22} {verdict}"
    return f"{head}  {seconds:5.1f} s  {d.summary}"


def render_drills(result: DrillsResult, *, checks: bool = True) -> list[str]:
    if not result.drills:
        return ["drills: none recorded (run: peaktrade drill --all)"]
    out: list[str] = []
    for d in result.drills:
        out.append(drill_line(d))
        if checks and not d.passed:
            out.extend(f"        [FAIL] {c.name}: {c.seen}" for c in d.checks if not c.passed)
    return out
