"""ptctl check pre-open | end-of-day: a checklist like health's; exit 1 when any check fails."""

from __future__ import annotations

import typer

from ctl.app import EXIT_REFUSED, JsonOpt, finish, send
from peaktrade.control.protocol import ChecklistResult, ChecksRun, PresetName

check_app = typer.Typer(help="Check presets: pre-open, end-of-day.", no_args_is_help=True)


def _run(ctx: typer.Context, preset: PresetName, as_json: bool) -> None:
    reply = send(ctx, ChecksRun(preset=preset), as_json)
    finish(reply)
    if isinstance(reply.result, ChecklistResult) and not reply.result.passed:
        raise typer.Exit(EXIT_REFUSED)


@check_app.command("pre-open")
def pre_open(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Fit to trade: health with what matters before the open made strict."""
    _run(ctx, "pre-open", as_json)


@check_app.command("end-of-day")
def end_of_day(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """The day: PnL, violations, alerts, open positions, the report command."""
    _run(ctx, "end-of-day", as_json)
