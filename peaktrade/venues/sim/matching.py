"""The matching engine: orders against the synthetic book, with balances, fees and stops.

All state changes are synchronous, so a REST handler either commits an order completely or
not at all. Everything the user stream must hear about is appended to ``user_events`` (and
every print to ``public_trades``); the server drains both after each request and tick.
"""

from __future__ import annotations

import random
import string
from collections import Counter
from collections.abc import Callable
from decimal import Decimal

from peaktrade.venues.sim import order_rules
from peaktrade.venues.sim.balances import Balances
from peaktrade.venues.sim.book import Book, Level
from peaktrade.venues.sim.decimals import ZERO, floor_to, round8
from peaktrade.venues.sim.errors import DUPLICATE_ORDER, BinanceError, bad_symbol, rejected
from peaktrade.venues.sim.market import PublicTrade, SymbolMarket
from peaktrade.venues.sim.order_rules import (
    LIMIT_TYPES,
    NewOrder,
    book_side_against,
    crosses,
    stop_triggered,
)
from peaktrade.venues.sim.orders import (
    STOP_TYPES,
    Fill,
    Order,
    OrderList,
    execution_report,
    list_status_event,
)
from peaktrade.venues.sim.prices import ScriptedPath, symbol_rng
from peaktrade.venues.sim.settings import SimSettings

_ID_ALPHABET = string.ascii_letters + string.digits


