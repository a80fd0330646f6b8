"""The stage answers for ptctl: ``ptctl stage``, the promotion facts, the live approval."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import anyio.to_thread
import msgspec

from peaktrade.alerts.config import AlertLevel
from peaktrade.config import Mode
from peaktrade.control.peers import Peer
from peaktrade.control.protocol import PromotionResult, StageChangeView, StageResult
from peaktrade.core.orders import OrderState
from peaktrade.daemon.clock import now_ms
from peaktrade.daemon.stage_switch import EXECUTOR_OF
from peaktrade.stages import approval, store
from peaktrade.stages.divergence import summarize
from peaktrade.stages.ladder import LADDER
from peaktrade.stages.ladder import rank as stage_rank
from peaktrade.stages.promotion_checks import PromotionFacts
from peaktrade.store import journal

if TYPE_CHECKING:
    from peaktrade.daemon.stage_control import StageControl


async def query(control: StageControl) -> StageResult:
    d = control.daemon
    assert d.db is not None
    rows = await d.db.call(store.history, 20)
    index = stage_rank(control.current)
    pending = ""
    try:
        granted = approval.read(d.state_dir)
    except approval.NotApproved as exc:
        pending = str(exc)
    else:
        if granted is not None:
            pending = (
                f"approved by run {granted.from_run_id} for strategy {granted.strategy}, "
                f"valid until {_when(granted.expires_at_ms)}"
            )
    return StageResult(
        stage=control.current.value,
        configured=d.file_run.mode.value,
        max_stage=control.top().value,
        since_ms=control.since_ms,
        next_stage=LADDER[index + 1].value if index + 1 < len(LADDER) else "",
        history=[
            StageChangeView(
                at_ms=r.at_ms,
                previous=r.previous,
                stage=r.stage,
                kind=r.kind,
                reason=r.reason,
                uid=r.uid,
                run_id=r.run_id,
            )
            for r in rows
        ],
        live_approval=pending,
    )


async def facts(control: StageControl, target: Mode) -> PromotionFacts:
    """What the promotion checks judge, gathered from the daemon's parts now."""
    d = control.daemon
    stack = control.stack()
    assert d.db is not None and stack.path is not None
    orders = await d.db.call(store.orders_since, EXECUTOR_OF[control.current], control.since_ms)
    critical = (
        await d.alerts.history(since_ms=control.since_ms, min_level=AlertLevel.CRITICAL, limit=1000)
        if d.alerts is not None
        else []
    )
    live = await d.db.call(journal.live_orders, executor=stack.path.executor.name)
    doubtful = {
        o.client_order_id for o in live if o.state in (OrderState.PENDING, OrderState.UNKNOWN)
    }
    doubtful |= set(stack.path.unknown)
    try:
        drawdown: float | None = stack.risk.snapshot_now().drawdown_pct
    except Exception:  # the monitor not loaded yet
        drawdown = None
    samples = await d.db.call(store.samples_since, control.current.value, control.since_ms)
    onto_exchange = EXECUTOR_OF[target] == "exchange" != EXECUTOR_OF[control.current]
    carried = (
        [f"{s} {q:+g}" for s, q in sorted(stack.path.net_positions().items())]
        if onto_exchange
        else None
    )
    return PromotionFacts(
        stage=control.current.value,
        time_in_stage_s=max(0, now_ms() - control.since_ms) / 1000,
        orders=orders,
        critical_alerts=[r.code for r in reversed(critical)],
        open_orders=sum(1 for o in live if o.client_order_id not in doubtful),
        unresolved=len(doubtful),
        drawdown_pct=drawdown,
        divergence=summarize(samples),
        carried_positions=carried,
    )


async def approve_live(
    control: StageControl, result: PromotionResult, reason: str, peer: Peer
) -> PromotionResult:
    """Record the approved promotion to live: the file the live start needs, history, alert."""
    d = control.daemon
    assert d.db is not None
    config = d.config
    now = now_ms()
    granted = approval.LiveApproval(
        strategy_digest=approval.strategy_digest(config),
        strategy=config.strategy.name,
        exchange=config.exchange.id,
        symbols=list(config.exchange.symbols),
        from_run_id=d.run_id,
        from_network=config.run.network.value,
        approved_at_ms=now,
        expires_at_ms=now + int(config.stages.live_approval_valid_s * 1000),
        by_uid=peer.uid,
        reason=reason,
        checks=result.checks,
    )
    path = await anyio.to_thread.run_sync(approval.write, d.state_dir, granted)
    change = store.StageChange(
        at_ms=now,
        previous=control.current.value,
        stage=Mode.LIVE.value,
        kind="approve_live",
        reason=reason,
        uid=peer.uid,
        pid=peer.pid,
        run_id=d.run_id,
        detail=msgspec.json.encode(result.checks).decode(),
    )
    await d.db.call(store.save_change, change, current=None)
    message = (
        f"promotion to live approved from {control.current.value} run {d.run_id}: a live start "
        f"(armed and confirmed) may use it until {_when(granted.expires_at_ms)}"
    )
    control.event("stage.live_approved", "WARNING", message, {"by_uid": peer.uid})
    return msgspec.structs.replace(result, applied=True, approval=str(path), actions=[message])


def _when(ms: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(ms / 1000))
