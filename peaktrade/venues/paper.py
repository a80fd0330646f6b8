"""The paper broker: fills simulated on the venue's real quotes.

It behaves like an exchange the order path cannot tell apart: balances are checked and
locked, limit orders rest until the quote crosses them, stop and take-profit orders trigger on
the last price, and every execution comes back as a report plus fills. Top-of-book depth is
taken as unlimited: the paper result of a large order is optimistic, by design documented.
The journal is its memory: after a restart, live paper orders are put back on the book.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import msgspec

from peaktrade.core.model import Fill, OrderIntent, OrderType, Quote, Side, TimeInForce
from peaktrade.core.orders import ExchangeOrderReport, JournalOrder, OrderState, Outcome
from peaktrade.venues.config import PaperConfig
from peaktrade.venues.executor import (
    CancelResult,
    LookupResult,
    SubmitResult,
    VenueFill,
    VenueUpdate,
)
from peaktrade.venues.quotes import QuoteBook

Publish = Callable[[VenueUpdate], None]


class _Resting(msgspec.Struct):
    order: JournalOrder
    triggered: bool
    report: ExchangeOrderReport


def split_symbol(symbol: str) -> tuple[str, str]:
    base, _, quote = symbol.partition("/")
    return base, quote


class PaperBroker:
    name = "paper"
    native_oco = False  # the daemon emulates OCO and brackets here

    def __init__(
        self, quotes: QuoteBook, config: PaperConfig, publish: Publish, now_ms: Callable[[], int]
    ) -> None:
        self.quotes = quotes
        self.config = config
        self.publish = publish
        self.now_ms = now_ms
        self.free: dict[str, float] = dict(config.starting_balances)
        self.locked: dict[str, float] = {}
        self.resting: dict[str, _Resting] = {}
        self.done: dict[str, ExchangeOrderReport] = {}
        self._ids = itertools.count(1)
        self._trades = itertools.count(1)
        quotes.subscribe(self.on_quote)

    def restore(self, fills: list[Fill], live: list[JournalOrder]) -> None:
        """Rebuild balances from the journal's fills and re-rest its live paper orders."""
        for fill in fills:
            self._settle(fill)
        for order in live:
            if order.state in (OrderState.OPEN, OrderState.PARTIALLY_FILLED):
                self._rest(order, triggered=order.intent.type in (OrderType.LIMIT,))

    # --- executor interface --------------------------------------------------------------

    async def submit(self, order: JournalOrder) -> SubmitResult:
        intent = order.intent
        quote = self.quotes.fresh(intent.symbol)
        if quote is None:
            return SubmitResult(Outcome.REJECTED, code="paper.no_quote", message="no fresh quote")
        price_for_funds = intent.price if intent.price is not None else _taker(intent, quote)
        if not self._has_funds(intent, price_for_funds):
            return SubmitResult(
                Outcome.REJECTED, code="paper.insufficient_funds", message="insufficient balance"
            )
        if intent.type is OrderType.MARKET:
            return self._immediate(
                order, _taker(intent, quote, self.config.slippage_bps), taker=True
            )
        if intent.type is OrderType.LIMIT:
            crosses = _crosses(intent, quote)
            if crosses and intent.post_only:
                return SubmitResult(
                    Outcome.REJECTED, code="paper.would_take", message="post-only would take"
                )
            if crosses:
                return self._immediate(order, _taker(intent, quote), taker=True)
            if intent.tif in (TimeInForce.IOC, TimeInForce.FOK):
                report = self._report(order, OrderState.EXPIRED, 0.0, None, f"P{next(self._ids)}")
                self.done[order.client_order_id] = report
                return SubmitResult(Outcome.ACCEPTED, report=report)
        resting = self._rest(order, triggered=intent.type is OrderType.LIMIT)
        return SubmitResult(Outcome.ACCEPTED, report=resting.report)

    async def cancel(self, order: JournalOrder) -> CancelResult:
        resting = self.resting.pop(order.client_order_id, None)
        if resting is None:
            done = self.done.get(order.client_order_id)
            if done is not None and done.state.final:
                return CancelResult(Outcome.REJECTED, report=done, code="paper.already_final")
            return CancelResult(Outcome.REJECTED, code="paper.no_such_order")
        self._unlock(resting.order)
        report = self._report(
            resting.order, OrderState.CANCELLED, 0.0, None, resting.report.exchange_order_id
        )
        self.done[order.client_order_id] = report
        return CancelResult(Outcome.ACCEPTED, report=report)

    async def lookup(self, order: JournalOrder) -> LookupResult:
        resting = self.resting.get(order.client_order_id)
        if resting is not None:
            return LookupResult(found=True, report=resting.report)
        done = self.done.get(order.client_order_id)
        if done is not None:
            return LookupResult(found=True, report=done)
        return LookupResult(found=False, not_found=True, code="paper.no_such_order")

    async def cancel_all(self, symbol: str) -> list[ExchangeOrderReport]:
        out = []
        for resting in list(self.resting.values()):
            if resting.order.intent.symbol == symbol:
                result = await self.cancel(resting.order)
                if result.report is not None:
                    out.append(result.report)
        return out

    async def open_orders(self, symbols: list[str]) -> list[ExchangeOrderReport]:
        return [r.report for r in self.resting.values() if r.order.intent.symbol in symbols]

    async def fills_since(self, symbols: list[str], since_ms: int) -> list[VenueFill]:
        return []  # every paper fill is published the moment it happens

    async def submit_oco(self, legs: list[JournalOrder]) -> list[SubmitResult]:
        raise NotImplementedError("emulated by the daemon (native_oco is False)")

    async def cancel_foreign(self, report: ExchangeOrderReport) -> bool:
        return False  # the paper book holds only journaled orders

    # --- matching ------------------------------------------------------------------------

    def on_quote(self, quote: Quote) -> None:
        for cid, resting in list(self.resting.items()):
            intent = resting.order.intent
            if intent.symbol != quote.symbol:
                continue
            if not resting.triggered:
                if not _triggered(intent, quote.last):
                    continue
                resting.triggered = True
            if _crosses(intent, quote):
                del self.resting[cid]
                self._unlock(resting.order)
                assert intent.price is not None
                update = self._execute(resting.order, intent.price, taker=False)
                self.publish(update)

    def _immediate(self, order: JournalOrder, price: float, *, taker: bool) -> SubmitResult:
        update = self._execute(order, price, taker=taker)
        assert update.report is not None
        return SubmitResult(Outcome.ACCEPTED, report=update.report, fills=update.fills)

    def _execute(self, order: JournalOrder, price: float, *, taker: bool) -> VenueUpdate:
        intent = order.intent
        qty = order.remaining_qty
        base, quote_ccy = split_symbol(intent.symbol)
        rate = self.config.taker_fee_rate if taker else self.config.maker_fee_rate
        fee_ccy = base if intent.side is Side.BUY else quote_ccy
        fee = qty * rate if intent.side is Side.BUY else qty * price * rate
        xid = self._xid(order)
        fill = Fill(
            symbol=intent.symbol,
            side=intent.side,
            qty=qty,
            price=price,
            fee=fee,
            fee_currency=fee_ccy,
            ts_ms=self.now_ms(),
            trade_id=f"paper-{next(self._trades)}",
            client_order_id=order.client_order_id,
        )
        self._settle(fill)
        report = self._report(order, OrderState.FILLED, order.filled_qty + qty, price, xid)
        self.done[order.client_order_id] = report
        return VenueUpdate(report=report, fills=(VenueFill(xid, order.client_order_id, fill),))

    # --- balances ------------------------------------------------------------------------

    def _has_funds(self, intent: OrderIntent, price: float) -> bool:
        base, quote = split_symbol(intent.symbol)
        if intent.side is Side.BUY:
            need = intent.qty * price * (1 + self.config.taker_fee_rate)
            return self.free.get(quote, 0.0) >= need
        return self.free.get(base, 0.0) >= intent.qty

    def _rest(self, order: JournalOrder, *, triggered: bool) -> _Resting:
        self._lock(order)
        xid = self._xid(order)
        state = OrderState.PARTIALLY_FILLED if order.filled_qty > 0 else OrderState.OPEN
        report = self._report(order, state, order.filled_qty, order.avg_fill_price, xid)
        resting = _Resting(order=order, triggered=triggered, report=report)
        self.resting[order.client_order_id] = resting
        return resting

    def _lock(self, order: JournalOrder) -> None:
        asset, amount = self._reservation(order)
        self.free[asset] = self.free.get(asset, 0.0) - amount
        self.locked[asset] = self.locked.get(asset, 0.0) + amount

    def _unlock(self, order: JournalOrder) -> None:
        asset, amount = self._reservation(order)
        self.locked[asset] = self.locked.get(asset, 0.0) - amount
        self.free[asset] = self.free.get(asset, 0.0) + amount

    def _reservation(self, order: JournalOrder) -> tuple[str, float]:
        intent = order.intent
        base, quote = split_symbol(intent.symbol)
        if intent.side is Side.BUY:
            assert intent.price is not None
            return quote, order.remaining_qty * intent.price * (1 + self.config.maker_fee_rate)
        return base, order.remaining_qty

    def _settle(self, fill: Fill) -> None:
        base, quote = split_symbol(fill.symbol)
        signed = fill.qty if fill.side is Side.BUY else -fill.qty
        self.free[base] = self.free.get(base, 0.0) + signed
        self.free[quote] = self.free.get(quote, 0.0) - signed * fill.price
        if fill.fee_currency:
            self.free[fill.fee_currency] = self.free.get(fill.fee_currency, 0.0) - fill.fee

    def _xid(self, order: JournalOrder) -> str:
        return order.exchange_order_id or f"P{next(self._ids)}"

    def _report(
        self,
        order: JournalOrder,
        state: OrderState,
        filled: float,
        avg: float | None,
        xid: str,
    ) -> ExchangeOrderReport:
        intent = order.intent
        return ExchangeOrderReport(
            client_order_id=order.client_order_id,
            exchange_order_id=xid,
            symbol=intent.symbol,
            state=state,
            filled_qty=filled,
            avg_fill_price=avg,
            ts_ms=self.now_ms(),
            side=intent.side.value,
            qty=intent.qty,
            price=intent.price,
            type=intent.type.value,
        )


def _taker(intent: OrderIntent, quote: Quote, slippage_bps: float = 0.0) -> float:
    slip = slippage_bps / 10_000
    return quote.ask * (1 + slip) if intent.side is Side.BUY else quote.bid * (1 - slip)


def _crosses(intent: OrderIntent, quote: Quote) -> bool:
    if intent.price is None:
        return True
    return quote.ask <= intent.price if intent.side is Side.BUY else quote.bid >= intent.price


def _triggered(intent: OrderIntent, last: float) -> bool:
    """Binance semantics: stop-losses trigger on adverse moves, take-profits on favourable."""
    stop = intent.stop_price
    if stop is None:
        return True
    adverse = intent.type is OrderType.STOP_LOSS_LIMIT
    rising_trigger = (intent.side is Side.BUY) == adverse
    return last >= stop if rising_trigger else last <= stop
