"""ptctl stage, promote, degrade: the run's stage on the ladder shadow -> paper -> testnet -> live.

``promote --to STAGE`` prints the promotion checklist and moves only when no check fails
(``--check-only`` just prints it); ``--to live`` records an approval the live start requires.
``degrade --to STAGE`` is always allowed. Both are audited; both exit 1 when nothing moved.
"""

from __future__ import annotations

import enum
from typing import Annotated

import typer

from ctl.app import EXIT_REFUSED, JsonOpt, ReasonOpt, finish, send
from peaktrade.control.protocol import Degrade, Promote, PromotionResult, StageQuery

SWITCH_TIMEOUT_S = 120.0  # a switch may wait for cancels and reconciliation


class Stage(enum.StrEnum):
    SHADOW = "shadow"
    PAPER = "paper"
    TESTNET = "testnet"
    LIVE = "live"


ToOpt = Annotated[Stage, typer.Option("--to", help="Target stage.", case_sensitive=True)]


def stage(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """The current stage, the configured one, the ceiling, and the history of moves."""
    finish(send(ctx, StageQuery(), as_json))


def promote(
    ctx: typer.Context,
    to: ToOpt,
    reason: ReasonOpt,
    check_only: Annotated[
        bool, typer.Option("--check-only", help="Print the checklist, move nothing.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Run the promotion checks; move one stage up when none fails (live: approve only)."""
    request = Promote(to=to.value, reason=reason, check_only=check_only)
    reply = send(ctx, request, as_json, timeout_s=SWITCH_TIMEOUT_S)
    finish(reply)
    result = reply.result
    if isinstance(result, PromotionResult) and (
        not result.applied if not check_only else any(c.level == "fail" for c in result.checks)
    ):
        raise typer.Exit(EXIT_REFUSED)


def degrade(ctx: typer.Context, to: ToOpt, reason: ReasonOpt, as_json: JsonOpt = False) -> None:
    """Move down to a lower stage now (always allowed, also when HALTED)."""
    finish(send(ctx, Degrade(to=to.value, reason=reason), as_json, timeout_s=SWITCH_TIMEOUT_S))
