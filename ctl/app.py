"""The ptctl application object and what every command shares: options, sending, exit codes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import msgspec
import typer

from ctl.client import Unreachable, ask, default_socket
from ctl.remote import Remote, ask_remote, parse_host
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
    remote: Remote | None = None  # --host: the daemon is on another machine, over SSH

    def ask(self, request: Request, timeout_s: float = 15.0) -> Reply:
        """One request to the daemon, local socket or remote; raises Unreachable."""
        if self.remote is not None:
            return ask_remote(self.remote, request, timeout_s)
        return ask(self.socket, request, timeout_s)


@app.callback()
def _global(
    ctx: typer.Context,
    socket: Annotated[
        Path | None,
        typer.Option(
            "--socket",
            "-s",
            envvar="PEAKTRADE_SOCKET",
            help="Daemon socket (default ./var/run/peaktrade.sock, else /run/peaktrade/);"
            " with --host, the path on that host.",
        ),
    ] = None,
    host: Annotated[
        str | None,
        typer.Option(
            "--host",
            "-H",
            envvar="PTCTL_HOST",
            help="Reach the daemon on another machine over OpenSSH:"
            " ssh://user@host or ssh://user@host:port.",
        ),
    ] = None,
    ssh_config: Annotated[
        Path | None,
        typer.Option("--ssh-config", envvar="PTCTL_SSH_CONFIG", help="ssh -F FILE for --host."),
    ] = None,
    remote_ptctl: Annotated[
        str,
        typer.Option(
            "--remote-ptctl", envvar="PTCTL_REMOTE_PTCTL", help="ptctl's path on the --host."
        ),
    ] = "ptctl",
) -> None:
    remote = None
    if host is not None:
        try:
            remote = msgspec.structs.replace(
                parse_host(host),
                ssh_config=str(ssh_config) if ssh_config else None,
                remote_ptctl=remote_ptctl,
                socket=str(socket) if socket else None,
            )
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--host") from None
    ctx.obj = Options(socket=socket or default_socket(), remote=remote)


def send(ctx: typer.Context, request: Request, as_json: bool, timeout_s: float = 15.0) -> Reply:
    options: Options = ctx.obj
    try:
        reply = options.ask(request, timeout_s)
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
