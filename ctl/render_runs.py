"""Human-readable output for the run log commands: one line per run or event, the gist first."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

import msgspec

from peaktrade.control.protocol import (
    RunEventsResult,
    RunEventView,
    RunShowResult,
    RunsResult,
    RunView,
)


def _when(ms: int | None) -> str:
    return "-" if ms is None else time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(ms / 1000))


def _duration(r: RunView) -> str:
    end = r.stopped_ms if r.stopped_ms is not None else int(time.time() * 1000)
    seconds = max(0, (end - r.started_ms) // 1000)
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    return f"{days}d {text}" if days else text


def run_line(r: RunView) -> str:
    status = r.exit_reason or "RUNNING"
    deployment = f"{r.mode}@{r.network}"
    return (
        f"{r.run_id:<23}  {deployment:<15}  {_when(r.started_ms):<20}  {_duration(r):>11}"
        f"  {r.event_count:>8}  {status}"
    )


def render_runs(result: RunsResult) -> list[str]:
    if not result.runs:
        return ["runs: none"]
    head = (
        f"{'run':<23}  {'deployment':<15}  {'started':<20}  {'duration':>11}  {'events':>8}  exit"
    )
    return [head, *(run_line(r) for r in result.runs)]


def render_run(result: RunShowResult) -> list[str]:
    r = result.run
    out = [
        f"run {r.run_id}: {r.mode}@{r.network}, {r.exit_reason or 'RUNNING'}",
        f"  started:  {_when(r.started_ms)}",
        f"  stopped:  {_when(r.stopped_ms)}  (ran {_duration(r)})",
        f"  version:  {r.version}, commit {r.git_commit[:12] or 'unknown'}",
        f"  config:   digest {r.config_digest}",
        f"  strategy: {r.strategy}",
        f"  events:   {r.event_count}",
    ]
    out += [f"    {kind:<12} {n:>8}" for kind, n in sorted(result.counts.items())]
    return out


def render_events(result: RunEventsResult) -> list[str]:
    if not result.events:
        return [f"run {result.run_id}: no events (yet)"]
    return [event_line(e) for e in result.events]


def event_line(e: RunEventView) -> str:
    try:
        data = msgspec.json.decode(e.data)
    except msgspec.DecodeError:
        data = None
    summary = _SUMMARY.get(e.kind)
    text = e.data
    if summary is not None and isinstance(data, dict):
        with contextlib.suppress(KeyError, TypeError, ValueError):  # else: shown raw
            text = summary(data)
    return f"{e.id:>7}  {_when(e.ts_ms)}  {e.kind:<11} {text}"


def _order(d: dict[str, Any]) -> str:
    price = f" @ {d['price']:g}" if d.get("price") else ""
    fill = f" filled {d['filled_qty']:g}" if d.get("filled_qty") else ""
    reason = f" ({d['reason']})" if d.get("reason") else ""
    return (
        f"{d['client_order_id']} {d['state']}: {d['side']} {d['qty']:g} {d['symbol']}"
        f" {d['type']}{price}{fill}{reason}"
    )


def _fill(d: dict[str, Any]) -> str:
    return (
        f"{d['client_order_id']}: {d['side']} {d['qty']:g} {d['symbol']} @ {d['price']:g}"
        f" fee {d['fee']:g} {d['fee_currency']}"
    )


def _coded(d: dict[str, Any]) -> str:
    resolved = " (resolved)" if d.get("resolved") else ""
    return f"{d.get('level', '')} {d.get('code', '')}{resolved}: {d.get('message', '')}"


def _state(d: dict[str, Any]) -> str:
    return f"{d['previous']} -> {d['state']} by {d['source']}: {d['reason']}"


def _kill(d: dict[str, Any]) -> str:
    flags = [f for f in ("cancel_open", "flatten") if d.get(f)]
    extra = f" [{', '.join(flags)}]" if flags else ""
    return f"{d['previous']} -> HALTED{extra} by {d['source']}: {d['reason']}"


_SUMMARY: dict[str, Callable[[dict[str, Any]], str]] = {
    "order": _order,
    "fill": _fill,
    "risk": _coded,
    "alert": _coded,
    "reconcile": _coded,
    "event": _coded,
    "state": _state,
    "kill": _kill,
    "run_started": lambda d: f"version {d['version']} {d['mode']}@{d['network']}",
    "run_stopped": lambda d: f"{d['exit_reason']} ({d['events_lost']} events lost)",
}
