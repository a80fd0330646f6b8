"""The daemon's stage: where it runs now, and the moves: promote and degrade.

A promotion within the network switches the executor in the running daemon (see
``stage_switch``), persists the new stage before it is acknowledged, and tells the log, the
alerts and the run log. A promotion to live is never in-process: it records an approval the
live start requires (``stages.approval``). A degrade is always allowed and always switches.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import anyio
import anyio.abc
import msgspec

from peaktrade.alerts.event import Identity
from peaktrade.config import LoadedConfig, Mode, Network
from peaktrade.control.peers import Peer
from peaktrade.control.protocol import (
    Check,
    Degrade,
    Promote,
    PromotionResult,
)
from peaktrade.control.server import CommandError
from peaktrade.core.events import DaemonEvent
from peaktrade.daemon import stages_view
from peaktrade.daemon.clock import now_ms
from peaktrade.daemon.stage_switch import EXECUTOR_OF, SwitchAborted, SwitchReport, resume
from peaktrade.daemon.stage_switch import switch_executor as switch
from peaktrade.log import get_logger, set_run_context
from peaktrade.redaction import redact_text
from peaktrade.stages import store
from peaktrade.stages.gate import StartOutcome, resolve_start
from peaktrade.stages.ladder import (
    MoveKind,
    MoveRefused,
    ceiling,
    check_degrade,
    check_promotion,
)
from peaktrade.stages.promotion_checks import evaluate, passed
from peaktrade.stages.recorder import DivergenceRecorder

if TYPE_CHECKING:
    from peaktrade.config import Config
    from peaktrade.daemon.app import Daemon
    from peaktrade.daemon.venue_stack import VenueStack

log = get_logger("peaktrade.stages")

_NOTED = {"degraded", "raised_by_config", "kept_degrade", "resumed", "approved"}


class StageControl:
    """Constructed by ``open`` once the database is up, before anything trades."""

    def __init__(self, daemon: Daemon, start: StartOutcome) -> None:
        self.daemon = daemon
        self.start = start
        self.current = start.stage
        self.since_ms = start.since_ms
        self.lock = anyio.Lock()
        self.recorder: DivergenceRecorder | None = None
        self.task_group: anyio.abc.TaskGroup | None = None
        self._refresher: anyio.CancelScope | None = None

    @classmethod
    async def open(cls, daemon: Daemon) -> StageControl:
        """Raises ``gate.StageRefused`` when this start must not happen (live not approved)."""
        assert daemon.db is not None
        start = await resolve_start(
            daemon.db,
            daemon.config,
            state_dir=daemon.state_dir,
            run_id=daemon.run_id,
            now_ms=now_ms(),
        )
        set_run_context(mode=start.stage.value)
        return cls(daemon, start)

    def staged(self, loaded: LoadedConfig) -> LoadedConfig:
        """The config as it runs: the file's, with the current stage as the mode."""
        config = loaded.config
        run = msgspec.structs.replace(config.run, mode=self.current)
        return msgspec.structs.replace(loaded, config=msgspec.structs.replace(config, run=run))

    def attach(self) -> None:
        """Measure divergence from the first order on: call as soon as the order path exists."""
        d = self.daemon
        assert d.db is not None and d.stack is not None and d.stack.path is not None
        recorder = DivergenceRecorder(
            d.db,
            stage=lambda: (self.current.value, EXECUTOR_OF[self.current]),
            slippage_bps=lambda: d.config.paper.slippage_bps,
            now_ms=now_ms,
        )
        d.stack.quotes.subscribe(recorder.on_quote)
        d.stack.path.fill_listeners.append(recorder.on_fill)
        d.stack.path.order_listeners.append(recorder.on_order)
        self.recorder = recorder

    async def run(
        self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED
    ) -> None:
        """Keep the samples; say how the start chose its stage (once the run log listens)."""
        if self.recorder is None:
            self.attach()
        assert self.recorder is not None
        decision = self.start.decision
        log.info("stage", stage=self.current.value, note=decision.note, detail=decision.message)
        if decision.note in _NOTED:
            self.event("stage.start_changed", "WARNING", decision.message, {"note": decision.note})
        async with anyio.create_task_group() as tg:
            self.task_group = tg
            tg.start_soon(self.recorder.run)
            task_status.started()
            await anyio.sleep_forever()

    async def promote(self, request: Promote, peer: Peer) -> PromotionResult:
        target = Mode(request.to)
        self._started()
        if self.lock.locked():
            raise CommandError("stage.switch_in_progress", "another stage switch is under way")
        async with self.lock:
            previous = self.current
            config = self._config()
            try:
                kind = check_promotion(
                    previous,
                    target,
                    network=config.run.network,
                    top=self.top(),
                    live_from=frozenset(Network(n) for n in config.stages.live_from_networks),
                )
            except MoveRefused as exc:
                raise CommandError(exc.code, exc.message, exc.hint) from None
            facts = await stages_view.facts(self, target)
            checks = evaluate(config.stages.promotion, facts, open_orders=config.stages.open_orders)
            result = PromotionResult(
                kind="promote",
                previous=previous.value,
                target=target.value,
                applied=False,
                check_only=request.check_only,
                checks=checks,
                actions=[],
            )
            if request.check_only or not passed(checks):
                return result
            reason = redact_text(request.reason)
            if kind is MoveKind.APPROVAL:
                return await stages_view.approve_live(self, result, reason, peer)
            try:
                report = await switch(
                    self.stack(),
                    target,
                    timeout_s=config.stages.switch_timeout_s,
                    abort_on_leftovers=True,
                )
            except SwitchAborted as exc:
                raise CommandError(exc.code, exc.message, exc.hint) from None
            actions = await self._commit(target, "promote", reason, peer, report, checks)
            return msgspec.structs.replace(result, applied=True, actions=actions)

    async def degrade(self, request: Degrade, peer: Peer) -> PromotionResult:
        target = Mode(request.to)
        self._started()
        async with self.lock:  # a promotion under way finishes first (bounded by its timeout)
            previous = self.current
            try:
                check_degrade(previous, target)
            except MoveRefused as exc:
                raise CommandError(exc.code, exc.message, exc.hint) from None
            report = await switch(
                self.stack(),
                target,
                timeout_s=self._config().stages.switch_timeout_s,
                abort_on_leftovers=False,
            )
            actions = await self._commit(
                target, "degrade", redact_text(request.reason), peer, report, []
            )
            if report.left_open:
                self.event(
                    "stage.orders_left_open",
                    "CRITICAL",
                    f"degrade to {target.value} left {len(report.left_open)} order(s) of "
                    f"{previous.value} open: {', '.join(report.left_open[:5])}",
                    {"orders": len(report.left_open)},
                )
            return PromotionResult(
                kind="degrade",
                previous=previous.value,
                target=target.value,
                applied=True,
                check_only=False,
                checks=[],
                actions=actions,
            )

    # --- the move ---------------------------------------------------------------------

    async def _commit(
        self,
        target: Mode,
        kind: str,
        reason: str,
        peer: Peer,
        report: SwitchReport,
        checks: list[Check],
    ) -> list[str]:
        """Persist, then point everything at the new stage, then reopen the path."""
        d = self.daemon
        stack = self.stack()
        assert d.db is not None
        previous = self.current
        now = now_ms()
        detail = {"checks": msgspec.to_builtins(checks), "report": msgspec.to_builtins(report)}
        change = store.StageChange(
            at_ms=now,
            previous=previous.value,
            stage=target.value,
            kind=kind,
            reason=reason,
            uid=peer.uid,
            pid=peer.pid,
            run_id=d.run_id,
            detail=msgspec.json.encode(detail).decode(),
        )
        record = store.StageRecord(target.value, now, kind, d.run_id)
        await d.db.call(store.save_change, change, current=record)
        self.current, self.since_ms = target, now
        d.loaded = self.staged(d.loaded)
        set_run_context(mode=target.value)
        stack.config = d.config
        if d.alerts is not None:
            mode, network = d.identity()
            d.alerts.identity = Identity(mode=mode, network=network, run_id=d.run_id)
        self._follow_balances(target)
        actions = [f"cancelled {report.cancelled} open order(s) of {previous.value}"]
        if report.left_open:
            actions.append(f"LEFT OPEN: {', '.join(report.left_open)}")
        actions.append(f"executor: {EXECUTOR_OF[previous]} -> {EXECUTOR_OF[target]}")
        if report.reconciled:
            resume(stack)
            actions.append(
                "reconciled: "
                + ("; ".join(report.problems) if report.problems else "journal matches")
            )
        else:
            assert self.task_group is not None
            self.task_group.start_soon(stack.reconcile_until_done)
            actions.append(f"NOT reconciled yet, orders blocked: {'; '.join(report.problems)}")
        actions.append(f"stage {previous.value} -> {target.value} persisted")
        message = f"stage {previous.value} -> {target.value} ({kind}, uid {peer.uid}): {reason}"
        code = "stage.promoted" if kind == "promote" else "stage.degraded"
        self.event(code, "WARNING", message, {"previous": previous.value, "stage": target.value})
        d.notifier.status(d.status_line())
        log.warning("stage_changed", previous=previous.value, stage=target.value, kind=kind)
        return actions

    def _follow_balances(self, target: Mode) -> None:
        """An exchange stage reached in-process needs the balance reads its start would run."""
        stack = self.stack()
        exchange = EXECUTOR_OF[target] == "exchange"
        if self._refresher is not None and not exchange:
            self._refresher.cancel()
            self._refresher = None
        started_on_exchange = stack.private is not None
        if exchange and self._refresher is None and not started_on_exchange:
            assert self.task_group is not None and stack.venue is not None
            scope = anyio.CancelScope()
            self._refresher = scope
            venue = stack.venue

            async def refresh() -> None:
                with scope:
                    await stack.refresh_balances(venue)

            self.task_group.start_soon(refresh)

    # --- parts ------------------------------------------------------------------------

    def _started(self) -> None:
        if self.task_group is None:
            raise CommandError("daemon.starting", "stages are not up yet", "retry shortly")

    def stack(self) -> VenueStack:
        stack = self.daemon.stack
        if stack is None or stack.path is None:
            raise CommandError("daemon.starting", "the order path is not up yet", "retry shortly")
        return stack

    def _config(self) -> Config:
        """The config in force (its mode is the current stage; ``file_run`` is the file's)."""
        return self.daemon.config

    def top(self) -> Mode:
        top = self.daemon.config.stages.max_stage
        return ceiling(self.daemon.file_run.mode, Mode(top) if top is not None else None)

    def event(
        self, code: str, level: str, message: str, context: dict[str, str | int | float | bool]
    ) -> None:
        self.daemon.emit(
            DaemonEvent(
                code=code,
                level=level,
                message=message,
                ts_ms=now_ms(),
                context=context,
                dedupe_key=f"{code}:{now_ms()}",
            )
        )
