"""Run-log commands for the control socket: list runs, show one, page through its events.

Replies must fit one frame (``MAX_FRAME_BYTES``): lists stop early when the next item would
not fit, and the client asks again after the last seq or with a smaller limit. Events of the
current run reach the database every ``run_log.flush_interval_s``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from peaktrade.control.protocol import (
    MAX_FRAME_BYTES,
    AnyResult,
    RunEventsQuery,
    RunEventsResult,
    RunEventView,
    RunShow,
    RunShowResult,
    RunsQuery,
    RunsResult,
    RunView,
)
from peaktrade.control.server import CommandError
from peaktrade.runlog.events import KINDS, LiveRunMetadata
from peaktrade.store import runs
from peaktrade.store.db import Database

if TYPE_CHECKING:
    from peaktrade.daemon.app import Daemon

REPLY_BUDGET = MAX_FRAME_BYTES - 4096  # room for the envelope (mode, network, run id)
_EVENT_OVERHEAD = 48  # msgpack keys and numbers around one event's data
_encoder = msgspec.msgpack.Encoder()


async def answer(daemon: Daemon, request: RunsQuery | RunShow | RunEventsQuery) -> AnyResult:
    """The control command's reply; ``current`` names the daemon's own run."""
    assert daemon.db is not None
    match request:
        case RunsQuery(limit=limit):
            return await list_runs(daemon.db, limit)
        case RunShow(run_id=run_id):
            return await show_run(daemon.db, _resolve(run_id, daemon.run_id))
        case RunEventsQuery():
            return await run_events(daemon.db, _resolve(request.run_id, daemon.run_id), request)


async def list_runs(db: Database, limit: int) -> RunsResult:
    rows = await db.call(runs.recent_runs, limit)
    views: list[RunView] = []
    used = 0
    for row in rows:
        view = run_view(row)
        used += len(_encoder.encode(view))
        if views and used > REPLY_BUDGET:
            break  # ask with a smaller limit for fewer, the newest come first
        views.append(view)
    return RunsResult(runs=views)


async def show_run(db: Database, run_id: str) -> RunShowResult:
    meta = await _find(db, run_id)
    counts = await db.call(runs.kind_counts, meta.run_id)
    return RunShowResult(run=run_view(meta), counts=counts)


async def run_events(db: Database, run_id: str, query: RunEventsQuery) -> RunEventsResult:
    """Events of ``run_id`` (already resolved) after ``query.after_id``, as many as fit."""
    if query.kind is not None and query.kind not in KINDS:
        raise CommandError(
            "run.unknown_kind", f"no event kind {query.kind!r}", f"kinds: {', '.join(KINDS)}"
        )
    meta = await _find(db, run_id)
    rows = await db.call(
        runs.events_after,
        meta.run_id,
        after_seq=query.after_id,
        kind=query.kind,
        limit=query.limit,
    )
    events: list[RunEventView] = []
    used = 0
    for seq, ts_ms, kind, data in rows:
        size = len(data.encode()) + len(kind) + _EVENT_OVERHEAD
        if events and used + size > REPLY_BUDGET:
            break  # the client continues after the last seq it got
        used += size
        events.append(RunEventView(id=seq, ts_ms=ts_ms, kind=kind, data=data))
    return RunEventsResult(run_id=meta.run_id, events=events)


def run_view(m: LiveRunMetadata) -> RunView:
    return RunView(
        run_id=m.run_id,
        version=m.version,
        git_commit=m.git_commit,
        config_digest=m.config_digest,
        mode=m.mode,
        network=m.network,
        strategy=m.strategy,
        started_ms=m.started_ms,
        stopped_ms=m.stopped_ms,
        exit_reason=m.exit_reason,
        event_count=m.event_count,
    )


def _resolve(run_id: str, current: str) -> str:
    return current if run_id == "current" else run_id


async def _find(db: Database, run_id: str) -> LiveRunMetadata:
    meta = await db.call(runs.get_run, run_id)
    if meta is None:
        raise CommandError("run.not_found", f"no run {run_id!r}", "ptctl runs lists the runs")
    return meta
