"""ptctl alerts: history, acknowledgement, delivery test."""

from __future__ import annotations

from typing import Annotated

import typer

from ctl.app import EXIT_REFUSED, JsonOpt, finish, send
from ctl.risk_cmd import SinceOpt, since_ms
from peaktrade.control.protocol import AlertAck, AlertsQuery, AlertsTest, AlertsTestResult

alerts_app = typer.Typer(
    help="Alert history, ack, test.", invoke_without_command=True, no_args_is_help=False
)


@alerts_app.callback()
def alerts(
    ctx: typer.Context,
    since: SinceOpt = None,
    level: Annotated[
        str | None, typer.Option("--level", help="Least level: INFO, WARNING or CRITICAL.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=10_000)] = 50,
    as_json: JsonOpt = False,
) -> None:
    """Recent alerts, newest first, with their runbook section."""
    if ctx.invoked_subcommand is not None:
        return
    wanted = level.upper() if level else None
    if wanted not in (None, "INFO", "WARNING", "CRITICAL"):
        raise typer.BadParameter("--level must be INFO, WARNING or CRITICAL")
    request = AlertsQuery(since_ms=since_ms(since), min_level=wanted, limit=limit)  # type: ignore[arg-type]
    finish(send(ctx, request, as_json))


@alerts_app.command("ack")
def ack(
    ctx: typer.Context,
    alert_id: Annotated[str, typer.Argument(help="The alert's id (see ptctl alerts).")],
    as_json: JsonOpt = False,
) -> None:
    """Acknowledge an alert: you are on it."""
    finish(send(ctx, AlertAck(alert_id=alert_id), as_json))


@alerts_app.command("test")
def test(
    ctx: typer.Context,
    sink: Annotated[str | None, typer.Option("--sink", help="Only this sink.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Send a test alert through each sink and report delivery; exit 1 if any failed."""
    reply = send(ctx, AlertsTest(sink=sink), as_json)
    finish(reply)
    if isinstance(reply.result, AlertsTestResult) and any(
        d.status != "delivered" for d in reply.result.deliveries
    ):
        raise typer.Exit(EXIT_REFUSED)
