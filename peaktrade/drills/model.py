"""What a drill produces: named checks, each passed or failed with the value seen, and the
result the drill log keeps (one definition for the runner, the store and ``ptctl drills``)."""

from __future__ import annotations

import msgspec


class DrillCheck(msgspec.Struct, frozen=True):
    """One expectation of a scenario: what, whether it held, what was seen."""

    name: str
    passed: bool
    seen: str = ""


class DrillResult(msgspec.Struct, frozen=True):
    """One drill run: the scenario, when, its checks and a one-line summary."""

    scenario: str
    title: str
    started_ms: int
    ended_ms: int
    passed: bool
    summary: str
    checks: list[DrillCheck]
    version: str = ""
