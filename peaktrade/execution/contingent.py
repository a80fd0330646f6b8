"""OCO and bracket orders: native where the venue has them, emulated by the daemon where not.

Emulated OCO: the take-profit leg rests at the venue; the stop-loss leg is held here (persisted)
and sent as a limit order when the last price crosses its stop, after the take-profit leg is
cancelled. Holding the stop ourselves is what keeps the position's funds from being locked twice.
A bracket journals its entry; once the entry has filled, an OCO exit for the filled quantity
is placed (native or emulated). Everything still goes through the one order path: a HALTED
daemon sends no emulated stop, and a kill with cancel-open disarms what is held here.
"""

from __future__ import annotations

from collections.abc import Callable

import anyio
import msgspec
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from peaktrade.core.events import DaemonEvent
from peaktrade.core.model import OrderIntent, OrderType, Quote
from peaktrade.core.orders import (
    BracketIntent,
    JournalOrder,
    OcoIntent,
    OrderState,
    exit_of,
    oco_legs,
    stop_triggered,
)
from peaktrade.execution.engine import Check, OrderPath, Screened, Submitted
from peaktrade.log import get_logger
from peaktrade.store import journal, triggers
from peaktrade.store.triggers import Contingent

log = get_logger("peaktrade.contingent")

_intent = msgspec.json.Decoder(OrderIntent)
_bracket = msgspec.json.Decoder(BracketIntent)


