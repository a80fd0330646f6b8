"""Alert history, acknowledgement and delivery tests for the control socket."""

from __future__ import annotations

from peaktrade.alerts.config import AlertLevel
from peaktrade.alerts.service import AlertService, UnknownSink
from peaktrade.control.protocol import AlertsResult, AlertsTestResult, AlertView, DeliveryView
from peaktrade.control.server import CommandError
from peaktrade.store.alerts import AlertRow


def _view(row: AlertRow) -> AlertView:
    return AlertView(
        id=row.id,
        at_ms=row.at_ms,
        level=row.level,
        code=row.code,
        title=row.title,
        message=row.message,
        count=row.count,
        resolved=row.resolved,
        runbook=row.runbook,
        acked_at_ms=row.acked_at_ms,
        acked_by=row.acked_by or "",
    )


async def history(
    alerts: AlertService, *, since_ms: int, min_level: str | None, limit: int
) -> AlertsResult:
    rows = await alerts.history(
        since_ms=since_ms or None,
        min_level=AlertLevel(min_level) if min_level else None,
        limit=limit,
    )
    return AlertsResult(alerts=[_view(r) for r in rows])


async def ack(alerts: AlertService, alert_id: str, by: str) -> AlertsResult:
    row = await alerts.ack(alert_id, by)
    if row is None:
        raise CommandError("alerts.no_such_alert", f"no alert {alert_id}", "see ptctl alerts")
    return AlertsResult(alerts=[_view(row)])


async def test(alerts: AlertService, sink: str | None) -> AlertsTestResult:
    try:
        results = await alerts.send_test(sink)
    except UnknownSink as exc:
        raise CommandError(exc.code, str(exc), "sinks are listed in live_alerts.sinks") from None
    return AlertsTestResult(
        deliveries=[
            DeliveryView(
                sink=r.sink,
                status=r.status.value,
                attempt=r.attempt,
                error=r.error,
                duration_ms=r.duration_ms,
            )
            for r in results
        ]
    )
