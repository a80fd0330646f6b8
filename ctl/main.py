"""ptctl: ask the peaktrade daemon, flip its kill switch.

Exit codes: 0 ok, 1 unhealthy or refused, 2 usage error, 3 cannot reach the daemon.
Imports only the control protocol: no ccxt, no aiohttp, so it answers in well under 150 ms.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import msgspec
import typer

from ctl.client import Unreachable, ask, default_socket
from ctl.render import render
from peaktrade.control.protocol import (
    AuditQuery,
    Health,
    HealthResult,
    Kill,
    Reduce,
    Release,
    Reply,
    Request,
    Status,
)

EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3

app = typer.Typer(
    name="ptctl",
    help="Control a running peaktrade daemon over its Unix socket.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the raw reply as JSON.")]
ReasonOpt = Annotated[str, typer.Option("--reason", "-r", help="Why (recorded and audited).")]


class Options(msgspec.Struct):
    socket: Path


@app.callback()
def _global(
    ctx: typer.Context,
    socket: Annotated[
        Path | None,
        typer.Option(
            "--socket",
            "-s",
            envvar="PEAKTRADE_SOCKET",
            help="Daemon socket (default ./var/run/peaktrade.sock, else /run/peaktrade/).",
        ),
    ] = None,
) -> None:
    ctx.obj = Options(socket=socket or default_socket())


def _send(ctx: typer.Context, request: Request, as_json: bool) -> Reply:
    options: Options = ctx.obj
    try:
        reply = ask(options.socket, request)
    except Unreachable as exc:
        typer.echo(f"ptctl: cannot reach the daemon: {exc}", err=True)
        typer.echo(f"  hint: {exc.hint}", err=True)
        raise typer.Exit(EXIT_UNREACHABLE) from None
    if as_json:
        typer.echo(msgspec.json.format(msgspec.json.encode(reply), indent=2))
    else:
        typer.echo(render(reply), err=not reply.ok)
    return reply


def _finish(reply: Reply) -> None:
    if not reply.ok:
        raise typer.Exit(EXIT_REFUSED)


@app.command()
def health(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Every health check with value and hint; exit 1 when unhealthy."""
    reply = _send(ctx, Health(), as_json)
    _finish(reply)
    if isinstance(reply.result, HealthResult) and not reply.result.healthy:
        raise typer.Exit(EXIT_REFUSED)


@app.command()
def status(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Trading state, why, since when, and who set it."""
    _finish(_send(ctx, Status(), as_json))


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
    _finish(_send(ctx, Kill(reason=reason, cancel_open=cancel_open, flatten=flatten), as_json))


@app.command()
def reduce(ctx: typer.Context, reason: ReasonOpt, as_json: JsonOpt = False) -> None:
    """REDUCING: only orders that reduce exposure."""
    _finish(_send(ctx, Reduce(reason=reason), as_json))


@app.command()
def release(ctx: typer.Context, reason: ReasonOpt, as_json: JsonOpt = False) -> None:
    """Re-arm trading (ACTIVE) after a kill or reduce."""
    _finish(_send(ctx, Release(reason=reason), as_json))


@app.command()
def audit(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=10_000)] = 50,
    as_json: JsonOpt = False,
) -> None:
    """The newest mutating commands: who, what, outcome."""
    _finish(_send(ctx, AuditQuery(limit=limit), as_json))


def main() -> None:
    """Console-script entry point."""
    sys.exit(app())