class ContingentOrders:
    def __init__(self, path: OrderPath, now_ms: Callable[[], int]) -> None:
        self.path = path
        self.now_ms = now_ms
        self.held: dict[str, Contingent] = {}  # group id -> armed stop or waiting bracket
        self._firing: set[str] = set()  # crossed, handed to the task once
        send: MemoryObjectSendStream[object]
        receive: MemoryObjectReceiveStream[object]
        send, receive = anyio.create_memory_object_stream[object](max_buffer_size=10_000)
        self._send, self._receive = send, receive

    async def load(self) -> None:
        """Re-arm what a previous run left held in the executor's own book; another book's
        stops stay on disk for a run of their executor (they are not this venue's to send)."""
        for row in await self.path.db.call(triggers.active):
            if self._mine(await self.path.db.call(journal.group_orders, row.group_id)):
                self.held[row.group_id] = row

    def _mine(self, legs: list[JournalOrder]) -> bool:
        """A group belongs to the executor that journaled its legs."""
        return bool(legs) and legs[0].executor == self.path.executor.name

    # --- submitting ---------------------------------------------------------------------

    async def submit_oco(self, oco: OcoIntent) -> list[Submitted]:
        take, stop = oco_legs(oco)
        path = self.path
        if path.executor.native_oco:
            return await path.submit(
                [take, stop], group=True, roles=["take_profit", "stop_loss"], alternatives=True
            )
        (held,) = path.screen([stop], record=True)  # the held leg passes the same gate now
        if not held.allowed:
            return [_refused_pair(path.screen([take])[0], "oco.stop_refused"), _as_refused(held)]
        (placed,) = await path.submit([take], group=True, roles=["take_profit"])
        if placed.order is None or not placed.order.state.live:
            return [placed, _not_held(held, "oco.take_profit_not_placed")]
        row = await path.db.call(
            triggers.add,
            group_id=placed.order.group_id,
            kind="stop",
            spec=msgspec.json.encode(stop).decode(),
            state="armed",
            now_ms=self.now_ms(),
        )
        self.held[row.group_id] = row
        log.info("oco_stop_held", group=row.group_id, stop=stop.stop_price)
        return [placed, Submitted(screened=held, outcome="held", code="oco.stop_held")]

    async def submit_bracket(self, bracket: BracketIntent) -> list[Submitted]:
        path = self.path
        (entry,) = await path.submit([bracket.entry], group=True, roles=["entry"])
        if entry.order is None or entry.order.state in (OrderState.REJECTED, OrderState.EXPIRED):
            return [entry]
        row = await path.db.call(
            triggers.add,
            group_id=entry.order.group_id,
            kind="bracket",
            spec=msgspec.json.encode(bracket).decode(),
            state="waiting_entry",
            now_ms=self.now_ms(),
        )
        self.held[row.group_id] = row
        if entry.order.state is OrderState.FILLED:
            self._send.send_nowait(entry.order)
        return [entry]

    # --- listeners (sync, from the quote book and the order path) -------------------------

    def on_quote(self, quote: Quote) -> None:
        for row in self.held.values():
            if row.kind == "stop" and row.state == "armed":
                stop = _intent.decode(row.spec)
                if (
                    stop.symbol == quote.symbol
                    and row.group_id not in self._firing
                    and stop_triggered(stop, quote.last)
                ):
                    self._firing.add(row.group_id)
                    self._send.send_nowait(row.group_id)

    def on_order(self, order: JournalOrder) -> None:
        if order.group_id in self.held:
            self._send.send_nowait(order)

    # --- the task -----------------------------------------------------------------------

    async def run(self) -> None:
        async with self._receive:
            async for item in self._receive:
                try:
                    if isinstance(item, str):
                        await self._fire(item)
                    elif isinstance(item, JournalOrder):
                        await self._order_changed(item)
                except Exception:
                    log.exception("contingent_failed")

    async def _fire(self, group_id: str) -> None:
        """The held stop's price was crossed: take-profit leg off, stop leg on."""
        row = self.held.get(group_id)
        if row is None or row.state != "armed":
            return
        legs = await self.path.db.call(journal.group_orders, group_id)
        if not self._mine(legs):  # the executor was switched under it: never send to another
            await self._settle(row, "cancelled", "stop crossed after its executor was switched")
            return
        await self._settle(row, "fired", "stop price crossed")
        stop = _intent.decode(row.spec)
        for leg in legs:
            if leg.state.live:
                await self.path.cancel(leg.client_order_id)
        order = msgspec.structs.replace(
            stop, type=OrderType.LIMIT, stop_price=None, tag=f"{stop.tag} (stop fired)"
        )
        (sent,) = await self.path.submit([order])
        log.warning("oco_stop_fired", group=group_id, outcome=sent.outcome, code=sent.code)
        if sent.order is None:
            self.path.events(
                DaemonEvent(
                    code="order.stop_not_sent",
                    level="CRITICAL",
                    message=f"emulated stop of {group_id} fired but was refused: {sent.code}",
                    ts_ms=self.now_ms(),
                    context={"group_id": group_id, "code": sent.code},
                    dedupe_key=f"order.stop_not_sent:{group_id}",
                )
            )

    async def _order_changed(self, order: JournalOrder) -> None:
        row = self.held.get(order.group_id)
        if row is None:
            return
        if order.executor != self.path.executor.name:  # switched: its exit is not the new one's
            await self._settle(row, "cancelled", f"{order.role} {order.state.value} after a switch")
            return
        if row.kind == "stop" and order.role == "take_profit":
            if order.state is OrderState.FILLED:
                await self._settle(row, "cancelled", "take profit filled")
            elif order.state.final:
                await self._settle(row, "cancelled", f"take profit {order.state.value}")
        elif row.kind == "bracket" and order.role == "entry" and order.state.final:
            await self._settle(row, "placed", f"entry {order.state.value}")
            held = await self._held_by(order)
            if held > 0:
                exit_oco = exit_of(_bracket.decode(row.spec), held)
                results = await self.submit_oco(exit_oco)
                log.info("bracket_exit", group=row.group_id, outcomes=[r.outcome for r in results])

    async def _held_by(self, order: JournalOrder) -> float:
        """What an entry left us holding: its fills, less fees taken in the base asset (an exit
        for the gross quantity would be refused for insufficient balance)."""
        fills = await self.path.db.call(journal.fills_of, order.client_order_id)
        base = order.intent.symbol.partition("/")[0]
        qty = sum(f.qty for f in fills) or order.filled_qty
        return max(0.0, qty - sum(f.fee for f in fills if f.fee_currency == base))

    async def _settle(self, row: Contingent, state: str, note: str) -> None:
        await self.path.db.call(triggers.set_state, row.id, state, now_ms=self.now_ms(), note=note)
        self.held.pop(row.group_id, None)

    async def cancel_all(self, why: str) -> int:
        """A kill with cancel-open disarms every held stop and waiting bracket."""
        rows = list(self.held.values())
        for row in rows:
            await self._settle(row, "cancelled", why)
        return len(rows)


def _refused_pair(screened: Screened, code: str) -> Submitted:
    return Submitted(
        screened=screened, outcome="refused", code=code, message="the OCO's stop leg was refused"
    )


def _as_refused(screened: Screened) -> Submitted:
    refusal = screened.refusal
    return Submitted(
        screened=screened,
        outcome="refused",
        code=refusal.code if refusal else "oco.refused",
        message=refusal.detail if refusal else "",
    )


def _not_held(screened: Screened, code: str) -> Submitted:
    checks = [*screened.checks, Check(rule="oco", passed=False, code=code, detail=code)]
    return Submitted(
        screened=msgspec.structs.replace(screened, allowed=False, checks=checks),
        outcome="refused",
        code=code,
        message="the take-profit leg did not rest, so the stop is not held",
    )
