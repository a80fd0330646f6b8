"""The trading vocabulary shared by strategy, risk, execution and portfolio.

Quantities and prices are floats, as ccxt hands them to us; rounding to an exchange's
precision happens once, at the venue boundary.
"""

from __future__ import annotations

import enum

import msgspec


class Side(enum.StrEnum):
    BUY = "buy"
    SELL = "sell"

    @property
    def sign(self) -> int:
        """+1 for buy, -1 for sell: the direction a fill moves the position."""
        return 1 if self is Side.BUY else -1


class OrderType(enum.StrEnum):
    MARKET = "market"
    LIMIT = "limit"
    STOP_LOSS_LIMIT = "stop_loss_limit"
    TAKE_PROFIT_LIMIT = "take_profit_limit"


class TimeInForce(enum.StrEnum):
    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"


class OrderIntent(msgspec.Struct, frozen=True, kw_only=True):
    """What a strategy or an operator wants to trade, before any check."""

    symbol: str
    side: Side
    qty: float  # base units, > 0
    type: OrderType = OrderType.MARKET
    price: float | None = None  # limit price
    stop_price: float | None = None  # trigger for stop-loss / take-profit
    tif: TimeInForce = TimeInForce.GTC
    post_only: bool = False
    source: str = "strategy"  # strategy name, or "operator" for ptctl orders
    tag: str = ""  # why, in the source's words


class Quote(msgspec.Struct, frozen=True, kw_only=True):
    """Top of book for one symbol at one time."""

    symbol: str
    bid: float
    ask: float
    last: float
    ts_ms: int

    @property
    def mid(self) -> float:
        return (self.bid + self.ask) / 2


class Fill(msgspec.Struct, frozen=True, kw_only=True):
    """One execution of (part of) an order."""

    symbol: str
    side: Side
    qty: float
    price: float
    fee: float
    fee_currency: str
    ts_ms: int
    trade_id: str
    client_order_id: str
