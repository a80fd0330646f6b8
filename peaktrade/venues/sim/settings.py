"""Settings of the built-in Binance Spot simulator (the daemon config's ``[sim]`` section).

Every field carries a one-line docstring: the config reference is generated from them.
Amounts are ``Decimal`` so TOML strings such as ``"0.001"`` stay exact.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import msgspec


class SymbolSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One spot market the simulator lists, with Binance's filters for it."""

    symbol: str
    """Binance symbol id, e.g. ``BTCUSDT``."""
    base: str
    """Base asset, e.g. ``BTC``."""
    quote: str
    """Quote asset, e.g. ``USDT``."""
    price: Decimal
    """Initial last price (also where the synthetic history ends)."""
    tick_size: Decimal
    """PRICE_FILTER tickSize: prices must be a multiple of it."""
    step_size: Decimal
    """LOT_SIZE stepSize: quantities must be a multiple of it."""
    min_qty: Decimal
    """LOT_SIZE minQty."""
    max_qty: Decimal
    """LOT_SIZE maxQty."""
    market_max_qty: Decimal
    """MARKET_LOT_SIZE maxQty: the largest MARKET order quantity."""
    min_notional: Decimal
    """NOTIONAL minNotional: smallest price * quantity accepted."""
    depth_per_level: Decimal
    """Base quantity resting at each synthetic book level; bigger orders walk the book."""
    max_price: Decimal = Decimal("1000000")
    """PRICE_FILTER maxPrice."""
    max_notional: Decimal = Decimal("9000000")
    """NOTIONAL maxNotional."""


DEFAULT_SYMBOLS: tuple[SymbolSettings, ...] = (
    SymbolSettings(
        symbol="BTCUSDT",
        base="BTC",
        quote="USDT",
        price=Decimal("65000.00"),
        tick_size=Decimal("0.01"),
        step_size=Decimal("0.00001"),
        min_qty=Decimal("0.00001"),
        max_qty=Decimal("9000"),
        market_max_qty=Decimal("120"),
        min_notional=Decimal("5"),
        depth_per_level=Decimal("0.5"),
    ),
    SymbolSettings(
        symbol="ETHUSDT",
        base="ETH",
        quote="USDT",
        price=Decimal("3200.00"),
        tick_size=Decimal("0.01"),
        step_size=Decimal("0.0001"),
        min_qty=Decimal("0.0001"),
        max_qty=Decimal("9000"),
        market_max_qty=Decimal("3000"),
        min_notional=Decimal("5"),
        depth_per_level=Decimal("5"),
    ),
    SymbolSettings(
        symbol="SOLUSDT",
        base="SOL",
        quote="USDT",
        price=Decimal("150.00"),
        tick_size=Decimal("0.01"),
        step_size=Decimal("0.001"),
        min_qty=Decimal("0.001"),
        max_qty=Decimal("9000000"),
        market_max_qty=Decimal("50000"),
        min_notional=Decimal("5"),
        depth_per_level=Decimal("50"),
    ),
    SymbolSettings(
        symbol="BNBUSDT",
        base="BNB",
        quote="USDT",
        price=Decimal("580.00"),
        tick_size=Decimal("0.01"),
        step_size=Decimal("0.001"),
        min_qty=Decimal("0.001"),
        max_qty=Decimal("9000"),
        market_max_qty=Decimal("4000"),
        min_notional=Decimal("5"),
        depth_per_level=Decimal("20"),
    ),
    SymbolSettings(
        symbol="XRPUSDT",
        base="XRP",
        quote="USDT",
        price=Decimal("0.5500"),
        tick_size=Decimal("0.0001"),
        step_size=Decimal("0.1"),
        min_qty=Decimal("0.1"),
        max_qty=Decimal("9222449"),
        market_max_qty=Decimal("2000000"),
        min_notional=Decimal("5"),
        depth_per_level=Decimal("20000"),
        max_price=Decimal("1000"),
    ),
)

