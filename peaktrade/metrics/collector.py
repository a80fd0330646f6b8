"""The daemon's metrics, read on scrape from one view of the daemon plus the listener counts.

A registry of our own (never the global one), holding one collector: a scrape builds the
metric families from memory, so it costs a few hundred microseconds and no database call.
Money is in the quote currency that ``peaktrade_info`` names.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Protocol

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    InfoMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from peaktrade.control.protocol import CheckLevel
from peaktrade.dashboard.view import LiveView
from peaktrade.metrics.counters import Counters

if TYPE_CHECKING:
    from peaktrade.alerts.service import AlertStats

STATES = ("ACTIVE", "REDUCING", "HALTED")
QUANTILES = (0.5, 0.9, 0.99)
LATENCY_WINDOW = 1024  # most recent exchange requests the latency quantiles are taken over
_CHECK_VALUE = {CheckLevel.OK: 0.0, CheckLevel.WARN: 1.0, CheckLevel.FAIL: 2.0}


class MetricsSource(Protocol):
    """What the collector reads; the daemon's observability glue implements it."""

    counters: Counters

    def view(self) -> LiveView: ...

    def exchange_latencies(self) -> Sequence[float]: ...

    def alert_stats(self) -> AlertStats | None: ...

    def run_log_counts(self) -> tuple[dict[str, int], int]: ...  # recorded by kind, lost

    def stream_clients(self) -> int: ...


class DaemonCollector(Collector):
    def __init__(self, source: MetricsSource) -> None:
        self.source = source

    def collect(self) -> Iterator[Metric]:
        src = self.source
        view = src.view()
        yield from _identity(view)
        yield from _trading(view)
        yield from _portfolio(view)
        yield from _market(view, src.exchange_latencies())
        yield from _counted(src.counters)
        stats = src.alert_stats()
        if stats is not None:
            yield from _alerts(stats)
        by_kind, lost = src.run_log_counts()
        yield _counter("peaktrade_run_events", "Run-log events recorded, by kind.", "kind", by_kind)
        lost_family = CounterMetricFamily(
            "peaktrade_run_events_lost", "Run-log events lost (buffer full while the DB lagged)."
        )
        lost_family.add_metric([], lost)
        yield lost_family
        yield _gauge(
            "peaktrade_dashboard_streams", "Open dashboard live streams.", src.stream_clients()
        )
        yield from _process()


def _process() -> Iterator[Metric]:
    """Leak indicators: tasks and file descriptors stay flat in a healthy soak."""
    yield _gauge(
        "peaktrade_asyncio_tasks", "Tasks alive on the event loop.", len(asyncio.all_tasks())
    )
    try:
        fds = len(os.listdir("/proc/self/fd"))
    except OSError:
        return
    yield _gauge("peaktrade_open_fds", "Open file descriptors.", fds)


def build_registry(source: MetricsSource) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DaemonCollector(source))
    return registry


def render(registry: CollectorRegistry) -> tuple[bytes, str]:
    """The scrape body and its content type."""
    return generate_latest(registry), CONTENT_TYPE_LATEST


def _gauge(name: str, doc: str, value: float | bool) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, value=float(value))


def _labelled(name: str, doc: str, label: str, values: dict[str, float]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, doc, labels=[label])
    for key, value in sorted(values.items()):
        family.add_metric([key], value)
    return family


def _counter(name: str, doc: str, label: str, values: dict[str, int]) -> CounterMetricFamily:
    family = CounterMetricFamily(name, doc, labels=[label])
    for key, value in sorted(values.items()):
        family.add_metric([key], value)
    return family


def _identity(view: LiveView) -> Iterator[Metric]:
    i = view.identity
    info = InfoMetricFamily("peaktrade", "The running deployment.")
    info.add_metric(
        [],
        {
            "version": i.version,
            "mode": i.mode,
            "network": i.network,
            "account": i.account,
            "run_id": i.run_id,
            "config_digest": i.config_digest,
            "quote_currency": i.quote_currency,
        },
    )
    yield info
    yield _gauge("peaktrade_start_time_seconds", "When the daemon started.", i.started_ms / 1000)


def _trading(view: LiveView) -> Iterator[Metric]:
    state = view.trading.state
    yield _labelled(
        "peaktrade_trading_state",
        "1 for the current trading state, 0 for the others.",
        "state",
        {s: float(s == state) for s in STATES},
    )
    yield _gauge("peaktrade_healthy", "1 while every health check passes.", view.health.healthy)
    yield _labelled(
        "peaktrade_health_check",
        "Each health check: 0 ok, 1 warn, 2 fail.",
        "check",
        {c.name: _CHECK_VALUE[c.level] for c in view.health.checks},
    )
    yield _gauge("peaktrade_reconciled", "1 once journal and exchange agree.", view.reconciled)
    yield _gauge("peaktrade_orders_open", "Open orders (journal).", len(view.open_orders))
    yield _gauge(
        "peaktrade_orders_in_doubt", "Orders whose outcome is unknown.", view.orders_in_doubt
    )


