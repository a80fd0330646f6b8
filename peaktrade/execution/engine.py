"""The order path: intent -> trading-state gate -> risk -> journal -> executor -> outcome.

One way, no shortcuts. ``screen`` is everything before the journal and has no side effects, so
preview runs exactly it. ``submit`` journals what passed (durable, with its client order id)
and only then hands it to the executor. An UNKNOWN outcome is left to the resolver, which
looks the order up; nothing here ever sends an order twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import anyio
import msgspec

from peaktrade.core import trading_state as ts
from peaktrade.core.events import DaemonEvent, EventSink
from peaktrade.core.model import Fill, OrderIntent, OrderType
from peaktrade.core.orders import JournalOrder, OrderState, Outcome
from peaktrade.core.portfolio import Position, apply_fill
from peaktrade.daemon.trading import TradingSwitch
from peaktrade.execution.config import ExecutionConfig
from peaktrade.log import get_logger
from peaktrade.store import journal
from peaktrade.store.db import Database
from peaktrade.venues.executor import Executor, SubmitResult, VenueFill, VenueUpdate
from peaktrade.venues.quotes import QuoteBook

log = get_logger("peaktrade.execution")


class Check(msgspec.Struct, frozen=True):
    """One gate an intent went through: what, passed or not, why."""

    rule: str
    passed: bool
    code: str = ""
    detail: str = ""
    warning: bool = False


class Screened(msgspec.Struct, frozen=True):
    """An intent with every check it went through; ``allowed`` is the verdict."""

    intent: OrderIntent
    allowed: bool
    reduces: bool
    checks: list[Check]

    @property
    def refusal(self) -> Check | None:
        return next((c for c in self.checks if not c.passed), None)


class Submitted(msgspec.Struct, frozen=True):
    """What became of one intent: refused before the journal, or the journaled order."""

    screened: Screened
    order: JournalOrder | None = None
    outcome: str = ""  # accepted / rejected / retryable / unknown / refused
    code: str = ""
    message: str = ""


class RiskVerdict(msgspec.Struct, frozen=True):
    """The risk layer's word on one intent of a batch (checked cumulatively)."""

    allowed: bool
    reducing: bool  # derived from the running position, never taken from the intent
    checks: list[Check]


class RiskGate(Protocol):
    def check(self, intents: Sequence[OrderIntent], *, record: bool) -> list[RiskVerdict]:
        """``record``: persist and alert violations (submissions only, never a preview)."""
        ...

    def record_sent(self, intents: Sequence[OrderIntent]) -> None: ...


