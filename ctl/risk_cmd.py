"""ptctl risk / portfolio: limits, usage and headroom; positions and PnL."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from ctl.app import JsonOpt, ReasonOpt, finish, send
from peaktrade.control.protocol import (
    PortfolioQuery,
    RiskApproveReload,
    RiskQuery,
    RiskViolationsQuery,
)

risk_app = typer.Typer(
    help="Risk limits, usage, violations.", invoke_without_command=True, no_args_is_help=False
)

SinceOpt = Annotated[
    str | None,
    typer.Option("--since", help="ISO time (2026-12-01T08:00) or an age like 30m, 2h, 1d."),
]


def since_ms(text: str | None) -> int:
    """``--since``: an ISO date-time (UTC) or an age (``90s``, ``30m``, ``2h``, ``1d``)."""
    if not text:
        return 0
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    if text[-1] in units and text[:-1].replace(".", "", 1).isdigit():
        return int((time.time() - float(text[:-1]) * units[text[-1]]) * 1000)
    from datetime import UTC, datetime

    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"--since: not a time or age: {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


@risk_app.callback()
def risk(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Current limits, usage and headroom, and the way back after an automatic kill."""
    if ctx.invoked_subcommand is None:
        finish(send(ctx, RiskQuery(), as_json))


@risk_app.command("violations")
def violations(
    ctx: typer.Context,
    since: SinceOpt = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=10_000)] = 100,
    as_json: JsonOpt = False,
) -> None:
    """Every persisted violation: time, rule, limit, value, what it hit, action taken."""
    finish(send(ctx, RiskViolationsQuery(since_ms=since_ms(since), limit=limit), as_json))


@risk_app.command("approve-reload")
def approve_reload(ctx: typer.Context, reason: ReasonOpt, as_json: JsonOpt = False) -> None:
    """Apply a reload that loosens limits beyond the policy (audited)."""
    finish(send(ctx, RiskApproveReload(reason=reason), as_json))


def portfolio(
    ctx: typer.Context,
    no_risk: Annotated[bool, typer.Option("--no-risk", help="Skip the risk evaluation.")] = False,
    starting_cash: Annotated[
        float | None,
        typer.Option("--starting-cash", min=0, help="Value the fills against this cash instead."),
    ] = None,
    history: Annotated[bool, typer.Option("--history", help="Snapshots kept over time.")] = False,
    since: SinceOpt = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=10_000)] = 100,
    as_json: JsonOpt = False,
) -> None:
    """Positions, cash, equity, realized/unrealized/daily PnL, marks and their age."""
    request = PortfolioQuery(
        with_risk=not no_risk,
        starting_cash=starting_cash,
        history=history,
        since_ms=since_ms(since),
        limit=limit,
    )
    finish(send(ctx, request, as_json))
