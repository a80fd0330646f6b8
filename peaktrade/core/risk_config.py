"""Risk limits as configured in ``[live_risk]``.

Frozen structs so a loaded limit set cannot be changed behind the risk layer's back; a reload
builds a new one. Every field's docstring line feeds the generated config reference.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

NonNegative = Annotated[float, msgspec.Meta(ge=0)]
Percent = Annotated[float, msgspec.Meta(ge=0, le=100)]


class LiveRiskConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Order- and portfolio-level limits. Zero means "no limit" for notional and count limits."""

    max_order_notional: NonNegative = 0.0
    """Largest notional (quote currency) of a single order."""
    max_total_exposure_notional: NonNegative = 0.0
    """Largest sum of absolute position notionals across all symbols."""
    max_symbol_exposure_notional: NonNegative = 0.0
    """Largest absolute position notional in any one symbol."""
    max_open_positions: Annotated[int, msgspec.Meta(ge=0)] = 0
    """Most symbols with a non-zero position at once."""
    max_daily_loss_abs: NonNegative = 0.0
    """Largest loss of the trading day, in quote currency, before the breach action."""
    max_daily_loss_pct: Percent = 0.0
    """Largest loss of the trading day, in percent of the day's starting equity."""
    block_on_violation: bool = True
    """Refuse orders that break a limit; false lets them through with a warning."""
