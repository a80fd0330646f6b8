"""Observability wired into the daemon, in one place: the run log, the dashboard, /metrics.

Started right after the venue stack (``await tg.start(run_observability, daemon)``): the run
is recorded and every listener subscribed before it reports started, so no event of the run
is missed. Everything here only listens and reads; a listener never raises into the part
that called it, and a failure here is logged and alerted, never allowed to stop trading.
The run's stop is recorded in a shielded ``finally`` when the daemon cancels us at shutdown.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
import anyio.abc

from peaktrade import __version__
from peaktrade.core.events import DaemonEvent
from peaktrade.core.model import Fill
from peaktrade.core.orders import JournalOrder
from peaktrade.core.portfolio import LivePortfolioSnapshot
from peaktrade.core.trading_state import StateChange
from peaktrade.credentials import read_credential
from peaktrade.daemon import health, orders_view
from peaktrade.daemon.clock import now_ms
from peaktrade.dashboard import view as v
from peaktrade.dashboard.access import is_loopback, loopback_hosts
from peaktrade.dashboard.feed import ViewFeed
from peaktrade.dashboard.recent import Recent
from peaktrade.dashboard.server import build_app, serve
from peaktrade.log import get_logger
from peaktrade.metrics.collector import build_registry, render
from peaktrade.metrics.counters import Counters
from peaktrade.runlog import events as ev
from peaktrade.runlog.logger import LiveRunLogger
from peaktrade.runlog.provenance import git_commit
from peaktrade.store import journal
from peaktrade.store.alerts import AlertRow

if TYPE_CHECKING:
    from peaktrade.alerts.service import AlertStats
    from peaktrade.daemon.app import Daemon

log = get_logger("peaktrade.observability")

T = TypeVar("T")
_RECENT_FILLS_MS = 3_600_000  # fills of the last hour seed the dashboard's list
_ALERT_BATCH = 500
_STOP_BUDGET_S = 3.0


async def run_observability(
    daemon: Daemon, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED
) -> None:
    obs = Observability(daemon)
    started = False
    try:
        await obs.open()
        async with anyio.create_task_group() as tg:
            tg.start_soon(obs.log.run)
            tg.start_soon(obs.poll_alerts)
            tg.start_soon(obs.record_startup_reconcile)
            await obs.start_listener(tg)
            task_status.started()
            started = True
            await anyio.sleep_forever()
    except Exception as exc:  # a bug here must not take trading down with it
        log.exception("observability_failed")
        obs.unavailable(f"observability stopped: {type(exc).__name__}")
        if not started:
            task_status.started()
        await anyio.sleep_forever()
    finally:
        with anyio.CancelScope(shield=True), anyio.move_on_after(_STOP_BUDGET_S):
            await obs.close()


class Observability:
    """The listeners, the view of the daemon and the metrics source."""

    def __init__(self, daemon: Daemon) -> None:
        assert daemon.db is not None and daemon.switch is not None and daemon.stack is not None
        self.daemon = daemon
        config = daemon.config
        self.run_log_config = config.run_log
        self.dashboard_config = config.dashboard
        self.metrics_config = config.metrics
        run = config.run
        meta = ev.LiveRunMetadata(
            run_id=daemon.run_id,
            version=__version__,
            git_commit=git_commit(),
            config_digest=daemon.loaded.digest,
            config_path=daemon.loaded.path,
            mode=run.mode.value,
            network=run.network.value,
            account=run.account_label,
            strategy=daemon.config.strategy.name,
            pid=daemon.pid,
            started_ms=daemon.started_at_ms,
        )
        self.log = LiveRunLogger(
            daemon.db, meta, self.run_log_config, now_ms=now_ms, jsonl_path=self._jsonl_path()
        )
        self.counters = Counters()
        self.recent = Recent()
        self.feed = ViewFeed()
        self.port = self.dashboard_config.port
        self.listener_errors = 0
        self._portfolio = _portfolio_source(daemon)
        self._alert_cursor = daemon.started_at_ms
        self._alerts_seen: dict[str, int] = {}

    def _jsonl_path(self) -> Path | None:
        cfg = self.run_log_config
        if not cfg.jsonl:
            return None
        directory = Path(cfg.jsonl_dir) if cfg.jsonl_dir else self.daemon.state_dir / "runs"
        return directory / f"{self.daemon.run_id}.jsonl"

    # --- start: record the run, seed, subscribe ------------------------------------------------

    async def open(self) -> None:
        d = self.daemon
        assert d.db is not None and d.switch is not None and d.stack is not None
        await self.log.open()
        path = d.stack.path
        assert path is not None
        book = path.executor.name  # what the current executor has open and filled
        live = await d.db.call(journal.live_orders, executor=book)
        since = d.started_at_ms - _RECENT_FILLS_MS
        fills = await d.db.call(journal.all_fills, since, executor=book)
        self.recent.seed(live, fills)
        self.counters.seed(live)
        d.event_listeners.append(self._guard(self.on_event))
        d.switch.subscribe(self._guard(self.on_change))
        path.fill_listeners.append(self._guard(self.on_fill))
        path.order_listeners.append(self._guard(self.on_order))
        if self._portfolio is not None:
            self._portfolio.snapshot_listeners.append(self._guard(self.on_snapshot))

    def _guard(self, fn: Callable[[T], None]) -> Callable[[T], None]:
        """Listeners are called by trading code: whatever goes wrong here stays here."""

        def listener(item: T) -> None:
            try:
                fn(item)
            except Exception:
                self.listener_errors += 1
                with contextlib.suppress(Exception):
                    log.exception("observability_listener_failed", listener=fn.__name__)

        return listener

    # --- listeners (sync, on the event loop) -----------------------------------------------------

    def on_event(self, event: DaemonEvent) -> None:
        self.log.record(ev.from_daemon_event(event), event.ts_ms)
        self.counters.on_event(event)
        self.feed.mark_dirty()

    def on_change(self, change: StateChange) -> None:
        self.log.record(ev.from_change(change), change.at_ms)
        self.feed.mark_dirty()

    def on_fill(self, fill: Fill) -> None:
        self.log.record(ev.from_fill(fill))
        self.recent.on_fill(fill)
        self.feed.mark_dirty()

    def on_order(self, order: JournalOrder) -> None:
        self.log.record(ev.from_order(order))
        self.recent.on_order(order)
        self.counters.on_order(order)
        self.feed.mark_dirty()

    def on_snapshot(self, snapshot: LivePortfolioSnapshot) -> None:
        del snapshot  # read from the source when a view is built
        self.feed.mark_dirty()

    def on_alert(self, row: AlertRow) -> None:
        self.log.record(ev.from_alert(row), row.at_ms)
        self.recent.on_alert(row)
        self.counters.on_alert(row)
        self.feed.mark_dirty()

    # --- tasks -------------------------------------------------------------------------------

    async def poll_alerts(self) -> None:
        """Alerts of this run, from the alert service's history (it has no listener hook)."""
        while True:
            await anyio.sleep(self.run_log_config.alert_poll_s)
            await self.poll_alerts_once()

    async def poll_alerts_once(self) -> None:
        alerts = getattr(self.daemon, "alerts", None)
        if alerts is None or not hasattr(alerts, "history"):
            return
        try:
            rows: list[AlertRow] = await alerts.history(
                since_ms=self._alert_cursor, limit=_ALERT_BATCH
            )
        except Exception as exc:
            log.warning("alert_history_unreadable", error=repr(exc))
            return
        for row in sorted(rows, key=lambda r: (r.at_ms, r.id)):
            if row.id not in self._alerts_seen:
                self._alerts_seen[row.id] = row.at_ms
                self.on_alert(row)
        if rows:
            self._alert_cursor = cursor = max(r.at_ms for r in rows)
            self._alerts_seen = {k: at for k, at in self._alerts_seen.items() if at >= cursor}

    async def close(self) -> None:
        """The run's last alerts (the daemon's own stop alert among them), then its stop."""
        with contextlib.suppress(Exception):
            await self.poll_alerts_once()
        await self.log.close(exit_reason(self.daemon))

    async def record_startup_reconcile(self) -> None:
        stack = self.daemon.stack
        assert stack is not None
        await stack.ready.wait()
        report = stack.last_reconcile
        if report is None:
            return
        self.log.record(
            ev.Reconciled(
                code="reconcile.startup",
                level="INFO" if report.ok else "WARNING",
                message="journal matches the exchange" if report.ok else "; ".join(report.problems),
                problems=[ev.text(p) for p in report.problems[:50]],
                context={
                    "doubtful_before": report.doubtful_before,
                    "doubtful_after": report.doubtful_after,
                    "foreign_open": report.foreign_open,
                    "foreign_action": report.foreign_action,
                    "closed_while_away": report.closed_while_away,
                    "fills_applied": report.fills_applied,
                },
            )
        )

    async def start_listener(self, tg: anyio.abc.TaskGroup) -> None:
        """The HTTP listener, if the dashboard or metrics are on; refused, not fatal."""
        dash, metrics = self.dashboard_config, self.metrics_config
        if not (dash.enabled or metrics.enabled):
            return
        token = None
        if not is_loopback(dash.host):
            token = read_credential("dashboard-token")
            if token is None:
                self.unavailable(
                    f"dashboard.host {dash.host} is not loopback and the dashboard-token"
                    " credential is not set: listener not started",
                    reason="dashboard.token_missing",
                )
                return
        registry = build_registry(self) if metrics.enabled else None
        app = build_app(
            feed=self.feed,
            view_json=lambda: v.encoder.encode(self.view()),
            metrics=(lambda: render(registry)) if registry is not None else None,
            page=dash.enabled,
            token=token,
            hosts=(lambda: loopback_hosts(dash.host, self.port)) if token is None else None,
            max_clients=dash.max_clients,
        )
        try:
            self.port = await tg.start(serve, app, dash.host, dash.port, self.feed)
        except OSError as exc:
            self.unavailable(
                f"cannot listen on {dash.host}:{dash.port}: {exc.strerror or exc}",
                reason="dashboard.bind_failed",
            )
            return
        log.info(
            "dashboard_listening",
            url=f"http://{dash.host}:{self.port}/",
            page=dash.enabled,
            metrics=metrics.enabled,
            token_required=token is not None,
        )
        if dash.enabled:
            tg.start_soon(self.push)

    def unavailable(self, message: str, reason: str = "observability.failed") -> None:
        log.error("dashboard_unavailable", reason=reason, detail=message)
        self.daemon.emit(
            DaemonEvent(
                code="dashboard.unavailable",
                level="WARNING",
                message=message,
                ts_ms=now_ms(),
                context={"reason": reason},
                dedupe_key="dashboard.unavailable",
            )
        )

    async def push(self) -> None:
        """Publish a view on change (at most every min interval), else every push interval,
        and only while a page is watching."""
        cfg = self.dashboard_config
        while True:
            with anyio.move_on_after(cfg.push_interval_s):
                await self.feed.dirty.wait()
            self.feed.dirty.clear()
            if self.feed.clients > 0:
                try:
                    self.feed.publish(v.encoder.encode(self.view()))
                except Exception:
                    log.exception("dashboard_view_failed")
            await anyio.sleep(cfg.min_push_interval_s)

    # --- the view (also the metrics source) --------------------------------------------------

    def view(self) -> v.LiveView:
        d = self.daemon
        stack, switch = d.stack, d.switch
        assert stack is not None and switch is not None
        last = switch.last
        config = d.config
        snapshot = self._snapshot()
        limits = getattr(self._portfolio, "limits", None)
        reconnects = {}
        if stack.market_data is not None:
            reconnects["market_data"] = stack.market_data.health.reconnects
        if stack.private is not None:
            reconnects["private"] = stack.private.health.reconnects
        path = stack.path
        return v.LiveView(
            at_ms=now_ms(),
            identity=v.Identity(
                mode=config.run.mode.value,
                network=config.run.network.value,
                account=config.run.account_label,
                run_id=d.run_id,
                version=__version__,
                pid=d.pid,
                started_ms=d.started_at_ms,
                config_digest=d.loaded.digest,
                quote_currency=config.exchange.quote_currency,
            ),
            trading=v.TradingView(
                state=switch.state.value,
                reason=last.reason if last else "",
                since_ms=last.at_ms if last else d.started_at_ms,
                changed_by=_who(last),
            ),
            health=health.collect(d),
            reconciled=stack.reconciled,
            portfolio=v.portfolio_view(snapshot, limits) if snapshot is not None else None,
            quotes=v.quote_views(stack.quotes),
            open_orders=[
                orders_view.view(o)
                for o in sorted(self.recent.open_orders.values(), key=lambda o: o.seq)
            ],
            orders_in_doubt=len(path.unknown) if path is not None else 0,
            recent_fills=[v.fill_view(f) for f in self.recent.fills],
            recent_alerts=[v.alert_view(a) for a in self.recent.alerts],
            loop_lag_s=d.looplag.current_s(),
            loop_lag_worst_s=d.looplag.worst_s,
            loop_lag_p99_s=d.looplag.p99_s(),
            quote_updates=stack.quotes.updates,
            reconnects=reconnects,
            exchange_backed_off=bool(stack.venue is not None and stack.venue.backed_off),
        )

    def _snapshot(self) -> LivePortfolioSnapshot | None:
        """The portfolio as of now when the monitor can say (it marks at the latest quotes),
        else its latest tick."""
        source = self._portfolio
        snapshot = getattr(source, "latest", None)
        now = getattr(source, "snapshot_now", None)
        if callable(now):
            try:
                snapshot = now()
            except Exception:  # e.g. before the monitor has loaded: its last tick will do
                log.debug("portfolio_snapshot_unavailable", exc_info=True)
        return snapshot if isinstance(snapshot, LivePortfolioSnapshot) else None

    def exchange_latencies(self) -> Sequence[float]:
        venue = self.daemon.stack.venue if self.daemon.stack is not None else None
        return list(venue.request_latency_s) if venue is not None else []

    def alert_stats(self) -> AlertStats | None:
        alerts = getattr(self.daemon, "alerts", None)
        stats = getattr(alerts, "stats", None)
        return stats() if callable(stats) else None

    def run_log_counts(self) -> tuple[dict[str, int], int]:
        return self.log.counts, self.log.lost

    def stream_clients(self) -> int:
        return self.feed.clients


def exit_reason(daemon: Daemon) -> str:
    """Why the daemon is stopping, as it set it ("signal SIGTERM", "error: ..."), or unknown."""
    reason = str(getattr(daemon, "exit_reason", "") or "")
    return "unknown" if reason in ("", "running") else reason


def _portfolio_source(daemon: Daemon) -> Any:
    """The portfolio monitor: ``daemon.portfolio``, else the venue stack's risk service;
    anything with ``latest`` (a LivePortfolioSnapshot), ``snapshot_listeners`` and ``limits``."""
    for candidate in (getattr(daemon, "portfolio", None), getattr(daemon.stack, "risk", None)):
        if candidate is not None and isinstance(
            getattr(candidate, "snapshot_listeners", None), list
        ):
            return candidate
    return None


def _who(change: StateChange | None) -> str:
    if change is None:
        return ""
    actor = change.actor
    return actor.source + (f" uid {actor.uid}" if actor.uid >= 0 else "")
