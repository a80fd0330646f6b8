"""Order states and the moves between them, as the journal records them.

UNKNOWN is a first-class state: the order may or may not exist on the exchange. It is left
only by what a lookup shows, never by sending the order again.
"""

from __future__ import annotations

import enum

import msgspec

from peaktrade.core.model import OrderIntent, OrderType, Side


class OrderState(enum.StrEnum):
    PENDING = "pending"  # journaled, not yet (known to be) sent
    OPEN = "open"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELLED = "cancelled"
    REJECTED = "rejected"
    EXPIRED = "expired"
    UNKNOWN = "unknown"

    @property
    def final(self) -> bool:
        return self in _FINAL

    @property
    def live(self) -> bool:
        """May still fill on the exchange: must be cancelled by a kill with cancel-open."""
        return self in (OrderState.OPEN, OrderState.PARTIALLY_FILLED, OrderState.UNKNOWN)


_FINAL = frozenset(
    {OrderState.FILLED, OrderState.CANCELLED, OrderState.REJECTED, OrderState.EXPIRED}
)

# What the journal may record after each state. A final state may still be corrected once by
# reconciliation (an order we thought expired shows up filled): that is an explicit repair.
_NEXT: dict[OrderState, frozenset[OrderState]] = {
    OrderState.PENDING: frozenset(OrderState) - {OrderState.PENDING},
    OrderState.UNKNOWN: frozenset(OrderState) - {OrderState.PENDING, OrderState.UNKNOWN},
    OrderState.OPEN: frozenset(
        {
            OrderState.PARTIALLY_FILLED,
            OrderState.FILLED,
            OrderState.CANCELLED,
            OrderState.EXPIRED,
            OrderState.REJECTED,
        }
    ),
    OrderState.PARTIALLY_FILLED: frozenset(
        {OrderState.PARTIALLY_FILLED, OrderState.FILLED, OrderState.CANCELLED, OrderState.EXPIRED}
    ),
}


def can_move(current: OrderState, new: OrderState) -> bool:
    if current == new and current is not OrderState.PARTIALLY_FILLED:
        return True  # idempotent repeats (a report seen on both stream and REST)
    return new in _NEXT.get(current, frozenset())


class Outcome(enum.StrEnum):
    """What a send, cancel or lookup told us."""

    ACCEPTED = "accepted"  # the exchange has the order
    REJECTED = "rejected"  # final: the exchange refused it, nothing happened
    RETRYABLE = "retryable"  # nothing happened, safe to send the same id again
    UNKNOWN = "unknown"  # it may have happened: resolve by lookup


class JournalOrder(msgspec.Struct, frozen=True, kw_only=True):
    """One order as the journal knows it."""

    client_order_id: str
    seq: int
    intent: OrderIntent
    executor: str  # "shadow", "paper", "exchange"
    state: OrderState
    exchange_order_id: str | None = None
    filled_qty: float = 0.0
    avg_fill_price: float | None = None
    created_ms: int
    updated_ms: int
    reason: str = ""  # why rejected/expired/unknown, a stable code
    group_id: str = ""  # OCO or bracket the order belongs to
    role: str = ""  # "entry", "take_profit", "stop_loss", "above", "below"

    @property
    def remaining_qty(self) -> float:
        return max(0.0, self.intent.qty - self.filled_qty)


class ExchangeOrderReport(msgspec.Struct, frozen=True, kw_only=True):
    """An order as a venue reports it (stream, REST or lookup), in our vocabulary."""

    client_order_id: str
    exchange_order_id: str
    symbol: str
    state: OrderState
    filled_qty: float
    avg_fill_price: float | None
    ts_ms: int
    side: str = ""
    qty: float = 0.0
    price: float | None = None
    type: str = ""


_RANK = {
    OrderState.PENDING: 0,
    OrderState.UNKNOWN: 0,
    OrderState.OPEN: 1,
    OrderState.PARTIALLY_FILLED: 2,
}


class Merged(msgspec.Struct, frozen=True):
    state: OrderState
    filled_qty: float
    avg_fill_price: float | None


def merge_report(order: JournalOrder, report: ExchangeOrderReport) -> Merged | None:
    """What the journal should say after ``report``; None when it brings no news.

    Reports arrive out of order (the stream may beat the REST reply, a poll may lag the
    stream): state only moves forward and filled quantity only grows.
    """
    filled = max(order.filled_qty, report.filled_qty)
    avg = report.avg_fill_price if report.avg_fill_price is not None else order.avg_fill_price
    new = report.state
    if new in (OrderState.OPEN, OrderState.PARTIALLY_FILLED):
        new = OrderState.PARTIALLY_FILLED if filled > 0 else OrderState.OPEN
    if order.state.final:
        if new is order.state and filled > order.filled_qty:
            return Merged(order.state, filled, avg)  # e.g. the fills of a cancelled order
        return None
    if not new.final and _RANK[new] < _RANK[order.state]:
        return None
    if (
        new is order.state
        and filled == order.filled_qty
        and (order.exchange_order_id or not report.exchange_order_id)
    ):
        return None
    return Merged(new, filled, avg)


class OcoIntent(msgspec.Struct, frozen=True, kw_only=True):
    """An exit in two legs, one cancelling the other: take profit above, stop loss below (for
    a sell; mirrored for a buy). ``stop_limit_price`` defaults to 0.5 % through the stop."""

    symbol: str
    side: Side
    qty: float
    take_profit_price: float
    stop_price: float
    stop_limit_price: float | None = None
    source: str = "strategy"
    tag: str = ""


class BracketIntent(msgspec.Struct, frozen=True, kw_only=True):
    """An entry, then, once it has filled, an OCO exit for what filled."""

    entry: OrderIntent
    take_profit_price: float
    stop_price: float
    stop_limit_price: float | None = None


STOP_LIMIT_SLACK = 0.005


def oco_legs(oco: OcoIntent) -> tuple[OrderIntent, OrderIntent]:
    """The take-profit (post-only limit) and stop-loss (stop-limit) legs of an OCO."""
    through = -1.0 if oco.side is Side.SELL else 1.0
    limit = oco.stop_limit_price or oco.stop_price * (1 + through * STOP_LIMIT_SLACK)
    take = OrderIntent(
        symbol=oco.symbol,
        side=oco.side,
        qty=oco.qty,
        type=OrderType.LIMIT,
        price=oco.take_profit_price,
        post_only=True,
        source=oco.source,
        tag=oco.tag or "oco take profit",
    )
    stop = OrderIntent(
        symbol=oco.symbol,
        side=oco.side,
        qty=oco.qty,
        type=OrderType.STOP_LOSS_LIMIT,
        price=limit,
        stop_price=oco.stop_price,
        source=oco.source,
        tag=oco.tag or "oco stop loss",
    )
    return take, stop


def exit_of(bracket: BracketIntent, filled_qty: float) -> OcoIntent:
    """The OCO that protects a bracket's filled entry."""
    entry = bracket.entry
    return OcoIntent(
        symbol=entry.symbol,
        side=Side.SELL if entry.side is Side.BUY else Side.BUY,
        qty=filled_qty,
        take_profit_price=bracket.take_profit_price,
        stop_price=bracket.stop_price,
        stop_limit_price=bracket.stop_limit_price,
        source=entry.source,
        tag="bracket exit",
    )


def stop_triggered(stop: OrderIntent, last: float) -> bool:
    """Binance semantics: a sell stop fires at or below its stop, a buy stop at or above."""
    assert stop.stop_price is not None
    return last <= stop.stop_price if stop.side is Side.SELL else last >= stop.stop_price
