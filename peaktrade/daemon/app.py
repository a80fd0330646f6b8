"""The daemon: wiring, lifecycle and signals in one readable place.

Start: config -> live gate -> state database -> trading latch -> socket -> tasks -> READY=1.
Stop: the first SIGTERM/SIGINT stops new orders, lets in-flight work finish, flushes and exits 0;
a second one exits at once. SIGHUP reloads the config, keeping the old one if the new is bad.
"""

from __future__ import annotations

import gc
import os
import secrets
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import anyio
import anyio.abc
import anyio.to_thread
import msgspec

from peaktrade import __version__
from peaktrade.alerts.emitters import daemon_event_listener, state_change_listener
from peaktrade.alerts.service import AlertService
from peaktrade.config import Config, ConfigError, LoadedConfig, load_config
from peaktrade.control.peers import PeerPolicy
from peaktrade.control.server import ControlServer
from peaktrade.control.socket_file import (
    SocketInUse,
    acquire_lock,
    bind_control_socket,
    release_lock,
    remove_socket,
)
from peaktrade.core.events import DaemonEvent
from peaktrade.core.reload_policy import ReloadPlan
from peaktrade.core.trading_state import StateChange, TradingState
from peaktrade.credentials import register_environment_secrets
from peaktrade.daemon import chaos, paths
from peaktrade.daemon.arming import LiveRefused, check_live_arming
from peaktrade.daemon.checks import CheckState, run_checks
from peaktrade.daemon.clock import now_ms
from peaktrade.daemon.commands import Commands
from peaktrade.daemon.health_watch import watch_health
from peaktrade.daemon.looplag import LoopLag
from peaktrade.daemon.observability import run_observability
from peaktrade.daemon.sdnotify import Notifier
from peaktrade.daemon.stage_control import StageControl
from peaktrade.daemon.strategy_runner import StrategyRunner, build_runner
from peaktrade.daemon.trading import TradingSwitch
from peaktrade.daemon.venue_stack import VenueStack
from peaktrade.execution.kill_actions import cancel_open as cancel_open_orders
from peaktrade.execution.kill_actions import flatten as flatten_positions
from peaktrade.log import configure_logging, get_logger, set_run_context
from peaktrade.stages.gate import StageRefused
from peaktrade.store.audit import AuditEntry
from peaktrade.store.audit import record as audit_record
from peaktrade.store.db import Database, db_path
from peaktrade.strategy.base import StrategyError

log = get_logger("peaktrade.daemon")

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_FORCED = 1
EXIT_IOERR = 74  # EX_IOERR: the state database failed; restart recovers and reconciles
EXIT_CONFIG = 78  # EX_CONFIG: systemd's RestartPreventExitStatus keeps a bad config from looping

# Sections whose change needs a restart: they decide what and where we trade.
RESTART_ONLY = (
    "run",
    "live",
    "exchange",
    "strategy",
    "daemon",
    "sim",
    "paper",
    "market_data",
    "live_alerts",
    "account_sync",
    "execution",
    "portfolio",
    "run_log",
    "dashboard",
    "metrics",
    "stages",
)
_LOG_LEVELS = {"INFO": "info", "WARNING": "warning", "CRITICAL": "error"}


