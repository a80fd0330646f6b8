"""ptctl runs: the daemon's runs (one per start) and their typed events.

``ptctl runs`` lists runs, ``runs show ID`` one run with its event counts, ``runs events ID``
its events (``--kind``, ``--after``; ``--follow`` polls for new ones until Ctrl-C). ``ID`` may be
``current``. ``--json`` prints the raw reply; with ``--follow``, one event per line (JSONL).
"""

from __future__ import annotations

import time
from typing import Annotated

import msgspec
import typer

from ctl.app import EXIT_REFUSED, EXIT_UNREACHABLE, JsonOpt, Options, finish, send
from ctl.client import Unreachable
from ctl.render import header, render
from ctl.render_runs import event_line
from peaktrade.control.protocol import RunEventsQuery, RunEventsResult, RunShow, RunsQuery

FOLLOW_POLL_S = 0.5

runs_app = typer.Typer(
    help="Runs (one per daemon start) and their events.",
    invoke_without_command=True,
    no_args_is_help=False,
)

RunArg = Annotated[str, typer.Argument(help="Run id, or 'current'.")]
LimitOpt = Annotated[int, typer.Option("--limit", "-n", min=1, max=10_000)]


@runs_app.callback()
def runs(ctx: typer.Context, limit: LimitOpt = 20, as_json: JsonOpt = False) -> None:
    """The newest runs: id, deployment, start, duration, event count, exit reason."""
    if ctx.invoked_subcommand is None:
        finish(send(ctx, RunsQuery(limit=limit), as_json))


@runs_app.command("show")
def show(ctx: typer.Context, run_id: RunArg = "current", as_json: JsonOpt = False) -> None:
    """One run: version, commit, config hash, start, stop, exit reason, events by kind."""
    finish(send(ctx, RunShow(run_id=_checked(run_id)), as_json))


@runs_app.command("events")
def events(
    ctx: typer.Context,
    run_id: RunArg = "current",
    kind: Annotated[
        str | None,
        typer.Option(
            "--kind", "-k", help="Only this kind: order, fill, risk, state, kill, alert, ..."
        ),
    ] = None,
    after: Annotated[int, typer.Option("--after", help="Start after this event id.", min=0)] = 0,
    limit: LimitOpt = 200,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new events until Ctrl-C.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """A run's events, oldest first."""
    query = RunEventsQuery(run_id=_checked(run_id), kind=kind, after_id=after, limit=limit)
    if not follow:
        finish(send(ctx, query, as_json))
        return
    try:
        _follow(ctx.obj, query, as_json)
    except KeyboardInterrupt:
        raise typer.Exit(0) from None


def _follow(options: Options, query: RunEventsQuery, as_json: bool) -> None:
    """Print pages as they come; once caught up, ask again every FOLLOW_POLL_S."""
    first = True
    while True:
        try:
            reply = options.ask(query)
        except Unreachable as exc:
            typer.echo(f"ptctl: cannot reach the daemon: {exc}", err=True)
            typer.echo(f"  hint: {exc.hint}", err=True)
            raise typer.Exit(EXIT_UNREACHABLE) from None
        if not reply.ok or not isinstance(reply.result, RunEventsResult):
            typer.echo(render(reply), err=True)
            raise typer.Exit(EXIT_REFUSED)
        result = reply.result
        if first and not as_json:
            typer.echo(f"{header(reply)} run {result.run_id} (following; Ctrl-C stops)")
        first = False
        for event in result.events:
            typer.echo(msgspec.json.encode(event).decode() if as_json else event_line(event))
        if result.events:  # "current" stays pinned to the run it named at the start
            query = msgspec.structs.replace(
                query, run_id=result.run_id, after_id=result.events[-1].id
            )
        if len(result.events) < query.limit:
            time.sleep(FOLLOW_POLL_S)


def _checked(run_id: str) -> str:
    try:
        return msgspec.convert({"run_id": run_id}, RunShow).run_id
    except msgspec.ValidationError:
        raise typer.BadParameter(
            f"not a run id: {run_id!r} (letters, digits and '-', or 'current')"
        ) from None
