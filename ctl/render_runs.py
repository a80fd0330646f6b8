"""Human-readable output for the run log commands."""

from __future__ import annotations

import time

from peaktrade.control.protocol import RunEventsResult, RunShowResult, RunsResult, RunView


def _when(ms: int | None) -> str:
    return "-" if ms is None else time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(ms / 1000))


def run_line(r: RunView) -> str:
    return (
        f"{r.run_id}  {r.mode}@{r.network}  {_when(r.started_ms)} -> {_when(r.stopped_ms)}"
        f"  {r.exit_reason or 'running'}  {r.event_count} events"
    )


def render_runs(result: RunsResult) -> list[str]:
    return [run_line(r) for r in result.runs] or ["runs: none"]


def render_run(result: RunShowResult) -> list[str]:
    r = result.run
    out = [
        run_line(r),
        f"  version {r.version}, commit {r.git_commit or 'unknown'}, config {r.config_digest}",
        f"  strategy {r.strategy}",
    ]
    out += [f"  {kind:<24} {n}" for kind, n in sorted(result.counts.items())]
    return out


def render_events(result: RunEventsResult) -> list[str]:
    return [f"{e.id:>8}  {_when(e.ts_ms)}  {e.kind:<20} {e.data}" for e in result.events]
