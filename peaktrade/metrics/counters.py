"""Counts kept from the daemon's listeners since start: what a scrape cannot read off state.

Plain dicts, not prometheus_client metric objects: listeners run on the event loop and must
be a dict update, not a lock; the collector turns them into counter families on scrape.
"""

from __future__ import annotations

from peaktrade.core.events import DaemonEvent
from peaktrade.core.orders import JournalOrder
from peaktrade.runlog.events import risk_codes
from peaktrade.store.alerts import AlertRow

_TRACKED_MAX = 10_000  # orders whose last state is remembered; final ones are forgotten


class Counters:
    def __init__(self) -> None:
        self.orders: dict[str, int] = {}  # journal state reached -> orders
        self.risk_rejections: dict[str, int] = {}  # rule code -> refused orders
        self.risk_warnings: dict[str, int] = {}  # rule code -> orders let through with a warning
        self.portfolio_breaches: dict[str, int] = {}  # rule -> breaches raised
        self.alerts: dict[str, int] = {}  # level -> alerts raised this run
        self.events: dict[str, int] = {}  # daemon event code -> events
        self._last_state: dict[str, str] = {}

    def seed(self, live: list[JournalOrder]) -> None:
        """Orders already open at start: their later moves count, their current state not."""
        for order in live:
            self._last_state[order.client_order_id] = order.state.value

    def on_order(self, order: JournalOrder) -> None:
        cid, state = order.client_order_id, order.state.value
        if self._last_state.get(cid) == state:
            return
        _bump(self.orders, state)
        if order.state.final:
            self._last_state.pop(cid, None)
        elif len(self._last_state) < _TRACKED_MAX:
            self._last_state[cid] = state

    def on_event(self, event: DaemonEvent) -> None:
        _bump(self.events, event.code)
        if event.code == "risk.order_violation":
            allowed = event.context.get("allowed")
            into = self.risk_warnings if allowed is True else self.risk_rejections
            for code in risk_codes(event) or ["unknown"]:
                _bump(into, code)
        elif event.code == "risk.portfolio_breach" and not event.resolved:
            for code in risk_codes(event) or ["unknown"]:
                _bump(self.portfolio_breaches, code)

    def on_alert(self, row: AlertRow) -> None:
        _bump(self.alerts, row.level)


def _bump(counts: dict[str, int], key: str) -> None:
    counts[key] = counts.get(key, 0) + 1
