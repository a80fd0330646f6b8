"""Settings of stages (``[stages]``): how far a running daemon may be promoted, and the checks.

The mode is the stage. ``run.mode`` is where a fresh database starts; promotions within the
network take effect in the running daemon up to ``max_stage``; live is only ever entered by a
start that is armed, confirmed and carries an approved promotion.
"""

from __future__ import annotations

import enum
from typing import Annotated, Literal

import msgspec

# Literals rather than peaktrade.config's enums: that module imports this one.
InProcessStage = Literal["shadow", "paper", "testnet"]
NetworkName = Literal["sim", "testnet", "mainnet"]
Days = 86_400.0


class OpenOrdersPolicy(enum.StrEnum):
    """What a promotion does with the old stage's open orders (no executor can take over
    another's orders, so they never carry across)."""

    CANCEL = "cancel"  # cancel them with the old executor, then switch
    REFUSE = "refuse"  # refuse the promotion while any is open


class PromotionChecksConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """What ``ptctl promote`` requires of the current stage's record (its window is the time
    since the stage was entered)."""

    min_time_in_stage_s: Annotated[float, msgspec.Meta(ge=0, le=90 * Days)] = 1 * Days
    """Least time in the current stage; 0 turns the check off."""
    min_orders: Annotated[int, msgspec.Meta(ge=0, le=1_000_000)] = 20
    """Least orders journaled in the current stage; 0 turns the check off."""
    no_critical_alerts: bool = True
    """No CRITICAL alert in the window."""
    ignore_alert_codes: tuple[Annotated[str, msgspec.Meta(max_length=64)], ...] = ()
    """CRITICAL alert codes the check above does not count (e.g. a kill drill)."""
    no_unresolved_orders: bool = True
    """No order in doubt (pending or unknown) now."""
    max_drawdown_pct: Annotated[float, msgspec.Meta(ge=0, le=100)] = 5.0
    """Drawdown from the equity peak must be under this; 100 turns the check off."""
    max_divergence_bps: Annotated[float, msgspec.Meta(ge=0, le=10_000)] = 25.0
    """Mean execution shortfall against the intended price, in basis points, notional
    weighted, must be under this (see docs/STAGES.md); 10000 turns the check off."""
    require_divergence_samples: bool = False
    """Fail (rather than warn) when the window has no fill to measure divergence on."""


class StagesConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The stage ladder shadow -> paper -> testnet -> live."""

    max_stage: InProcessStage | None = None
    """Highest stage the running daemon may be promoted to (shadow, paper or testnet; never
    live); default ``run.mode``, so no promotion takes effect in-process unless set."""
    open_orders: OpenOrdersPolicy = OpenOrdersPolicy.CANCEL
    """cancel or refuse: the old stage's open orders at a promotion (a degrade always cancels)."""
    switch_timeout_s: Annotated[float, msgspec.Meta(gt=0, le=120)] = 20.0
    """Most time a stage switch waits for orders in flight and for cancels."""
    promotion: PromotionChecksConfig = PromotionChecksConfig()
    """Checks every promotion runs, to live included."""
    live_from_networks: tuple[NetworkName, ...] = ("testnet",)
    """Networks whose testnet-stage runs may approve a promotion to live."""
    live_approval_valid_s: Annotated[float, msgspec.Meta(gt=0, le=30 * Days)] = 3 * Days
    """An approved promotion to live must be used by a live start within this time."""


_RANK = {"shadow": 0, "paper": 1, "testnet": 2, "live": 3}
_TESTNET_NETWORKS = ("sim", "testnet")


def stages_problems(stages: StagesConfig, *, mode: str, network: str) -> list[str]:
    """Rules that span keys: ``max_stage`` must be reachable from ``run.mode`` on the network."""
    problems = []
    top = stages.max_stage
    if top is not None and _RANK[top] < _RANK[mode]:
        problems.append(f"stages.max_stage: {top!r} is below run.mode {mode!r}")
    if top == "testnet" and network not in _TESTNET_NETWORKS:
        problems.append(f'stages.max_stage: "testnet" does not run on network {network!r}')
    if mode == "live" and top is not None:
        problems.append("stages.max_stage: a live run is promoted nowhere; leave it unset")
    if len(set(stages.live_from_networks)) != len(stages.live_from_networks):
        problems.append("stages.live_from_networks: each network may appear once")
    if "mainnet" in stages.live_from_networks:
        problems.append('stages.live_from_networks: "mainnet" has no testnet stage')
    return problems
