"""The start's stage: decided from the config and the database, persisted before trading.

Live additionally needs an approved promotion (see ``approval``) or a database already in
live with the same strategy: this runs after the live arming of ``daemon.arming`` and before
anything connects to an exchange.
"""

from __future__ import annotations

from pathlib import Path

import msgspec

from peaktrade.config import Config, Mode
from peaktrade.stages import approval, store
from peaktrade.stages.ladder import StartDecision, ceiling, start_stage
from peaktrade.store.db import Database


class StageRefused(Exception):
    """The daemon must not start in the stage asked for; ``code`` is stable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class StartOutcome(msgspec.Struct, frozen=True):
    stage: Mode
    since_ms: int
    decision: StartDecision
    approved_by_run: str = ""  # live: the testnet run whose approval this start used


def top_stage(config: Config) -> Mode:
    top = config.stages.max_stage
    return ceiling(config.run.mode, Mode(top) if top is not None else None)


async def resolve_start(
    db: Database, config: Config, *, state_dir: Path, run_id: str, now_ms: int
) -> StartOutcome:
    record = await db.call(store.load_current)
    persisted = Mode(record.stage) if record is not None else None
    decision = start_stage(
        config.run.mode,
        persisted,
        persisted_by_degrade=record is not None and record.kind == "degrade",
        top=top_stage(config),
    )
    if decision.stage is Mode.LIVE:
        return await _live_start(db, config, record, state_dir, run_id, now_ms, decision)
    if record is not None and record.stage == decision.stage.value:
        return StartOutcome(decision.stage, record.since_ms, decision)
    kind = "first" if record is None else ("degrade" if decision.note == "degraded" else "start")
    change = store.StageChange(
        at_ms=now_ms,
        previous=record.stage if record is not None else "",
        stage=decision.stage.value,
        kind=kind,
        reason=decision.message,
        run_id=run_id,
    )
    current = store.StageRecord(decision.stage.value, now_ms, kind, run_id)
    await db.call(store.save_change, change, current=current)
    return StartOutcome(decision.stage, now_ms, decision)


async def _live_start(
    db: Database,
    config: Config,
    record: store.StageRecord | None,
    state_dir: Path,
    run_id: str,
    now_ms: int,
    decision: StartDecision,
) -> StartOutcome:
    digest = approval.strategy_digest(config)
    if record is not None and record.stage == Mode.LIVE.value and record.approved_digest == digest:
        return StartOutcome(Mode.LIVE, record.since_ms, decision)  # an approved live restarting
    try:
        granted = approval.verify(approval.read(state_dir), digest=digest, now_ms=now_ms)
    except approval.NotApproved as exc:
        raise StageRefused(exc.code, str(exc)) from None
    change = store.StageChange(
        at_ms=now_ms,
        previous=record.stage if record is not None else "",
        stage=Mode.LIVE.value,
        kind="live_start",
        reason=f"promotion approved by run {granted.from_run_id} ({granted.reason})",
        uid=granted.by_uid,
        run_id=run_id,
        detail=msgspec.json.encode(granted).decode(),
    )
    current = store.StageRecord(Mode.LIVE.value, now_ms, "live_start", run_id, digest)
    await db.call(store.save_change, change, current=current)
    approval.consume(state_dir, run_id)
    message = f"live start approved by testnet run {granted.from_run_id}"
    return StartOutcome(
        Mode.LIVE, now_ms, StartDecision(Mode.LIVE, "approved", message), granted.from_run_id
    )