DEFAULT_BALANCES: dict[str, Decimal] = {
    "USDT": Decimal("100000"),
    "BTC": Decimal("1"),
    "ETH": Decimal("10"),
    "SOL": Decimal("100"),
    "BNB": Decimal("50"),
    "XRP": Decimal("10000"),
}


class SimSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The exchange simulator: where it listens, what it lists, how prices and fills behave."""

    host: str = "127.0.0.1"
    """Interface to listen on; loopback by default, the simulator has no TLS and no real users."""
    port: Annotated[int, msgspec.Meta(ge=0, le=65535)] = 0
    """TCP port for REST and websockets together; 0 picks a free port (the handle tells which)."""
    seed: int = 1
    """Seed for the price walk, order-flow noise and probabilistic faults: same seed, same run."""
    prices_file: str | None = None
    """Scripted price path (CSV ``t_offset_s,symbol,price``); its symbols follow it, others walk."""
    api_key: str = "peaktrade-sim-api-key"
    """The one API key the simulator accepts (header ``X-MBX-APIKEY``)."""
    api_secret: str = "peaktrade-sim-api-secret"  # noqa: S105 - a loopback simulator's fixed key
    """HMAC-SHA256 secret matching ``api_key``; no real secret, the simulator is loopback only."""
    symbols: tuple[SymbolSettings, ...] = DEFAULT_SYMBOLS
    """Markets listed in exchangeInfo, with initial prices, filters and book depth."""
    balances: dict[str, Decimal] = msgspec.field(default_factory=lambda: dict(DEFAULT_BALANCES))
    """Starting free balance per asset."""
    maker_fee: Decimal = Decimal("0.001")
    """Commission rate for fills of resting (maker) orders, charged in the asset received."""
    taker_fee: Decimal = Decimal("0.001")
    """Commission rate for fills that take liquidity, charged in the asset received."""
    tick_interval_s: Annotated[float, msgspec.Meta(gt=0)] = 0.2
    """Seconds between price ticks; a tick moves prices, matches resting orders, feeds streams."""
    volatility: Annotated[float, msgspec.Meta(ge=0)] = 0.0002
    """Standard deviation of the log price change per second of the random walk; 0 holds prices."""
    book_levels: Annotated[int, msgspec.Meta(ge=1)] = 20
    """Synthetic order book levels per side."""
    spread_bps: Annotated[float, msgspec.Meta(ge=0)] = 2.0
    """Distance between best bid and best ask, in basis points of the mid (at least one tick)."""
    level_spacing_bps: Annotated[float, msgspec.Meta(ge=0)] = 1.0
    """Distance between consecutive book levels, in basis points of the mid (at least one tick)."""
    history_minutes: Annotated[int, msgspec.Meta(ge=1)] = 1500
    """Synthetic 1m candles generated before start, so klines and 24h tickers have history."""
    ticker_interval_s: Annotated[float, msgspec.Meta(gt=0)] = 1.0
    """Seconds between 24hr ticker / miniTicker stream pushes (Binance pushes every second)."""
    weight_limit: Annotated[int, msgspec.Meta(ge=1)] = 6000
    """REQUEST_WEIGHT allowed per IP per window; beyond it requests get 429 with Retry-After."""
    weight_window_s: Annotated[float, msgspec.Meta(gt=0)] = 60.0
    """Length of the request weight window (Binance: one minute)."""
    ban_after_violations: Annotated[int, msgspec.Meta(ge=1)] = 2
    """Requests sent while told to back off (after a 429) before the IP is banned with 418."""
    ban_base_s: Annotated[float, msgspec.Meta(gt=0)] = 120.0
    """First IP ban length; each further ban doubles it (Binance: 2 minutes up to 3 days)."""
    ban_max_s: Annotated[float, msgspec.Meta(gt=0)] = 259200.0
    """Longest IP ban."""

    def __post_init__(self) -> None:
        for name, fee in (("maker_fee", self.maker_fee), ("taker_fee", self.taker_fee)):
            if not 0 <= fee < 1:
                raise ValueError(f"{name} must be at least 0 and below 1, not {fee}")
