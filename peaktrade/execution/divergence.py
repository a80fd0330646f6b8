"""Intended versus actual fills: each order's intended price is taken as it is sent, its fills
are compared with it, and an order whose fills average beyond the limit raises one
``execution.fill_divergence`` alert. One definition of divergence, the stages' own
(``peaktrade.stages.divergence``): intended = the limit price, else the mid at the intent.

Intended prices live in memory: an order sent before a restart is not measured.
"""

from __future__ import annotations

from collections.abc import Callable

from peaktrade.core.events import DaemonEvent, EventSink
from peaktrade.core.model import Fill
from peaktrade.core.orders import JournalOrder
from peaktrade.log import get_logger
from peaktrade.stages.divergence import intended_price, shortfall_bps
from peaktrade.venues.quotes import QuoteBook

log = get_logger("peaktrade.divergence")


class _Measured:
    __slots__ = ("filled", "intended", "notional", "order")

    def __init__(self, order: JournalOrder, intended: float) -> None:
        self.order = order
        self.intended = intended
        self.filled = 0.0
        self.notional = 0.0


class DivergenceMonitor:
    def __init__(
        self,
        quotes: QuoteBook,
        events: EventSink,
        now_ms: Callable[[], int],
        limit_bps: float | None,
    ) -> None:
        self.quotes = quotes
        self.events = events
        self.now_ms = now_ms
        self.limit_bps = limit_bps
        self._orders: dict[str, _Measured] = {}
        self.alerted = 0

    def on_send(self, order: JournalOrder) -> None:
        """Right before the executor call: what the order meant to get."""
        quote = self.quotes.fresh(order.intent.symbol)
        intended = intended_price(order.intent, quote.mid if quote is not None else None)
        if intended is not None:
            self._orders[order.client_order_id] = _Measured(order, intended)

    def on_order(self, order: JournalOrder) -> None:
        if not order.state.live:
            self._orders.pop(order.client_order_id, None)

    def on_fill(self, fill: Fill) -> None:
        measured = self._orders.get(fill.client_order_id)
        if measured is None:
            return
        measured.filled += fill.qty
        measured.notional += fill.qty * fill.price
        side, intended = measured.order.intent.side, measured.intended
        average = measured.notional / measured.filled
        bps = shortfall_bps(side, intended, average)
        log.info("fill_divergence", cid=fill.client_order_id, bps=round(bps, 2))
        if self.limit_bps is None or bps <= self.limit_bps:
            return
        self._orders.pop(fill.client_order_id, None)  # one alert per order
        self.alerted += 1
        cost = side.sign * (average - intended) * measured.filled
        self.events(
            DaemonEvent(
                code="execution.fill_divergence",
                level="WARNING",
                message=f"{side.value} {fill.symbol} filled at {average:g}, {bps:.0f} bps worse "
                f"than intended ({intended:g}; limit {self.limit_bps:g} bps; "
                f"cost {cost:.2f})",
                ts_ms=self.now_ms(),
                context={
                    "client_order_id": fill.client_order_id,
                    "symbol": fill.symbol,
                    "intended": intended,
                    "avg_fill_price": average,
                    "bps": round(bps, 1),
                    "cost": round(cost, 2),
                },
                dedupe_key=f"execution.fill_divergence:{fill.client_order_id}",
            )
        )
