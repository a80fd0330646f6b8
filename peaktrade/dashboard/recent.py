"""What the dashboard lists, kept up to date by the daemon's listeners instead of queried:
building a view must not wait for the database lane the kill switch uses.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from peaktrade.core.model import Fill
from peaktrade.core.orders import JournalOrder
from peaktrade.store.alerts import AlertRow


class Recent:
    """Open orders, the newest fills and alerts. Listener methods are sync and quick."""

    def __init__(self, keep: int = 20) -> None:
        self.open_orders: dict[str, JournalOrder] = {}
        self.fills: deque[Fill] = deque(maxlen=keep)
        self.alerts: deque[AlertRow] = deque(maxlen=keep)

    def seed(self, live: Iterable[JournalOrder], fills: Iterable[Fill]) -> None:
        """From the journal at start: what is open now and the latest fills (oldest first)."""
        for order in live:
            self.on_order(order)
        for fill in fills:
            self.on_fill(fill)

    def on_order(self, order: JournalOrder) -> None:
        if order.state.live:
            self.open_orders[order.client_order_id] = order
        else:
            self.open_orders.pop(order.client_order_id, None)

    def on_fill(self, fill: Fill) -> None:
        self.fills.appendleft(fill)

    def on_alert(self, row: AlertRow) -> None:
        self.alerts.appendleft(row)
