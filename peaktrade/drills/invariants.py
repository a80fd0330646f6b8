"""What must hold between the journal and the exchange after any fault or crash.

Both campaigns (faults in process, SIGKILLs of the daemon) end here: the exchange's own record
of orders and trades, the journal's, and the list of every way they disagree. The exchange side
is plain Binance data (status strings, order ids), so the check does not trust our own mapping
code, only the journal's final word.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

import msgspec

from peaktrade.core.ids import is_ours
from peaktrade.core.model import Fill
from peaktrade.core.orders import JournalOrder, OrderState

# Binance order status -> the journal state it must end in.
BINANCE_STATES: Mapping[str, OrderState] = {
    "NEW": OrderState.OPEN,
    "PARTIALLY_FILLED": OrderState.PARTIALLY_FILLED,
    "FILLED": OrderState.FILLED,
    "CANCELED": OrderState.CANCELLED,
    "PENDING_CANCEL": OrderState.CANCELLED,
    "EXPIRED": OrderState.EXPIRED,
    "EXPIRED_IN_MATCH": OrderState.EXPIRED,
    "REJECTED": OrderState.REJECTED,
}
_QTY_TOLERANCE = 1e-9


class ExchangeOrder(msgspec.Struct, frozen=True, kw_only=True):
    """One order as the exchange lists it (allOrders)."""

    client_order_id: str
    order_id: str
    symbol: str  # unified, e.g. BTC/USDT
    status: str  # Binance's word: NEW, FILLED, CANCELED, ...
    executed_qty: float


class ExchangeFill(msgspec.Struct, frozen=True, kw_only=True):
    """One trade of the account as the exchange lists it (myTrades)."""

    symbol: str  # unified
    trade_id: str
    order_id: str
    qty: float


class ExchangeRecord(msgspec.Struct, frozen=True, kw_only=True):
    """Everything the exchange knows about the account's orders and trades."""

    orders: list[ExchangeOrder]
    fills: list[ExchangeFill]
    accepted: dict[str, int]  # client order id -> how often an order with it was accepted


class Violations(msgspec.Struct, frozen=True, kw_only=True):
    """Each list names the orders or trades that break one invariant; all empty is a pass."""

    duplicates: list[str]  # a client order id accepted more than once
    strays: list[str]  # our namespace on the exchange, but not in the journal
    lost_fills: list[str]  # an exchange trade of our orders the journal lacks
    invented_fills: list[str]  # a journal fill the exchange never made
    state_mismatches: list[str]  # final state or filled quantity differs
    still_in_doubt: list[str]  # journal orders left pending or unknown

    @property
    def ok(self) -> bool:
        return not any(msgspec.structs.astuple(self))

    def summary(self) -> str:
        """One readable line per broken invariant (empty when all hold)."""
        return "\n".join(
            f"{name}: {len(items)} e.g. {items[:5]}"
            for name, items in msgspec.structs.asdict(self).items()
            if items
        )


def compare(
    orders: Iterable[JournalOrder], fills: Iterable[Fill], exchange: ExchangeRecord, ns: str
) -> Violations:
    """Every way the journal (namespace ``ns``) and the exchange's record disagree."""
    journal = {o.client_order_id: o for o in orders}
    ours = [x for x in exchange.orders if is_ours(x.client_order_id, ns)]
    by_cid: dict[str, list[ExchangeOrder]] = {}
    for x in ours:
        by_cid.setdefault(x.client_order_id, []).append(x)
    placed = Counter({cid: len(xs) for cid, xs in by_cid.items()})
    accepted = {cid: n for cid, n in exchange.accepted.items() if is_ours(cid, ns)}
    duplicates = sorted(
        c for c in set(placed) | set(accepted) if max(placed[c], accepted.get(c, 0)) > 1
    )
    strays = sorted(cid for cid in by_cid if cid not in journal)
    our_ids = {x.order_id for x in ours}
    exchange_fills = {(f.symbol, f.trade_id) for f in exchange.fills if f.order_id in our_ids}
    journal_fills = {(f.symbol, f.trade_id) for f in fills}
    return Violations(
        duplicates=duplicates,
        strays=strays,
        lost_fills=sorted(f"{s}:{t}" for s, t in exchange_fills - journal_fills),
        invented_fills=sorted(f"{s}:{t}" for s, t in journal_fills - exchange_fills),
        state_mismatches=_state_mismatches(journal, by_cid),
        still_in_doubt=sorted(
            cid for cid, o in journal.items() if o.state in (OrderState.UNKNOWN, OrderState.PENDING)
        ),
    )


def _state_mismatches(
    journal: Mapping[str, JournalOrder], by_cid: Mapping[str, Sequence[ExchangeOrder]]
) -> list[str]:
    out = []
    for cid, order in sorted(journal.items()):
        placed = by_cid.get(cid)
        if not placed:
            if order.state not in (OrderState.REJECTED, OrderState.EXPIRED):
                out.append(f"{cid}: journal {order.state.value}, the exchange has no such order")
            continue
        x = placed[-1]
        want = BINANCE_STATES.get(x.status)
        if want is not order.state or abs(x.executed_qty - order.filled_qty) > _QTY_TOLERANCE:
            out.append(
                f"{cid}: journal {order.state.value} {order.filled_qty:g},"
                f" exchange {x.status} {x.executed_qty:g}"
            )
    return out