def _portfolio(view: LiveView) -> Iterator[Metric]:
    p = view.portfolio
    if p is None:
        return
    yield _gauge("peaktrade_equity", "Equity: cash plus positions at their marks.", p.equity)
    yield _gauge("peaktrade_cash", "Cash in the quote currency.", p.cash)
    yield _gauge("peaktrade_daily_pnl", "PnL of the current trading day.", p.daily_pnl)
    yield _gauge(
        "peaktrade_drawdown_percent", "Fall from the equity peak, percent.", p.drawdown_pct
    )
    yield _gauge(
        "peaktrade_exposure_total_notional", "Sum of absolute notionals.", p.total_exposure
    )
    yield _gauge(
        "peaktrade_portfolio_snapshot_age_seconds",
        "Age of the portfolio snapshot.",
        max(0.0, (view.at_ms - p.ts_ms) / 1000),
    )
    yield _labelled(
        "peaktrade_exposure_notional",
        "Absolute notional per symbol.",
        "symbol",
        {x.symbol: x.notional for x in p.positions},
    )
    limits = {x.symbol: x.exposure_limit for x in p.positions if x.exposure_limit is not None}
    yield _labelled(
        "peaktrade_exposure_limit_notional",
        "Effective max_symbol_exposure_notional of each open position's symbol.",
        "symbol",
        limits,
    )
    for name, doc, value in (
        (
            "peaktrade_exposure_total_limit_notional",
            "max_total_exposure_notional.",
            p.total_exposure_limit,
        ),
        ("peaktrade_daily_loss_limit", "max_daily_loss_abs.", p.daily_loss_limit),
        ("peaktrade_drawdown_limit_percent", "max_drawdown_pct.", p.drawdown_limit_pct),
    ):
        if value is not None:
            yield _gauge(name, f"Effective {doc}", value)


def _market(view: LiveView, latencies: Sequence[float]) -> Iterator[Metric]:
    ages = {q.symbol: q.age_s for q in view.quotes if q.age_s is not None}
    yield _labelled(
        "peaktrade_quote_age_seconds", "Time since the last quote, per symbol.", "symbol", ages
    )
    yield _labelled(
        "peaktrade_quote_stale",
        "1 while a symbol's quote is stale (no orders on it).",
        "symbol",
        {q.symbol: float(q.stale) for q in view.quotes},
    )
    recent = sorted(latencies[-LATENCY_WINDOW:])
    family = GaugeMetricFamily(
        "peaktrade_exchange_request_latency_seconds",
        f"Exchange REST round trip over the last {LATENCY_WINDOW} requests, by quantile.",
        labels=["quantile"],
    )
    if recent:
        for q in QUANTILES:
            family.add_metric([str(q)], recent[min(len(recent) - 1, int(q * len(recent)))])
    yield family
    yield _gauge("peaktrade_exchange_backed_off", "1 while rate limited.", view.exchange_backed_off)
    yield _gauge("peaktrade_event_loop_lag_seconds", "Event-loop lag now.", view.loop_lag_s)
    yield _gauge(
        "peaktrade_event_loop_lag_worst_seconds",
        "Worst event-loop lag since start.",
        view.loop_lag_worst_s,
    )
    yield _gauge(
        "peaktrade_event_loop_lag_p99_seconds",
        "99th percentile of event-loop lag over the last five minutes.",
        view.loop_lag_p99_s,
    )
    updates = CounterMetricFamily("peaktrade_quote_updates", "Quotes taken into the book.")
    updates.add_metric([], view.quote_updates)
    yield updates
    yield _counter(
        "peaktrade_stream_reconnects",
        "Exchange stream reconnects since start.",
        "stream",
        view.reconnects,
    )


def _counted(c: Counters) -> Iterator[Metric]:
    yield _counter("peaktrade_orders", "Orders reaching each journal state.", "state", c.orders)
    yield _counter(
        "peaktrade_risk_rejections",
        "Orders refused by a risk rule, by rule.",
        "rule",
        c.risk_rejections,
    )
    yield _counter(
        "peaktrade_risk_warnings",
        "Orders let through with a risk warning, by rule.",
        "rule",
        c.risk_warnings,
    )
    yield _counter(
        "peaktrade_portfolio_breaches",
        "Portfolio limit breaches raised.",
        "rule",
        c.portfolio_breaches,
    )
    yield _counter("peaktrade_alerts", "Alerts raised this run, by level.", "level", c.alerts)
    yield _counter(
        "peaktrade_daemon_events", "Events the parts reported, by code.", "code", c.events
    )


def _alerts(stats: AlertStats) -> Iterator[Metric]:
    deliveries = CounterMetricFamily(
        "peaktrade_alert_deliveries",
        "Alert delivery attempts by sink and status.",
        labels=["sink", "status"],
    )
    failing = GaugeMetricFamily(
        "peaktrade_alert_sink_failing_seconds",
        "How long a sink has been failing (0 when it is not).",
        labels=["sink"],
    )
    for s in stats.sinks:
        for status, n in (
            ("delivered", s.delivered),
            ("gave_up", s.gave_up),
            ("retrying", s.retries),
            ("dropped", s.dropped),
        ):
            deliveries.add_metric([s.name, status], n)
        failing.add_metric([s.name], s.failing_for_s or 0.0)
    yield deliveries
    yield failing
    yield _counter(
        "peaktrade_alerts_dropped",
        "Alerts dropped from the full intake queue, by level.",
        "level",
        stats.dropped,
    )
    yield _gauge("peaktrade_alert_queue_depth", "Alerts waiting for dispatch.", stats.queued)
    deduped = CounterMetricFamily("peaktrade_alerts_deduped", "Repeats folded into open alerts.")
    deduped.add_metric([], stats.deduped)
    yield deduped