class OrderPath:
    def __init__(
        self,
        *,
        db: Database,
        ns: str,
        executor: Executor,
        switch: TradingSwitch,
        quotes: QuoteBook,
        events: EventSink,
        config: ExecutionConfig,
        now_ms: Callable[[], int],
        quote_currency: str,
        risk: RiskGate | None = None,
    ) -> None:
        self.db = db
        self.ns = ns
        self.executor = executor
        self.switch = switch
        self.quotes = quotes
        self.events = events
        self.config = config
        self.now_ms = now_ms
        self.risk = risk
        self.quote_currency = quote_currency
        self.positions: dict[str, Position] = {}
        self.unknown: dict[str, str] = {}  # client id -> symbol of each order in doubt
        self.sending: set[str] = set()  # journaled, executor call in progress: not in doubt yet
        self.stopping = False
        self.reconciled = True  # the daemon clears this until start-up reconciliation is done
        self.inflight = 0
        self._idle = anyio.Event()
        self._idle.set()
        self.fill_listeners: list[Callable[[Fill], None]] = []
        self.order_listeners: list[Callable[[JournalOrder], None]] = []
        self.send_listeners: list[Callable[[JournalOrder], None]] = []  # right before sending

    async def load(self) -> None:
        """Positions and doubts from the executor's own book, nothing else (start-up, and again
        after every executor switch, before reconciliation)."""
        book = self.executor.name
        fills = await self.db.call(journal.all_fills, executor=book)
        doubtful = await self.db.call(
            journal.orders_in, [OrderState.UNKNOWN, OrderState.PENDING], executor=book
        )
        self.positions = {}
        for fill in fills:
            self._add_position(fill)
        self.unknown = {o.client_order_id: o.intent.symbol for o in doubtful}

    # --- screening (no side effects) ----------------------------------------------------

    def net_positions(self) -> dict[str, float]:
        return {symbol: p.qty for symbol, p in self.positions.items() if p.qty != 0}

    def screen(
        self, intents: Sequence[OrderIntent], *, bypass_state: bool = False, record: bool = False
    ) -> list[Screened]:
        """Every check, no side effect unless ``record`` (which only ``submit`` sets)."""
        verdicts = self.risk.check(intents, record=record) if self.risk is not None else None
        reduces_flags = (
            [v.reducing for v in verdicts] if verdicts is not None else self._reducing(intents)
        )
        doubtful_symbols = set(self.unknown.values())
        out = []
        for index, intent in enumerate(intents):
            reduces = reduces_flags[index]
            checks = [
                self._state_check(reduces, bypass_state),
                self._shape_check(intent),
                self._quote_check(intent),
                _check(
                    "unresolved_order",
                    intent.symbol not in doubtful_symbols,
                    "order.unknown_pending",
                    f"an order on {intent.symbol} is in doubt; resolve it first"
                    if intent.symbol in doubtful_symbols
                    else "",
                ),
            ]
            if verdicts is not None:
                checks.extend(verdicts[index].checks)
                if not verdicts[index].allowed and all(c.passed for c in checks):
                    checks.append(_check("risk", False, "risk.blocked", "refused by risk"))
            allowed = all(c.passed for c in checks)
            out.append(Screened(intent=intent, allowed=allowed, reduces=reduces, checks=checks))
        return out

    def _reducing(self, intents: Sequence[OrderIntent]) -> list[bool]:
        """Without a risk layer (tests, tools): the same cumulative rule over journal fills."""
        positions = self.net_positions()
        out = []
        for intent in intents:
            position = positions.get(intent.symbol, 0.0)
            signed = intent.side.sign * intent.qty
            out.append(
                position != 0
                and (position > 0) != (signed > 0)
                and intent.qty <= abs(position) * (1 + 1e-9)
            )
            positions[intent.symbol] = position + signed
        return out

    def _state_check(self, reduces: bool, bypass: bool) -> Check:
        if self.stopping:
            return _check("stopping", False, "daemon.stopping", "the daemon is shutting down")
        if not self.reconciled:
            return _check(
                "reconciled", False, "daemon.not_reconciled", "journal and exchange not reconciled"
            )
        state = self.switch.state
        ok = bypass or ts.allows_order(state, reduces_exposure=reduces)
        return _check("trading_state", ok, f"state.{state.value.lower()}", f"state {state.value}")

    def _shape_check(self, intent: OrderIntent) -> Check:
        if not intent.qty > 0:
            return _check("order_shape", False, "order.bad_qty", "quantity must be positive")
        needs_price = intent.type is not OrderType.MARKET
        if needs_price and not (intent.price is not None and intent.price > 0):
            return _check("order_shape", False, "order.price_required", "a limit price is needed")
        stops = (OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT_LIMIT)
        if intent.type in stops and not (intent.stop_price and intent.stop_price > 0):
            return _check("order_shape", False, "order.stop_required", "a stop price is needed")
        if intent.symbol not in self.quotes.symbols:
            return _check("order_shape", False, "order.unknown_symbol", f"{intent.symbol}?")
        return _check("order_shape", True)

    def _quote_check(self, intent: OrderIntent) -> Check:
        fresh = self.quotes.fresh(intent.symbol) is not None
        age = self.quotes.age_s(intent.symbol)
        detail = "no quote yet" if age is None else f"last quote {age:.1f} s ago"
        return _check("fresh_quote", fresh, "data.stale_quote", detail)

    # --- submission ---------------------------------------------------------------------

    async def submit(
        self,
        intents: Sequence[OrderIntent],
        *,
        bypass_state: bool = False,
        group: bool = False,
        roles: Sequence[str] | None = None,
        alternatives: bool = False,
    ) -> list[Submitted]:
        """Screen, journal what passed, send it; one result per intent, in order.

        ``group``: legs of one decision, journaled together, all or none. ``alternatives``:
        legs of which at most one can execute (an OCO): each is screened on its own rather
        than cumulatively, and, where the executor has native OCO, they go in one request.
        """
        if len(intents) > self.config.max_batch:
            raise ValueError(f"at most {self.config.max_batch} intents per submission")
        self.inflight += 1
        self._idle = anyio.Event() if self.inflight == 1 else self._idle
        journaled: set[str] = set()
        try:
            if alternatives:
                screened = [
                    self.screen([i], bypass_state=bypass_state, record=True)[0] for i in intents
                ]
            else:
                screened = self.screen(intents, bypass_state=bypass_state, record=True)
            if group and not all(s.allowed for s in screened):
                return [_refused(s) for s in screened]  # a group goes whole or not at all
            passed = [(s, (roles or [""] * len(intents))[i]) for i, s in enumerate(screened)]
            accepted = [(s.intent, role) for s, role in passed if s.allowed]
            orders = (
                await self.db.call(
                    journal.record_intents,
                    accepted,
                    executor=self.executor.name,
                    ns=self.ns,
                    now_ms=self.now_ms(),
                    group=group,
                )
                if accepted
                else []
            )
            # journaled = being sent until its outcome is recorded, even while it waits behind
            # the earlier orders of its batch: the resolver must not judge it before that
            journaled = {o.client_order_id for o in orders}
            self.sending |= journaled
            if self.risk is not None and orders:
                self.risk.record_sent([o.intent for o in orders])
            if alternatives and group and len(orders) > 1 and self.executor.native_oco:
                return await self._send_oco([s for s, _ in passed], orders)
            results: list[Submitted] = []
            queue = iter(orders)
            for s, _ in passed:
                if not s.allowed:
                    results.append(_refused(s))
                    continue
                order = next(queue)
                results.append(await self._send(s, order))
            return results
        finally:
            self.sending -= journaled  # any never sent (a cancelled batch) go to the resolver
            self.inflight -= 1
            if self.inflight == 0:
                self._idle.set()

    async def _send(self, screened: Screened, order: JournalOrder) -> Submitted:
        # shielded: once journaled, the send and the recording of its outcome go together
        with anyio.CancelScope(shield=True):
            self.sending.add(order.client_order_id)
            try:
                for listener in self.send_listeners:
                    listener(order)
                result = await self.executor.submit(order)
                final = await self._record_submit(order, result)
            finally:
                self.sending.discard(order.client_order_id)
        return Submitted(
            screened=screened,
            order=final,
            outcome=result.outcome.value,
            code=result.code,
            message=result.message,
        )

    async def _send_oco(
        self, screened: list[Screened], orders: list[JournalOrder]
    ) -> list[Submitted]:
        """Both legs in one native request; each leg's outcome recorded like a single order."""
        with anyio.CancelScope(shield=True):
            self.sending.update(o.client_order_id for o in orders)
            try:
                for order in orders:
                    for listener in self.send_listeners:
                        listener(order)
                results = await self.executor.submit_oco(orders)
                finals = [
                    await self._record_submit(o, r) for o, r in zip(orders, results, strict=True)
                ]
            finally:
                self.sending.difference_update(o.client_order_id for o in orders)
        return [
            Submitted(
                screened=s,
                order=final,
                outcome=r.outcome.value,
                code=r.code,
                message=r.message,
            )
            for s, final, r in zip(screened, finals, results, strict=True)
        ]

    async def _record_submit(self, order: JournalOrder, result: SubmitResult) -> JournalOrder:
        now = self.now_ms()
        cid = order.client_order_id
        if result.outcome is Outcome.ACCEPTED and result.report is not None:
            await self.db.call(journal.apply_report, result.report, now_ms=now, kind="ack")
            for vf in result.fills:
                await self.apply_fill(vf)
            current = await self.db.call(journal.get_order, cid)
            assert current is not None
            self._notify(current)
            return current
        if result.outcome is Outcome.UNKNOWN or (
            result.outcome is Outcome.ACCEPTED and result.report is None
        ):
            self._doubt(order)
            try:
                updated = await self.db.call(
                    journal.update_order,
                    cid,
                    OrderState.UNKNOWN,
                    now_ms=now,
                    kind="unknown",
                    reason=result.code or "ack_without_report",
                    detail=journal.detail_json(message=result.message),
                )
            except journal.JournalError:
                # the venue's own report (stream) beat the failed reply: the order exists
                self.settle_doubt(order)
                current = await self.db.call(journal.get_order, cid)
                assert current is not None
                self._notify(current)
                return current
            log.warning("order_unknown", cid=cid, code=result.code, message=result.message)
            self.events(
                DaemonEvent(
                    code="order.unknown",
                    level="WARNING",
                    message=f"order {cid} outcome unknown ({result.code}); resolving by lookup",
                    ts_ms=now,
                    context={"client_order_id": cid, "symbol": order.intent.symbol},
                    dedupe_key=f"order.unknown:{cid}",
                )
            )
            self._notify(updated)
            return updated
        # rejected, or retryable that we do not retry: nothing happened on the exchange
        updated = await self.db.call(
            journal.update_order,
            cid,
            OrderState.REJECTED,
            now_ms=now,
            kind="reject",
            reason=result.code,
            detail=journal.detail_json(outcome=result.outcome.value, message=result.message),
        )
        log.info("order_rejected", cid=cid, code=result.code, outcome=result.outcome.value)
        self._notify(updated)
        return updated

    def _doubt(self, order: JournalOrder) -> None:
        self.unknown[order.client_order_id] = order.intent.symbol

    def settle_doubt(self, order: JournalOrder) -> None:
        """The order's state is known again; its symbol trades again once none is in doubt."""
        self.unknown.pop(order.client_order_id, None)

    # --- updates from venues ------------------------------------------------------------

    async def apply_update(self, update: VenueUpdate, *, kind: str) -> None:
        if update.report is not None:
            changed = await self.db.call(
                journal.apply_report, update.report, now_ms=self.now_ms(), kind=kind
            )
            if changed is not None:
                if changed.client_order_id in self.unknown and changed.state is not (
                    OrderState.UNKNOWN
                ):
                    self.settle_doubt(changed)
                self._notify(changed)
        for vf in update.fills:
            await self.apply_fill(vf)

    async def apply_fill(self, vf: VenueFill) -> bool:
        """Record a venue fill once, mapping it to our order; False if known or not ours."""
        cid = vf.client_order_id
        if not cid or not cid.startswith("pt-"):
            found = await self.db.call(journal.order_by_exchange_id, vf.exchange_order_id)
            if found is None:
                return False
            cid = found.client_order_id
        elif await self.db.call(journal.get_order, cid) is None:
            return False
        fill = msgspec.structs.replace(vf.fill, client_order_id=cid)
        new = await self.db.call(journal.apply_fill, fill, source=self.executor.name)
        if new:
            self._add_position(fill)
            for listener in self.fill_listeners:
                listener(fill)
        return new

    def _add_position(self, fill: Fill) -> None:
        current = self.positions.get(fill.symbol) or Position(symbol=fill.symbol)
        self.positions[fill.symbol] = apply_fill(current, fill, quote_currency=self.quote_currency)

    def _notify(self, order: JournalOrder) -> None:
        for listener in self.order_listeners:
            listener(order)

    async def cancel(self, cid: str) -> tuple[str, str, JournalOrder | None]:
        """Cancel one order: (outcome, code, the order as journaled afterwards)."""
        order = await self.db.call(journal.get_order, cid)
        if order is None:
            return "refused", "order.not_found", None
        if not order.state.live:
            return "refused", "order.not_open", order
        result = await self.executor.cancel(order)
        if result.report is not None:
            await self.apply_update(VenueUpdate(report=result.report), kind="cancel")
        return result.outcome.value, result.code, await self.db.call(journal.get_order, cid)

    # --- lifecycle ----------------------------------------------------------------------

    async def drain(self) -> None:
        """Refuse new orders, then wait for those being sent to finish."""
        self.stopping = True
        await self._idle.wait()


def _check(rule: str, passed: bool, code: str = "", detail: str = "") -> Check:
    return Check(rule=rule, passed=passed, code="" if passed else code, detail=detail)


def _refused(s: Screened) -> Submitted:
    refusal = s.refusal
    return Submitted(
        screened=s,
        outcome="refused",
        code=refusal.code if refusal else "group.refused",
        message=refusal.detail if refusal else "another order of the group was refused",
    )
