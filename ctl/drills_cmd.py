"""ptctl drills: the drill log of the deployment, newest first (``peaktrade drill`` writes it).

A failed drill is followed by its failed checks; ``--json`` prints the raw reply with every
check of every drill.
"""

from __future__ import annotations

from typing import Annotated

import typer

from ctl.app import JsonOpt, finish, send
from peaktrade.control.protocol import DrillsQuery


def drills(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=10_000)] = 20,
    scenario: Annotated[
        str | None, typer.Option("--scenario", help="Only drills of this scenario.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Past drills: when, scenario, passed or failed, summary."""
    finish(send(ctx, DrillsQuery(limit=limit, scenario=scenario), as_json))
