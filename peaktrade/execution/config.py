"""Settings of the order path: unknown-outcome resolution, reconciliation, the kill switch."""

from __future__ import annotations

import enum
from typing import Annotated

import msgspec


class UnknownOrderPolicy(enum.StrEnum):
    """What to do with an open exchange order the journal did not place."""

    ADOPT = "adopt"  # journal it and manage it like our own
    CANCEL = "cancel"  # cancel it on the exchange
    IGNORE = "ignore"  # leave it alone (an operator's manual order)


class ExecutionConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The order path."""

    resolve_interval_s: Annotated[float, msgspec.Meta(gt=0, le=60)] = 1.0
    """How often UNKNOWN orders are looked up by client order id."""
    resolve_bound_s: Annotated[float, msgspec.Meta(gt=0, le=3600)] = 60.0
    """An order still UNKNOWN after this long raises a critical alert and sets REDUCING."""
    not_found_grace_s: Annotated[float, msgspec.Meta(gt=0, le=600)] = 10.0
    """An UNKNOWN order the exchange keeps answering "no such order" about for this long was
    never placed: it is marked expired (reconciliation re-opens it if it ever shows up)."""
    unknown_exchange_orders: UnknownOrderPolicy = UnknownOrderPolicy.IGNORE
    """Reconciliation's policy for open exchange orders the journal did not place."""
    fill_lookback_s: Annotated[float, msgspec.Meta(ge=0, le=86400)] = 300.0
    """Reconciliation fetches fills from this long before the last known fill."""
    balance_tolerance: Annotated[float, msgspec.Meta(ge=0)] = 1e-6
    """Reconciliation: a balance off by more than this fraction of itself from what the last
    baseline plus the journal's fills explain is a mismatch (CRITICAL, REDUCING)."""
    max_batch: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 100
    """Most intents accepted in one submission."""
    max_fill_divergence_bps: Annotated[float, msgspec.Meta(gt=0, le=10_000)] | None = 100.0
    """An order whose fills average more than this many basis points worse than its intended
    price (the limit, else the mid when sent) raises ``execution.fill_divergence``; unset: not
    checked."""
