"""Settings of the venue layer: market data, the paper broker, exchange connection."""

from __future__ import annotations

from typing import Annotated

import msgspec

Positive = Annotated[float, msgspec.Meta(gt=0)]


class MarketDataConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Quote streams and their freshness."""

    stale_after_s: Annotated[float, msgspec.Meta(gt=0, le=600)] = 10.0
    """A symbol with no quote for this long is stale: no order is sent on it."""
    max_jump_pct: Annotated[float, msgspec.Meta(gt=0, le=10_000)] | None = 20.0
    """A quote whose mid is more than this % from the last accepted one is refused (reported as
    ``data.corrupt``) until quotes at the new level have kept coming for ``jump_confirm_s``;
    unset: no jump check (crossed and zero quotes are always refused)."""
    jump_confirm_s: Annotated[float, msgspec.Meta(ge=0, le=60)] = 1.0
    """How long a jumped price level must persist before the quote book takes it."""
    reconnect_base_s: Annotated[float, msgspec.Meta(gt=0, le=60)] = 0.5
    """First reconnect delay; doubles per failed attempt (with jitter)."""
    reconnect_cap_s: Annotated[float, msgspec.Meta(gt=0, le=600)] = 30.0
    """Longest reconnect delay."""
    reconnect_storm_count: Annotated[int, msgspec.Meta(ge=1)] = 5
    """This many reconnects within ``reconnect_storm_window_s`` raise a reconnect-storm alert."""
    reconnect_storm_window_s: Annotated[float, msgspec.Meta(gt=0)] = 300.0
    """Window for counting reconnects."""


class AccountSyncConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Orders, fills and balances from the private stream, with REST polling as a net."""

    use_private_stream: bool = True
    """Follow orders and fills on the exchange's private stream (ccxt.pro)."""
    quiet_after_s: Annotated[float, msgspec.Meta(gt=0, le=600)] = 15.0
    """If the private stream says nothing for this long, poll over REST."""
    poll_interval_s: Annotated[float, msgspec.Meta(gt=0, le=600)] = 5.0
    """REST polling interval while the stream is quiet or off."""


class PaperConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The paper broker: simulated fills on the venue's real quotes."""

    starting_balances: dict[str, Annotated[float, msgspec.Meta(ge=0)]] = msgspec.field(
        default_factory=lambda: {"USDT": 100_000.0}
    )
    """Balances the paper account starts with (asset -> amount)."""
    taker_fee_rate: Annotated[float, msgspec.Meta(ge=0, le=0.1)] = 0.001
    """Fee on fills that take liquidity, as a fraction of notional (0.001 = 10 bps)."""
    maker_fee_rate: Annotated[float, msgspec.Meta(ge=0, le=0.1)] = 0.001
    """Fee on resting limit orders that fill."""
    slippage_bps: Annotated[float, msgspec.Meta(ge=0, le=1000)] = 2.0
    """Price slippage applied to market orders, in basis points against the taker."""