class Daemon:
    """One process, one network, one state database, one task group."""

    def __init__(self, loaded: LoadedConfig, state_dir: Path, socket_path: Path) -> None:
        self.loaded = loaded
        self.state_dir = state_dir
        self.socket_path = socket_path
        self.run_id = f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{secrets.token_hex(3)}"
        self.pid = os.getpid()
        self.started_at_ms = now_ms()
        self.notifier = Notifier()
        self.looplag = LoopLag()
        self.stopping = False
        self.drainers: list[Callable[[], Awaitable[None]]] = []
        self.event_listeners: list[Callable[[DaemonEvent], None]] = []
        self.db: Database | None = None
        self.switch: TradingSwitch | None = None
        self.server: ControlServer | None = None
        self.stack: VenueStack | None = None
        self.strategy: StrategyRunner | None = None
        self.alerts: AlertService | None = None
        self.exit_reason = "running"
        self.exit_code = EXIT_OK
        self.task_group: anyio.abc.TaskGroup | None = None
        self.file_run = loaded.config.run  # the file's run section; the mode in force is the stage
        self.stages: StageControl | None = None
        self.check_state = CheckState()  # what health reads from memory (clock, alert test)

    @property
    def config(self) -> Config:
        return self.loaded.config

    def identity(self) -> tuple[str, str]:
        return self.config.run.mode.value, self.config.run.network.value

    def healthy(self) -> bool:
        """What the watchdog vouches for: a responsive loop and a daemon not shutting down."""
        return (
            not self.stopping and self.looplag.current_s() < self.config.daemon.loop_lag_unhealthy_s
        )

    def policy(self) -> PeerPolicy:
        allow = self.config.control.allow
        return PeerPolicy(
            owner_uid=os.getuid(), read=allow.read, trade=allow.trade, kill=allow.kill
        )

    async def run(self) -> int:
        try:
            lock_fd = acquire_lock(self.socket_path)
        except SocketInUse as exc:
            log.error("daemon_refused", reason=str(exc))
            return EXIT_FAILURE
        try:
            self.db = Database(db_path(self.state_dir, self.config.run.network.value))
            self.db.failure_listeners.append(self._store_failed)
            self.switch = await TradingSwitch.load(self.db)
            try:
                self.stages = await StageControl.open(self)
            except StageRefused as exc:
                log.error("stage_refused", code=exc.code, reason=str(exc))
                print(f"peaktrade: {exc}", file=sys.stderr)
                return EXIT_CONFIG
            self.loaded = self.stages.staged(self.loaded)
            sock = bind_control_socket(self.socket_path, self.config.control.group)
            return await self._serve(sock)
        finally:
            remove_socket(self.socket_path)
            release_lock(lock_fd)
            if self.db is not None:
                self.db.close()
            self.notifier.close()

    def emit(self, event: DaemonEvent) -> None:
        """Where every part's events go: the log now; alerts and the run log subscribe."""
        level = _LOG_LEVELS.get(event.level, "info")
        getattr(log, level)(
            event.code,
            message=event.message,
            resolved=event.resolved,
            **{f"ctx_{k}": v for k, v in event.context.items()},
        )
        for listener in self.event_listeners:
            listener(event)

    def _store_failed(self, exc: BaseException) -> None:
        """Fail-stop: no new orders from this instant, a critical alert, then exit 74."""
        log.critical("store_failed", error=str(exc), database=str(self.db.path if self.db else ""))
        self.exit_code = EXIT_IOERR
        self.exit_reason = f"state database failed: {exc}"[:200]
        self.stopping = True
        if self.stack is not None and self.stack.path is not None:
            self.stack.path.stopping = True
        self.emit(
            DaemonEvent(
                code="store.failed",
                level="CRITICAL",
                message=f"state database failed ({exc}); no new orders; the daemon stops and "
                "a restart recovers and reconciles",
                ts_ms=now_ms(),
                dedupe_key="store.failed",
            )
        )
        self.notifier.status("state database failed: stopping")
        if self.task_group is not None:
            self.task_group.start_soon(self._drain_then_cancel, self.task_group.cancel_scope)

    def _kill_actions(self, change: StateChange) -> None:
        """Every kill, an operator's or the risk layer's, cancels and flattens as it says: the
        one place that does it, scheduled after the latch is durable (an operator's reply is
        not held up by the cancellations)."""
        if change.state is TradingState.HALTED and (change.cancel_open or change.flatten):
            self.after_kill(cancel_open=change.cancel_open, flatten=change.flatten)

    def after_kill(self, *, cancel_open: bool, flatten: bool) -> None:
        """Cancel and flatten after the kill is durable and acknowledged, not before."""
        if self.task_group is None or self.stack is None or self.stack.path is None:
            return
        path, contingent = self.stack.path, self.stack.contingent

        async def follow_up() -> None:
            if cancel_open:
                await cancel_open_orders(path, contingent)
            if flatten:
                await flatten_positions(path)

        self.task_group.start_soon(follow_up)

    async def _serve(self, sock: object) -> int:
        assert self.db is not None and self.switch is not None
        control = self.config.control
        commands = Commands(self)
        self.server = ControlServer(
            dispatch=commands,
            policy=self.policy(),
            identity=self.identity,
            request_timeout_s=control.request_timeout_s,
            idle_timeout_s=control.idle_timeout_s,
            max_connections=control.max_connections,
            on_refused=commands.audit_refusal,
        )
        self.stack = VenueStack(
            config=self.config,
            db=self.db,
            switch=self.switch,
            events=self.emit,
            now_ms=now_ms,
            account_label=self.config.run.account_label,
        )
        try:
            strategy = build_runner(
                self.stack,
                self.config.strategy,
                quote_currency=self.config.exchange.quote_currency,
                events=self.emit,
                now_ms=now_ms,
            )
        except StrategyError as exc:
            log.error("strategy_refused", code=exc.code, reason=str(exc))
            return EXIT_CONFIG
        self.strategy = strategy
        mode, network = self.identity()
        self.alerts = AlertService.from_config(
            self.config.live_alerts, db=self.db, mode=mode, network=network, run_id=self.run_id
        )
        async with anyio.create_task_group() as tg:
            self.task_group = tg
            tg.start_soon(self._signals, tg.cancel_scope)
            tg.start_soon(self.looplag.run)
            tg.start_soon(self.db.checkpoints)
            if chaos.enabled():
                tg.start_soon(chaos.chaos_hooks)
            await tg.start(self.alerts.run)
            self.switch.subscribe(state_change_listener(self.alerts))
            self.switch.subscribe(self._kill_actions)
            self.event_listeners.append(daemon_event_listener(self.alerts))
            await tg.start(self.server.serve, sock)
            tg.start_soon(self.notifier.watchdog, self.healthy)
            await tg.start(self.stack.run)
            assert self.stages is not None
            self.stages.attach()  # before any order can be sent
            tg.start_soon(strategy.run)
            await tg.start(run_observability, self)
            await tg.start(self.stages.run)
            tg.start_soon(run_checks, self)
            assert self.stack.path is not None
            self.drainers.append(self.stack.path.drain)
            state = self.switch.state
            log.info(
                "daemon_started",
                pid=self.pid,
                version=__version__,
                state=state.value,
                reason=self.switch.last.reason if self.switch.last else "",
                socket=str(self.socket_path),
                database=str(self.db.path),
                config=self.loaded.path,
                config_digest=self.loaded.digest,
            )
            self.drainers.append(self._stop_alerts)
            with anyio.move_on_after(self.config.daemon.ready_timeout_s):
                await self.stack.ready.wait()
            if not self.stack.ready.is_set():
                log.error("not_reconciled_at_ready", detail=self.stack.reconcile_error)
            # everything built at start-up lives as long as the process: keep the collector
            # from walking it again on every full collection (15-20 ms pauses under load)
            gc.collect()
            gc.freeze()
            self.notifier.ready(self.status_line())
            tg.start_soon(watch_health, self)  # after start-up, which fails health by design
            self.alerts.alert(
                "daemon.started",
                f"peaktrade {__version__} started: {self.status_line()}",
                source="daemon",
                key=self.run_id,
                context={"pid": self.pid, "config_digest": self.loaded.digest},
            )
        log.info("daemon_stopped", run_id=self.run_id, exit_code=self.exit_code)
        return self.exit_code

    async def _stop_alerts(self) -> None:
        """Last drainer: say we are stopping, then deliver what is queued (bounded)."""
        assert self.alerts is not None
        self.alerts.alert(
            "daemon.stopped",
            f"peaktrade stopping ({self.exit_reason})",
            source="daemon",
            key=self.run_id,
        )
        await self.alerts.drain(timeout_s=min(3.0, self.config.daemon.shutdown_timeout_s / 2))

    def status_line(self) -> str:
        mode, network = self.identity()
        state = self.switch.state.value if self.switch else "?"
        line = f"{mode}@{network} {state}"
        if self.stack is not None and not self.stack.reconciled:
            line += " (not reconciled: orders blocked)"
        return line

    async def _signals(self, scope: anyio.CancelScope) -> None:
        with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT, signal.SIGHUP) as received:
            async for signum in received:
                if signum == signal.SIGHUP:
                    await self.reload()
                elif self.stopping:
                    log.warning("forced_exit", signal=signal.Signals(signum).name)
                    os._exit(EXIT_FORCED)
                else:
                    log.info("stopping", signal=signal.Signals(signum).name)
                    self.exit_reason = f"signal {signal.Signals(signum).name}"
                    self.stopping = True
                    self.notifier.stopping()
                    async with anyio.create_task_group() as drain:
                        drain.start_soon(self._drain_then_cancel, scope)
                        # keep listening: a second signal during the drain forces the exit
                        async for again in received:
                            if again == signal.SIGHUP:
                                continue
                            log.warning("forced_exit", signal=signal.Signals(again).name)
                            os._exit(EXIT_FORCED)

    async def _drain_then_cancel(self, scope: anyio.CancelScope) -> None:
        with anyio.move_on_after(self.config.daemon.shutdown_timeout_s) as budget:
            for drain in self.drainers:
                await drain()
        if budget.cancelled_caught:
            log.warning("drain_incomplete", budget_s=self.config.daemon.shutdown_timeout_s)
        scope.cancel()

    async def reload(self) -> list[str]:
        """Re-read the config file; returns the problems that kept the old one in force."""
        try:
            new = await anyio.to_thread.run_sync(load_config, self.loaded.path)
        except ConfigError as exc:
            log.error("reload_refused", problems=exc.problems, kept=self.loaded.digest)
            self._alert_reload(exc.problems)
            return exc.problems
        if self.stages is not None and new.config.run == self.file_run:
            new = self.stages.staged(new)  # the mode in force is the stage, not the file's
        changed = [s for s in RESTART_ONLY if getattr(new.config, s) != getattr(self.config, s)]
        if new.config.control.socket != self.config.control.socket:
            changed.append("control.socket")
        if new.config.control.group != self.config.control.group:
            changed.append("control.group")
        if changed:
            problems = [f"{s}: changes only on restart" for s in changed]
            log.error("reload_refused", problems=problems, kept=self.loaded.digest)
            self._alert_reload(problems)
            return problems
        self.loaded = new
        configure_logging(new.config.logging.level.value, new.config.logging.format.value)
        if self.server is not None:
            self.server.policy = self.policy()
            self.server.request_timeout_s = new.config.control.request_timeout_s
            self.server.idle_timeout_s = new.config.control.idle_timeout_s
            self.server.max_connections = new.config.control.max_connections
        if self.stack is not None:
            plan = self.stack.risk.propose_config(new.config)
            await self._audit_reload(plan)
        log.info("config_reloaded", config_digest=new.digest)
        if self.alerts is not None:
            self.alerts.alert(
                "config.reloaded",
                f"config reloaded ({new.digest})",
                source="daemon",
                key=new.digest,
            )
        return []

    async def _audit_reload(self, plan: ReloadPlan) -> None:
        """Every limit change of a reload is audited; loosening held for approval says so."""
        assert self.db is not None
        for change in plan.changes:
            held = change in plan.held
            entry = AuditEntry(
                at_ms=now_ms(),
                command="reload",
                command_class="kill",
                uid=os.getuid(),
                gid=os.getgid(),
                pid=self.pid,
                outcome="held:risk.reload_needs_approval" if held else "ok",
                detail=msgspec.json.encode(
                    {
                        "key": change.key,
                        "old": change.old,
                        "new": change.new,
                        "direction": change.direction.value,
                    }
                ).decode(),
            )
            await self.db.call(audit_record, entry)
        if plan.needs_approval:
            keys = ", ".join(c.key for c in plan.held)
            log.warning("risk_reload_held", keys=keys)
            self.emit(
                DaemonEvent(
                    code="risk.reload_held",
                    level="WARNING",
                    message=f"limits loosened beyond the reload policy are held: {keys}; "
                    "approve with: ptctl risk approve-reload --reason TEXT",
                    ts_ms=now_ms(),
                    dedupe_key="risk.reload_held",
                )
            )

    def _alert_reload(self, problems: list[str]) -> None:
        if self.alerts is not None:
            self.alerts.alert(
                "config.reload_refused",
                "reload refused, old config kept: " + "; ".join(problems[:5]),
                source="daemon",
            )


def run_daemon(config_path: str, state_dir: str | None, socket: str | None) -> int:
    """The ``peaktrade run`` entry point; returns the process exit code."""
    os.umask(0o077)  # state, journal and lock files are for the daemon's user only
    register_environment_secrets()
    try:
        loaded = load_config(config_path)
    except ConfigError as exc:
        for line in exc.problems:
            print(line, file=sys.stderr)
        print("peaktrade: refusing to start with this config", file=sys.stderr)
        return EXIT_CONFIG
    config = loaded.config
    configure_logging(config.logging.level.value, config.logging.format.value)
    daemon = Daemon(loaded, paths.state_dir(config, state_dir), paths.socket_path(config, socket))
    set_run_context(
        mode=config.run.mode.value,
        network=config.run.network.value,
        account=config.run.account_label,
        run_id=daemon.run_id,
    )
    try:
        check_live_arming(config)
    except LiveRefused as exc:
        log.error("live_refused", reason=str(exc))
        print(f"peaktrade: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    return anyio.run(daemon.run, backend="asyncio", backend_options={"use_uvloop": True})
