"""ptctl: ask the peaktrade daemon, flip its kill switch.

Exit codes: 0 ok, 1 unhealthy or refused, 2 usage error, 3 cannot reach the daemon.
Imports only the control protocol: no ccxt, no aiohttp, so it answers in well under 150 ms.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ctl import alerts_cmd, check_cmd, drills_cmd, orders_cmd, risk_cmd, runs_cmd, stages_cmd
from ctl.app import EXIT_REFUSED, JsonOpt, ReasonOpt, app, finish, send
from peaktrade.control.protocol import (
    AuditQuery,
    Health,
    HealthResult,
    Kill,
    Reduce,
    Release,
    Status,
)

__all__ = ["app", "main"]


@app.command()
def health(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Every health check with value and hint; exit 1 when unhealthy."""
    reply = send(ctx, Health(), as_json)
    finish(reply)
    if isinstance(reply.result, HealthResult) and not reply.result.healthy:
        raise typer.Exit(EXIT_REFUSED)


@app.command()
def status(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Trading state, why, since when, and who set it."""
    finish(send(ctx, Status(), as_json))


@app.command()
def kill(
    ctx: typer.Context,
    reason: ReasonOpt,
    cancel_open: Annotated[
        bool, typer.Option("--cancel-open", help="Also cancel every open order.")
    ] = False,
    flatten: Annotated[
        bool, typer.Option("--flatten", help="Also close every position at market.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Latch HALTED: no new orders. Returns once the state is on disk."""
    finish(send(ctx, Kill(reason=reason, cancel_open=cancel_open, flatten=flatten), as_json))


@app.command()
def reduce(ctx: typer.Context, reason: ReasonOpt, as_json: JsonOpt = False) -> None:
    """REDUCING: only orders that reduce exposure."""
    finish(send(ctx, Reduce(reason=reason), as_json))


@app.command()
def release(ctx: typer.Context, reason: ReasonOpt, as_json: JsonOpt = False) -> None:
    """Re-arm trading (ACTIVE) after a kill or reduce."""
    finish(send(ctx, Release(reason=reason), as_json))


@app.command()
def audit(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=10_000)] = 50,
    as_json: JsonOpt = False,
) -> None:
    """The newest mutating commands: who, what, outcome."""
    finish(send(ctx, AuditQuery(limit=limit), as_json))


app.add_typer(orders_cmd.order_app, name="order")
app.add_typer(orders_cmd.orders_app, name="orders")
app.add_typer(risk_cmd.risk_app, name="risk")
app.add_typer(alerts_cmd.alerts_app, name="alerts")
app.add_typer(runs_cmd.runs_app, name="runs")
app.command("portfolio")(risk_cmd.portfolio)
app.command("drills")(drills_cmd.drills)
app.command("stage")(stages_cmd.stage)
app.command("promote")(stages_cmd.promote)
app.command("degrade")(stages_cmd.degrade)
app.add_typer(check_cmd.check_app, name="check")


@app.command(hidden=True)
def relay(
    socket: Annotated[
        Path | None, typer.Option("--socket", help="The daemon's socket on this host.")
    ] = None,
    allow: Annotated[
        list[str] | None,
        typer.Option("--allow", help="Only these commands (e.g. kill); repeatable."),
    ] = None,
) -> None:
    """The remote end of ptctl --host: one request frame on stdin, the reply on stdout."""
    from ctl.remote import relay as run_relay

    raise typer.Exit(run_relay(socket, allow or []))


def main() -> None:
    """Console-script entry point."""
    sys.exit(app())
