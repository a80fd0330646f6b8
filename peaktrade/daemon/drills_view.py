"""``ptctl drills``: the drill log of this deployment's state database, newest first.

Replies must fit one frame: the list stops early when the next drill would not fit.
"""

from __future__ import annotations

import msgspec

from peaktrade.control.protocol import (
    MAX_FRAME_BYTES,
    DrillsQuery,
    DrillsResult,
    DrillView,
)
from peaktrade.drills.model import DrillResult
from peaktrade.store import drills
from peaktrade.store.db import Database

REPLY_BUDGET = MAX_FRAME_BYTES - 4096  # room for the envelope
_encoder = msgspec.msgpack.Encoder()


async def answer(db: Database, query: DrillsQuery) -> DrillsResult:
    rows = await db.call(drills.recent, query.limit, query.scenario)
    views: list[DrillView] = []
    used = 0
    for drill_id, result in rows:
        view = drill_view(drill_id, result)
        used += len(_encoder.encode(view))
        if views and used > REPLY_BUDGET:
            break  # the newest come first; ask for fewer to see older ones
        views.append(view)
    return DrillsResult(drills=views)


def drill_view(drill_id: int, r: DrillResult) -> DrillView:
    return DrillView(
        id=drill_id,
        scenario=r.scenario,
        title=r.title,
        started_ms=r.started_ms,
        ended_ms=r.ended_ms,
        passed=r.passed,
        summary=r.summary,
        checks=r.checks,
        version=r.version,
    )
