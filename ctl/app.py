"""The ptctl application object and what every command shares: options, sending, exit codes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import msgspec
import typer

from ctl.client import Unreachable, ask, default_socket
from ctl.render import render
from peaktrade.control.protocol import Reply, Request

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


def send(ctx: typer.Context, request: Request, as_json: bool) -> Reply:
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


def finish(reply: Reply) -> None:
    """Exit 1 when the daemon refused or failed the request."""
    if not reply.ok:
        raise typer.Exit(EXIT_REFUSED)