class Engine:
    """One account trading the listed symbols against the synthetic books."""

    def __init__(
        self, settings: SimSettings, now_ms: Callable[[], int], script: ScriptedPath | None = None
    ) -> None:
        self.settings = settings
        self.now_ms = now_ms
        start = now_ms()
        self.markets = {
            s.symbol: SymbolMarket(
                s,
                price=(script.price_at(s.symbol, 0.0) if script else None) or s.price,
                seed=settings.seed,
                volatility=settings.volatility,
                tick_interval_s=settings.tick_interval_s,
                history_minutes=settings.history_minutes,
                now_ms=start,
            )
            for s in settings.symbols
        }
        self.books = {
            s.symbol: Book(
                s,
                levels=settings.book_levels,
                spread_bps=settings.spread_bps,
                spacing_bps=settings.level_spacing_bps,
            )
            for s in settings.symbols
        }
        self.balances = Balances(settings.balances)
        self.orders: dict[int, Order] = {}
        self.open: dict[int, Order] = {}
        self.lists: dict[int, OrderList] = {}
        self.fills: list[Fill] = []
        self.accepted: Counter[str] = Counter()
        """Orders ever accepted per clientOrderId: reconciliation asserts 0 duplicates with it."""
        self.user_events: list[dict[str, object]] = []
        self.public_trades: list[PublicTrade] = []
        self.elapsed_s = 0.0
        """Simulator time the price script runs on: ticks times the interval, minus stale ticks."""
        self.ticks = 0
        """Ticks run so far, stale or not (drills and tests count time in ticks)."""
        self.flow = {
            s.symbol: symbol_rng(settings.seed, s.symbol, "flow") for s in settings.symbols
        }
        """Per symbol: the generator sizing the market's own prints."""
        self.script = script
        self._client_index: dict[str, list[int]] = {}
        self._list_index: dict[str, list[int]] = {}
        self._next_order_id = 1
        self._next_list_id = 1
        self._ids = random.Random(f"{settings.seed}:client-ids")
        for symbol, book in self.books.items():
            book.reprice(self.markets[symbol].last)

    # -- lookups -----------------------------------------------------------------------------

    def market(self, symbol: str) -> SymbolMarket:
        market = self.markets.get(symbol)
        if market is None:
            raise bad_symbol()
        return market

    def new_client_id(self) -> str:
        return "".join(self._ids.choices(_ID_ALPHABET, k=22))

    def orders_by_client_id(self, client_order_id: str) -> list[Order]:
        return [self.orders[i] for i in self._client_index.get(client_order_id, [])]

    def find_order(self, symbol: str, order_id: int | None, client_id: str | None) -> Order | None:
        """By id if given, else the latest order with that client id (ids repeat once closed)."""
        if order_id is not None:
            order = self.orders.get(order_id)
        else:
            same = self.orders_by_client_id(client_id or "")
            order = same[-1] if same else None
        return order if order is not None and order.symbol == symbol else None

    def list_orders(self, lst: OrderList) -> list[Order]:
        return [self.orders[i] for i in lst.order_ids]

    def lists_by_client_id(self, list_client_id: str) -> list[OrderList]:
        return [self.lists[i] for i in self._list_index.get(list_client_id, [])]

    def new_list(self, list_client_id: str, symbol: str, legs: list[Order], now: int) -> OrderList:
        lst = OrderList(
            order_list_id=self._next_list_id,
            list_client_order_id=list_client_id,
            symbol=symbol,
            order_ids=[o.order_id for o in legs],
            transaction_time=now,
        )
        self._next_list_id += 1
        for o in legs:
            o.order_list_id = lst.order_list_id
        self.lists[lst.order_list_id] = lst
        self._list_index.setdefault(list_client_id, []).append(lst.order_list_id)
        return lst

    # -- placement ---------------------------------------------------------------------------

    def validate(self, req: NewOrder) -> None:
        """Parameter and filter checks, the part ``order/test`` runs too."""
        order_rules.validate(req, self.market(req.symbol).spec, self.markets[req.symbol].last)

    def check_client_id(self, client_order_id: str) -> None:
        """Binance refuses a client id only while an order carrying it is still open."""
        if any(o.is_open for o in self.orders_by_client_id(client_order_id)):
            raise rejected(DUPLICATE_ORDER)

    def check_entry(self, o: Order) -> None:
        order_rules.check_entry(o, self.books[o.symbol], self.markets[o.symbol].last)

    def place(self, req: NewOrder) -> tuple[Order, list[Fill]]:
        self.validate(req)
        client_id = req.client_order_id or self.new_client_id()
        self.check_client_id(client_id)
        now = self.now_ms()
        o = self.make_order(req, client_id, now)
        self.check_entry(o)
        if o.type == "MARKET":
            return o, self._place_market(o, req.quote_order_qty, now)
        self.lock(o, self.requirement(o))
        self.accept(o, now)
        fills = self._work(o, now) if o.is_working else []
        self.emit_account()
        return o, fills

    def make_order(self, req: NewOrder, client_id: str, now: int) -> Order:
        o = Order(
            symbol=req.symbol,
            order_id=self._take_order_id(),
            client_order_id=client_id,
            side=req.side,
            type=req.type,
            time_in_force=req.time_in_force or "GTC",
            price=req.price or ZERO,
            orig_qty=req.quantity or ZERO,
            stop_price=req.stop_price or ZERO,
            orig_quote_qty=req.quote_order_qty or ZERO,
            time=now,
            update_time=now,
            working_time=-1 if req.type in STOP_TYPES else now,
        )
        return o

    def _take_order_id(self) -> int:
        self._next_order_id += 1
        return self._next_order_id - 1

    def requirement(self, o: Order) -> Decimal:
        """Funds a resting order locks: quote at its limit for buys, base for sells."""
        if o.side == "SELL":
            return o.remaining
        return o.price * o.remaining if o.type in LIMIT_TYPES else ZERO

    def lock(self, o: Order, amount: Decimal) -> None:
        spec = self.markets[o.symbol].spec
        o.locked_asset = spec.quote if o.side == "BUY" else spec.base
        self.balances.lock(o.locked_asset, amount)
        o.locked += amount

    def release(self, o: Order) -> None:
        if o.locked:
            self.balances.unlock(o.locked_asset, o.locked)
            o.locked = ZERO

    def accept(self, o: Order, now: int) -> None:
        self.orders[o.order_id] = o
        self.open[o.order_id] = o
        self._client_index.setdefault(o.client_order_id, []).append(o.order_id)
        self.accepted[o.client_order_id] += 1
        self.emit(execution_report(o, "NEW", now))

    def plan(
        self, o: Order, limit: Decimal | None, qty: Decimal | None, quote: Decimal | None = None
    ) -> list[Level]:
        """Levels ``o`` would take, best first, within ``limit``, up to ``qty`` or ``quote``."""
        step = self.markets[o.symbol].spec.step_size
        plan: list[Level] = []
        for price, available in self.books[o.symbol].levels(book_side_against(o.side)):
            if limit is not None and not crosses(o.side, limit, price):
                break
            if quote is not None:
                take = min(available, floor_to(quote / price, step))
                quote -= take * price
            else:
                assert qty is not None
                take = min(available, qty)
                qty -= take
            if take > 0:
                plan.append((price, take))
            if take < available:
                break
        return plan

    def _take(self, o: Order, plan: list[Level], now: int) -> list[Fill]:
        side = book_side_against(o.side)
        fills = []
        for price, qty in plan:
            self.books[o.symbol].consume(side, price, qty)
            fills.append(self._fill(o, price, qty, maker=False, now=now))
        return fills

    def _place_market(self, o: Order, quote: Decimal | None, now: int) -> list[Fill]:
        if quote is not None:
            if o.side == "BUY":
                self.balances.require_free(self.markets[o.symbol].spec.quote, quote)
            plan = self.plan(o, None, None, quote)
            o.orig_qty = sum((q for _, q in plan), ZERO)
        else:
            plan = self.plan(o, None, o.orig_qty)
        self.lock(o, sum((p * q for p, q in plan), ZERO) if o.side == "BUY" else o.orig_qty)
        self.accept(o, now)
        fills = self._take(o, plan, now)
        if o.is_open:
            self.finish(o, "EXPIRED", now)
        self.emit_account()
        return fills

    def _work(self, o: Order, now: int) -> list[Fill]:
        """Run a working order against the book as taker; then it rests, expires or is done."""
        if o.type in ("STOP_LOSS", "TAKE_PROFIT"):
            plan = self.plan(o, None, o.remaining)
            if o.side == "BUY":
                try:
                    self.lock(o, sum((p * q for p, q in plan), ZERO))
                except BinanceError:
                    plan = []
            fills = self._take(o, plan, now)
        else:
            plan = self.plan(o, o.price, o.remaining)
            if o.time_in_force == "FOK" and sum((q for _, q in plan), ZERO) < o.remaining:
                plan = []
            fills = self._take(o, plan, now)
            if o.time_in_force == "GTC":
                return fills
        if o.is_open:
            self.finish(o, "EXPIRED", now)
        return fills

    def _fill(self, o: Order, price: Decimal, qty: Decimal, *, maker: bool, now: int) -> Fill:
        market = self.markets[o.symbol]
        spec = market.spec
        rate = self.settings.maker_fee if maker else self.settings.taker_fee
        quote_qty = price * qty
        if o.side == "BUY":
            self.balances.pay_locked(spec.quote, quote_qty)
            o.locked -= quote_qty
            if o.type in LIMIT_TYPES and o.price > price:
                improvement = (o.price - price) * qty
                self.balances.unlock(spec.quote, improvement)
                o.locked -= improvement
            commission, asset = round8(qty * rate), spec.base
            self.balances.credit(spec.base, qty - commission)
        else:
            self.balances.pay_locked(spec.base, qty)
            o.locked -= qty
            commission, asset = round8(quote_qty * rate), spec.quote
            self.balances.credit(spec.quote, quote_qty - commission)
        o.executed_qty += qty
        o.cum_quote += quote_qty
        o.update_time = now
        o.status = "FILLED" if o.remaining <= 0 else "PARTIALLY_FILLED"
        trade = market.record_trade(price, qty, now, buyer_maker=(o.side == "BUY") == maker)
        self.public_trades.append(trade)
        fill = Fill(
            id=trade.id,
            symbol=o.symbol,
            order_id=o.order_id,
            order_list_id=o.order_list_id,
            price=price,
            qty=qty,
            commission=commission,
            commission_asset=asset,
            time=now,
            is_buyer=o.side == "BUY",
            is_maker=maker,
        )
        self.fills.append(fill)
        self.emit(execution_report(o, "TRADE", now, fill))
        if not o.is_open:
            self._close(o)
        if o.order_list_id >= 0:
            self.on_leg_active(o, now)
        return fill

    def _close(self, o: Order) -> None:
        self.open.pop(o.order_id, None)
        self.release(o)

    def finish(self, o: Order, status: str, now: int, cancel_client_id: str = "") -> None:
        """End an open order as CANCELED or EXPIRED and give back what it locked."""
        o.status = status
        o.update_time = now
        self._close(o)
        self.emit(execution_report(o, status, now, cancel_client_id=cancel_client_id))

    # -- OCO legs ----------------------------------------------------------------------------

    def on_leg_active(self, leg: Order, now: int) -> None:
        """A leg traded or triggered: the other legs expire and the list is done."""
        lst = self.lists[leg.order_list_id]
        if not lst.is_open:
            return
        for other in self.list_orders(lst):
            if other is not leg and other.is_open:
                self.finish(other, "EXPIRED", now)
        if leg.is_open and not leg.locked:
            self.lock(leg, self.requirement(leg))
        self.close_list(lst, now)

    def close_list(self, lst: OrderList, now: int) -> None:
        lst.list_status_type = "ALL_DONE"
        lst.list_order_status = "ALL_DONE"
        lst.transaction_time = now
        self.emit(list_status_event(lst, self.list_orders(lst), now))

    # -- resting orders meeting the market -------------------------------------------------

    def match_resting(self, symbol: str, now: int) -> None:
        """Resting limit orders trade as makers, at their own price, with what the book offers.

        Best-priced orders go first; the first one the book does not reach ends its side.
        """
        book = self.books[symbol]
        resting = [o for o in self.open.values() if o.symbol == symbol and o.is_working]
        for side in ("BUY", "SELL"):
            queue = [o for o in resting if o.side == side and o.type in LIMIT_TYPES]
            queue.sort(key=lambda o: (-o.price if side == "BUY" else o.price, o.order_id))
            for o in queue:
                if not o.is_open:
                    continue  # an OCO sibling filled and expired it
                best = book.best(book_side_against(side))
                if best is None or not crosses(side, o.price, best[0]):
                    break
                plan = self.plan(o, o.price, o.remaining)
                for price, qty in plan:
                    book.consume(book_side_against(side), price, qty)
                self._fill(o, o.price, sum((q for _, q in plan), ZERO), maker=True, now=now)

    def trigger_stops(self, symbol: str, now: int) -> None:
        last = self.markets[symbol].last
        waiting = [o for o in self.open.values() if o.symbol == symbol and not o.is_working]
        for o in waiting:
            if not o.is_open or not stop_triggered(o, last):
                continue
            o.working_time = now
            o.update_time = now
            if o.order_list_id >= 0:
                self.on_leg_active(o, now)
            self._work(o, now)

    # -- user stream -------------------------------------------------------------------------

    def emit(self, event: dict[str, object]) -> None:
        self.user_events.append(event)

    def emit_account(self) -> None:
        """One outboundAccountPosition for the assets the last operation changed."""
        event = self.balances.position_event(self.now_ms())
        if event is not None:
            self.emit(event)

    def drain(self) -> tuple[list[dict[str, object]], list[PublicTrade]]:
        events, trades = self.user_events, self.public_trades
        self.user_events, self.public_trades = [], []
        return events, trades
