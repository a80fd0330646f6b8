"""The stage ladder and its rules: which moves are allowed, and where a start comes back.

Pure functions: the current stage, the config's word and what the database remembers go in,
a decision comes out. The mode is the stage; the network fixes which stages exist.
"""

from __future__ import annotations

import enum

import msgspec

from peaktrade.config import ALLOWED_NETWORKS, Mode, Network

LADDER: tuple[Mode, ...] = (Mode.SHADOW, Mode.PAPER, Mode.TESTNET, Mode.LIVE)


def rank(stage: Mode) -> int:
    return LADDER.index(stage)


def exists_on(stage: Mode, network: Network) -> bool:
    return network in ALLOWED_NETWORKS[stage]


class MoveKind(enum.StrEnum):
    """How a permitted move takes effect."""

    IN_PROCESS = "in_process"  # the running daemon switches executor
    APPROVAL = "approval"  # recorded; a later start (live) requires it


class MoveRefused(Exception):
    """A move the ladder forbids; ``code`` is stable (stage.*)."""

    def __init__(self, code: str, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint


def ceiling(configured: Mode, max_stage: Mode | None) -> Mode:
    """The highest stage this daemon may reach in-process."""
    if max_stage is None or rank(max_stage) < rank(configured):
        return configured
    return max_stage


def check_promotion(
    current: Mode,
    target: Mode,
    *,
    network: Network,
    top: Mode,
    live_from: frozenset[Network],
) -> MoveKind:
    """One step up the ladder; live only from a testnet-stage run, and only as an approval."""
    if rank(target) <= rank(current):
        raise MoveRefused(
            "stage.not_higher",
            f"{target.value} is not above the current stage {current.value}",
            f"ptctl degrade --to {target.value} --reason TEXT moves down",
        )
    expected = LADDER[rank(current) + 1]
    if target is not expected:
        raise MoveRefused(
            "stage.not_next",
            f"promotions go one stage at a time: from {current.value} the next is {expected.value}",
            f"ptctl promote --to {expected.value} --reason TEXT",
        )
    if target is Mode.LIVE:
        if network not in live_from:
            names = ", ".join(sorted(n.value for n in live_from)) or "none"
            raise MoveRefused(
                "stage.live_not_from_here",
                f"a testnet run on network {network.value} cannot approve live",
                f"stages.live_from_networks allows: {names}",
            )
        return MoveKind.APPROVAL
    if not exists_on(target, network):
        raise MoveRefused(
            "stage.network_forbids",
            f"stage {target.value} does not run on network {network.value}",
            "the testnet stage runs on network testnet (or sim); approve live from there",
        )
    if rank(target) > rank(top):
        raise MoveRefused(
            "stage.above_max",
            f"{target.value} is above stages.max_stage ({top.value}) of this deployment",
            f'set stages.max_stage = "{target.value}" in the config and restart',
        )
    return MoveKind.IN_PROCESS


def check_degrade(current: Mode, target: Mode) -> None:
    """Any stage below the current one; shadow and paper exist on every network."""
    if target is Mode.LIVE or rank(target) >= rank(current):
        raise MoveRefused(
            "stage.not_lower",
            f"{target.value} is not below the current stage {current.value}",
            "ptctl promote --to STAGE --reason TEXT moves up, with its checks",
        )


class StartDecision(msgspec.Struct, frozen=True):
    """Where a start comes back and why; ``note`` is "" when nothing needs saying."""

    stage: Mode
    note: str  # "", "first", "resumed", "degraded", "raised_by_config", "kept_degrade"
    message: str = ""


def start_stage(
    configured: Mode,
    persisted: Mode | None,
    *,
    persisted_by_degrade: bool,
    top: Mode,
) -> StartDecision:
    """The stage a start runs in.

    A fresh database starts where the config says. Otherwise the remembered stage wins while
    the config still allows it (a promotion survives a restart), a degrade stays degraded,
    and a stage above what the config allows comes down to the ceiling (a logged degrade).
    Live is decided by ``configured`` alone; its start gate is separate.
    """
    if configured is Mode.LIVE:
        return StartDecision(Mode.LIVE, "")
    if persisted is None:
        return StartDecision(configured, "first", f"first start: stage {configured.value}")
    if persisted is Mode.LIVE or rank(persisted) > rank(top):
        return StartDecision(
            top,
            "degraded",
            f"the database was last in {persisted.value}; the config allows at most "
            f"{top.value}: degraded to {top.value}",
        )
    if rank(persisted) < rank(configured):
        if persisted_by_degrade:
            return StartDecision(
                persisted,
                "kept_degrade",
                f"the config says {configured.value}; staying in {persisted.value}, where a "
                f"degrade put it (ptctl promote moves up, with its checks)",
            )
        return StartDecision(
            configured,
            "raised_by_config",
            f"the config raises the stage from {persisted.value} to {configured.value}",
        )
    if persisted is not configured:
        return StartDecision(
            persisted,
            "resumed",
            f"resuming promoted stage {persisted.value} (config says {configured.value})",
        )
    return StartDecision(persisted, "")
