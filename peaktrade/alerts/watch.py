"""The alerter watching itself: a sink failing too long, alerts dropped, stale dedupe keys.

A failing sink is reported as a condition on the other sinks (never on itself) and resolved
when it delivers again; drops are reported at most once per ``drop_report_interval_s``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import anyio

from peaktrade.alerts.config import AlertLevel
from peaktrade.log import get_logger

if TYPE_CHECKING:
    from peaktrade.alerts.service import AlertService

log = get_logger("peaktrade.alerts")


async def watch_sinks(service: AlertService) -> None:
    """Sink health, overdue drop reports and dedupe pruning, about once a second."""
    tick = min(1.0, service.config.sink_failing_after_s / 4)
    while True:
        await anyio.sleep(tick)
        now = service.monotonic()
        service.dedupe.prune(now)
        for lane in service.lanes.values():
            since = lane.failing_since_s
            key = f"alerts.sink_failing:{lane.name}"
            if since is not None and now - since >= service.config.sink_failing_after_s:
                service.set_condition(
                    key,
                    AlertLevel.CRITICAL,
                    code="alerts.sink_failing",
                    message=f"alert sink {lane.name} has failed for {now - since:.0f} s: "
                    f"{lane.last_error}",
                    source="alerts",
                    context={"sink": lane.name, "error": lane.last_error},
                    not_to=(lane.name,),
                )
            elif since is None:
                service.set_condition(
                    key,
                    None,
                    code="alerts.sink_failing",
                    message=f"alert sink {lane.name} delivers again",
                    source="alerts",
                    context={"sink": lane.name},
                    not_to=(lane.name,),
                )
        report_drops(service, now)


def report_drops(service: AlertService, now: float) -> None:
    by_sink = {lane.name: lane.stats.dropped for lane in service.lanes.values()}
    total = sum(service.dropped.values()) + sum(by_sink.values())
    if total == service.drops_reported:
        return
    if now - service.drop_reported_at_s < service.config.drop_report_interval_s:
        return
    if len(service.intake) > service.intake.capacity // 2:
        return  # report once the backlog eases, or the report itself would be dropped
    fresh = total - service.drops_reported
    service.drops_reported, service.drop_reported_at_s = total, now
    log.warning("alerts_dropped", dropped=fresh, queue=service.dropped, sinks=by_sink)
    context: dict[str, object] = {f"queue_{k.lower()}": v for k, v in service.dropped.items()}
    context.update({f"sink_{k}": v for k, v in by_sink.items() if v})
    service.alert(
        "alerts.dropped",
        f"{fresh} alerts dropped since the last report (queue full or a sink too slow); "
        "lowest levels went first",
        source="alerts",
        context=context,
        key=str(total),  # each report is news: not deduped
    )
