"""What each control command does; the socket server handles everything around it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from peaktrade import __version__
from peaktrade.alerts.service import AlertService
from peaktrade.control.peers import Peer
from peaktrade.control.protocol import (
    AlertAck,
    AlertsQuery,
    AlertsTest,
    AnyRequest,
    AnyResult,
    AuditQuery,
    AuditRecord,
    AuditResult,
    ChecksRun,
    Degrade,
    DrillsQuery,
    Health,
    Kill,
    OrderCancel,
    OrderPreview,
    OrdersQuery,
    OrderSubmit,
    PortfolioQuery,
    Promote,
    PromotionResult,
    Reduce,
    Release,
    RiskApproveReload,
    RiskQuery,
    RiskViolationsQuery,
    RunEventsQuery,
    RunShow,
    RunsQuery,
    StageQuery,
    StateResult,
    Status,
    StatusResult,
    StrategyPreview,
    StrategyPreviewResult,
    Transition,
    command_name,
)
from peaktrade.control.server import CommandError
from peaktrade.core import auto_kill
from peaktrade.core import trading_state as ts
from peaktrade.daemon import (
    alerts_view,
    checks,
    drills_view,
    health,
    orders_view,
    risk_view,
    runs_view,
    stages_view,
)
from peaktrade.daemon.clock import now_ms
from peaktrade.daemon.risk_service import RiskService
from peaktrade.daemon.stage_control import StageControl
from peaktrade.execution.engine import OrderPath
from peaktrade.log import get_logger
from peaktrade.redaction import redact, redact_text
from peaktrade.store import audit, journal
from peaktrade.store.db import StoreFailed
from peaktrade.strategy.base import StrategyError

if TYPE_CHECKING:
    from peaktrade.daemon.app import Daemon

log = get_logger("peaktrade.commands")


class Commands:
    """The dispatch function of the control server."""

    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon

    async def __call__(self, request: AnyRequest, peer: Peer) -> AnyResult:
        try:
            return await self._dispatch(request, peer)
        except StoreFailed:
            raise CommandError(
                "store.failed",
                "the state database failed: nothing was changed and the daemon is stopping",
                "it exits 74; a restart recovers the journal and reconciles",
            ) from None

    async def _dispatch(self, request: AnyRequest, peer: Peer) -> AnyResult:
        match request:
            case Health():
                return health.collect(self.daemon)
            case Status():
                return await self._status()
            case AuditQuery(limit=limit):
                return await self._audit_query(limit)
            case Kill() | Reduce() | Release() | OrderSubmit() | OrderCancel():
                return await self._audited(request, peer)
            case OrderPreview(order=spec):
                return orders_view.preview(self._path(), spec)
            case StrategyPreview():
                return self._strategy_preview()
            case OrdersQuery(open_only=open_only, limit=limit):
                return await orders_view.query(self._path(), open_only=open_only, limit=limit)
            case PortfolioQuery() as q:
                return await risk_view.portfolio(
                    self._risk(),
                    with_risk=q.with_risk,
                    starting_cash=q.starting_cash,
                    history=q.history,
                    since_ms=q.since_ms,
                    limit=q.limit,
                )
            case RiskQuery():
                return await risk_view.risk_status(self._risk())
            case RiskViolationsQuery(since_ms=since, limit=limit):
                return await risk_view.violation_list(self._risk(), since_ms=since, limit=limit)
            case AlertsQuery(since_ms=since, min_level=level, limit=limit):
                return await alerts_view.history(
                    self._alerts(), since_ms=since, min_level=level, limit=limit
                )
            case RiskApproveReload() | AlertAck() | AlertsTest():
                return await self._audited(request, peer)
            case RunsQuery() | RunShow() | RunEventsQuery():
                return await runs_view.answer(self.daemon, request)
            case DrillsQuery():
                assert self.daemon.db is not None
                return await drills_view.answer(self.daemon.db, request)
            case StageQuery():
                return await stages_view.query(self._stages())
            case Promote() | Degrade():
                return await self._audited(request, peer)
            case ChecksRun(preset=preset):
                return await checks.run_preset(self.daemon, preset)
        raise CommandError("request.unsupported", f"{command_name(request)} is not handled")

    def _risk(self) -> RiskService:
        stack = self.daemon.stack
        if stack is None:
            raise CommandError("daemon.starting", "the risk layer is not up yet", "retry shortly")
        return stack.risk

    def _stages(self) -> StageControl:
        if self.daemon.stages is None:
            raise CommandError("daemon.starting", "stages are not up yet", "retry shortly")
        return self.daemon.stages

    def _alerts(self) -> AlertService:
        if self.daemon.alerts is None:
            raise CommandError("daemon.starting", "alerting is not up yet", "retry shortly")
        return self.daemon.alerts

    def _path(self) -> OrderPath:
        stack = self.daemon.stack
        if stack is None or stack.path is None:
            raise CommandError("daemon.starting", "the order path is not up yet", "retry shortly")
        return stack.path

    def _strategy_preview(self) -> StrategyPreviewResult:
        runner = self.daemon.strategy
        if runner is None:
            raise CommandError("daemon.starting", "the strategy is not up yet", "retry shortly")
        try:
            name, screened = runner.preview()
        except StrategyError as exc:
            raise CommandError(exc.code, str(exc), "retry shortly") from None
        return StrategyPreviewResult(
            strategy=name, decisions=[orders_view.decision(s) for s in screened]
        )

    async def _status(self) -> StatusResult:
        d = self.daemon
        path = d.stack.path if d.stack else None
        live = (
            await d.db.recall(journal.count_live, executor=path.executor.name)
            if d.db is not None and path is not None
            else 0
        )
        assert d.switch is not None
        last = d.switch.last
        return StatusResult(
            state=d.switch.state.value,
            reason=last.reason if last else "",
            since_ms=last.at_ms if last else d.started_at_ms,
            last_change=transition(last) if last else None,
            pid=d.pid,
            started_at_ms=d.started_at_ms,
            version=__version__,
            account=d.config.run.account_label,
            market_data=health.market_data_line(d),
            open_orders=live,
            orders_in_doubt=len(path.unknown) if path is not None else 0,
            reconciled=bool(d.stack and d.stack.reconciled),
        )

    async def _audit_query(self, limit: int) -> AuditResult:
        assert self.daemon.db is not None
        entries = await self.daemon.db.call(audit.recent, limit)
        return AuditResult(entries=[AuditRecord(**msgspec.structs.asdict(e)) for e in entries])

    async def _audited(
        self,
        request: Kill
        | Reduce
        | Release
        | OrderSubmit
        | OrderCancel
        | RiskApproveReload
        | AlertAck
        | AlertsTest
        | Promote
        | Degrade,
        peer: Peer,
    ) -> AnyResult:
        """Mutating commands: perform, then record who asked and what came of it (a state
        change records it in its own transaction)."""
        outcome = "ok"
        recorded = False
        try:
            match request:
                case OrderSubmit(order=spec):
                    result = await orders_view.submit(self._path(), spec)
                    outcome = "ok" if result.decisions[0].allowed else "refused:risk"
                    return result
                case OrderCancel(client_order_id=cid):
                    cancelled = await orders_view.cancel(self._path(), cid)
                    outcome = f"{cancelled.outcome}:{cancelled.code}".rstrip(":")
                    return cancelled
                case RiskApproveReload():
                    if not self._risk().approve_reload():
                        raise CommandError(
                            "risk.no_pending_reload", "no reload is waiting for approval"
                        )
                    return await risk_view.risk_status(self._risk())
                case AlertAck(alert_id=alert_id):
                    return await alerts_view.ack(self._alerts(), alert_id, f"uid:{peer.uid}")
                case AlertsTest(sink=sink):
                    tested = await alerts_view.test(self._alerts(), sink)
                    self.daemon.check_state.remember_alert_test(tested)
                    return tested
                case Promote() | Degrade():
                    moved = await self._stage_move(request, peer)
                    outcome = _move_outcome(moved)
                    return moved
                case Kill() | Reduce() | Release():
                    entry = _entry(request, peer, "ok")
                    moved_to = await self._transition(request, peer, entry)
                    recorded = True
                    _log_audit(entry)
                    return moved_to
        except CommandError as exc:
            outcome = f"refused:{exc.code}"
            raise
        except Exception as exc:
            outcome = f"error:{type(exc).__name__}"
            raise
        finally:
            if not recorded:
                await self._record(request, peer, outcome)

    async def _stage_move(self, request: Promote | Degrade, peer: Peer) -> PromotionResult:
        if isinstance(request, Promote):
            return await self._stages().promote(request, peer)
        return await self._stages().degrade(request, peer)

    async def _transition(
        self, request: Kill | Reduce | Release, peer: Peer, entry: audit.AuditEntry
    ) -> StateResult:
        switch = self.daemon.switch
        assert switch is not None
        actor = ts.Actor(source="ptctl", uid=peer.uid, pid=peer.pid)
        at = now_ms()
        reason = redact_text(request.reason)  # a pasted secret must not reach disk or replies
        try:
            match request:
                case Kill(cancel_open=cancel_open, flatten=flatten):
                    change = await switch.apply(
                        lambda s: ts.kill(
                            s,
                            reason=reason,
                            actor=actor,
                            now_ms=at,
                            cancel_open=cancel_open,
                            flatten=flatten,
                        ),
                        entry,
                    )
                case Reduce():
                    change = await switch.apply(
                        lambda s: ts.reduce(s, reason=reason, actor=actor, now_ms=at), entry
                    )
                case Release():
                    reopen = self.daemon.stack.risk.limits.reopen if self.daemon.stack else None
                    change = await switch.apply(
                        lambda s: (
                            auto_kill.release(
                                switch.last, reopen, reason=reason, actor=actor, now_ms=at
                            )
                            if reopen is not None
                            else ts.release(s, reason=reason, actor=actor, now_ms=at)
                        ),
                        entry,
                    )
        except ts.TransitionRefused as exc:
            raise CommandError(exc.code, str(exc)) from None
        log.warning(
            "trading_state_changed",
            previous=change.previous.value,
            state=change.state.value,
            reason=change.reason,
            by_uid=peer.uid,
            by_pid=peer.pid,
            cancel_open=change.cancel_open,
            flatten=change.flatten,
        )
        self.daemon.notifier.status(self.daemon.status_line())
        return StateResult(transition=transition(change))

    async def audit_refusal(self, request: AnyRequest, peer: Peer, code: str) -> None:
        """Refused mutating commands are audited too; refused reads are only logged."""
        if request.command_class.value != "read":
            await self._record(request, peer, f"refused:{code}")

    async def _record(self, request: AnyRequest, peer: Peer, outcome: str) -> None:
        assert self.daemon.db is not None
        entry = _entry(request, peer, outcome)
        try:
            await self.daemon.db.call(audit.record, entry)
        except StoreFailed:
            log.error("audit_not_recorded", command=entry.command, outcome=outcome)
            return
        _log_audit(entry)


def _log_audit(entry: audit.AuditEntry) -> None:
    log.info("audit", command=entry.command, outcome=entry.outcome, uid=entry.uid, pid=entry.pid)


def _entry(request: AnyRequest, peer: Peer, outcome: str) -> audit.AuditEntry:
    """Who asked for what, and what came of it; the request's fields redacted."""
    return audit.AuditEntry(
        at_ms=now_ms(),
        command=command_name(request),
        command_class=request.command_class.value,
        uid=peer.uid,
        gid=peer.gid,
        pid=peer.pid,
        outcome=outcome,
        detail=msgspec.json.encode(redact(msgspec.to_builtins(request))).decode(),
    )


def transition(change: ts.StateChange) -> Transition:
    return Transition(
        previous=change.previous.value,
        state=change.state.value,
        reason=change.reason,
        source=change.actor.source,
        uid=change.actor.uid,
        pid=change.actor.pid,
        at_ms=change.at_ms,
        cancel_open=change.cancel_open,
        flatten=change.flatten,
    )


def _move_outcome(result: PromotionResult) -> str:
    """The audit outcome of a promote or degrade: done, only checked, or refused by its checks."""
    if result.check_only:
        return "checked:pass" if all(c.level != "fail" for c in result.checks) else "checked:fail"
    return "ok" if result.applied else "refused:stage.checks_failed"
