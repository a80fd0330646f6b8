"""Resolving orders in doubt: look them up by client order id, never send them again.

- found: the journal takes the exchange's word;
- "no such order" for longer than the grace period: it was never placed -> expired
  (reconciliation re-opens it if it ever appears);
- still unknown after the bound (the exchange keeps failing): a critical event, trading
  moves to REDUCING, and lookups go on. It is a condition per order: it resolves when that
  order's state is known, by a lookup or by a late report from the stream or REST polling.
"""

from __future__ import annotations

import anyio

from peaktrade.core import trading_state as ts
from peaktrade.core.events import DaemonEvent
from peaktrade.core.orders import JournalOrder, OrderState
from peaktrade.core.trading_state import TradingState
from peaktrade.execution.engine import OrderPath
from peaktrade.log import get_logger
from peaktrade.store import journal
from peaktrade.venues.executor import VenueUpdate

log = get_logger("peaktrade.resolver")


_IN_DOUBT = (OrderState.UNKNOWN, OrderState.PENDING)


class Resolver:
    def __init__(self, path: OrderPath) -> None:
        self.path = path
        self.escalated: set[str] = set()
        self.first_seen_ms: dict[str, int] = {}
        path.order_listeners.append(self._on_order)  # a late report settles a doubt as well

    async def run(self) -> None:
        while True:
            await self.resolve_once()
            await anyio.sleep(self.path.config.resolve_interval_s)

    async def resolve_once(self) -> int:
        """One pass over the doubtful orders; returns how many are still in doubt."""
        path = self.path
        doubtful = await path.db.call(
            journal.orders_in,
            [OrderState.UNKNOWN, OrderState.PENDING],
            executor=path.executor.name,  # another book's doubts are not this exchange's
        )
        now = path.now_ms()
        remaining = 0
        for order in doubtful:
            if order.client_order_id in path.sending:
                continue  # its own send is still under way
            # the list may be stale by now (its send ended, a report came): judge the journal
            current = await path.db.call(journal.get_order, order.client_order_id)
            if current is None or current.state not in _IN_DOUBT:
                if current is not None:
                    self._settled(current)
                continue
            order = current
            if order.state is OrderState.PENDING and order.client_order_id not in path.unknown:
                # journaled and maybe sent before a crash: in doubt until looked up
                path.unknown[order.client_order_id] = order.intent.symbol
            if await self._resolve(order, now):
                continue
            remaining += 1
            await self._maybe_escalate(order, now)
        return remaining

    async def _resolve(self, order: JournalOrder, now: int) -> bool:
        path = self.path
        cid = order.client_order_id
        since = self.first_seen_ms.setdefault(cid, order.updated_ms)
        result = await path.executor.lookup(order)
        if result.found and result.report is not None:
            await path.apply_update(VenueUpdate(report=result.report), kind="lookup")
            current = await path.db.call(journal.get_order, cid)
            if current is not None and current.state not in _IN_DOUBT:
                self._settled(current)
                log.info("order_resolved", cid=cid, state=current.state.value)
                return True
            return False
        if result.not_found and now - since >= path.config.not_found_grace_s * 1000:
            current = await path.db.call(
                journal.update_order,
                cid,
                OrderState.EXPIRED,
                now_ms=now,
                kind="resolved_not_found",
                reason="lookup.not_found",
            )
            self._settled(current)
            log.info("order_never_placed", cid=cid)
            return True
        return False

    def _on_order(self, order: JournalOrder) -> None:
        cid = order.client_order_id
        if order.state not in _IN_DOUBT and (cid in self.escalated or cid in self.first_seen_ms):
            self._settled(order)

    def _settled(self, order: JournalOrder) -> None:
        """Forget the doubt; resolve ``order.unresolved`` if it was raised, by this run or (an
        order in doubt past the bound when first seen) by the run before a restart."""
        cid = order.client_order_id
        self.path.settle_doubt(order)
        since = self.first_seen_ms.pop(cid, None)
        overdue = since is not None and order.updated_ms - since >= self._bound_ms()
        if cid in self.escalated or overdue:
            self.escalated.discard(cid)
            self.path.events(
                DaemonEvent(
                    code="order.unresolved",
                    level="INFO",
                    message=f"order {cid} resolved: {order.state.value}",
                    ts_ms=self.path.now_ms(),
                    context={"client_order_id": cid},
                    dedupe_key=f"order.unresolved:{cid}",
                    resolved=True,
                )
            )

    def _bound_ms(self) -> float:
        return self.path.config.resolve_bound_s * 1000

    async def _maybe_escalate(self, order: JournalOrder, now: int) -> None:
        path = self.path
        cid = order.client_order_id
        since = self.first_seen_ms.get(cid, order.updated_ms)
        if cid in self.escalated or now - since < self._bound_ms():
            return
        self.escalated.add(cid)
        log.error("order_unresolved", cid=cid, symbol=order.intent.symbol)
        path.events(
            DaemonEvent(
                code="order.unresolved",
                level="CRITICAL",
                message=f"order {cid} still unknown after {path.config.resolve_bound_s:g} s;"
                " trading moves to REDUCING",
                ts_ms=now,
                context={"client_order_id": cid, "symbol": order.intent.symbol},
                dedupe_key=f"order.unresolved:{cid}",
            )
        )
        if path.switch.state is TradingState.ACTIVE:
            actor = ts.Actor(source="resolver")
            await path.switch.apply(
                lambda s: ts.reduce(
                    s, reason=f"order {cid} unresolved", actor=actor, now_ms=path.now_ms()
                )
            )
