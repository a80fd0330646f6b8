"""The strategy task: feed the strategy, ask it on an interval, send its orders.

Every order goes through ``OrderPath.submit`` like an operator's: the trading state, the risk
limits and the journal are the order path's business. The runner only holds back when asking
would be pointless or unsafe:

- HALTED, stopping or not reconciled (the order path would refuse anyway);
- an order of this strategy is not settled yet (pending, open, in doubt): positions do not
  show it yet, so deciding again could send the same move twice;
- on an exchange, until balances have been fetched twice since the last fill (the second
  fetch began after the fill, so sizes include it).

One loop does it all, so a decision is never sent while the previous one is still being sent.
Strategy code that raises is reported (``strategy.failed``) and skipped, never fatal.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Callable
from typing import TypeVar

import anyio

from peaktrade.core.backoff import backoff_delay
from peaktrade.core.events import DaemonEvent, EventSink
from peaktrade.core.model import Fill, OrderIntent, Quote
from peaktrade.core.orders import OrderState
from peaktrade.core.portfolio import Position, apply_fill
from peaktrade.core.trading_state import TradingState
from peaktrade.daemon.venue_stack import VenueStack
from peaktrade.execution.engine import OrderPath, Screened, Submitted
from peaktrade.log import get_logger
from peaktrade.redaction import redact_text
from peaktrade.store import journal
from peaktrade.strategy.bars import TIMEFRAME_MS, closed_bars
from peaktrade.strategy.base import Strategy, StrategyContext, StrategyError
from peaktrade.strategy.config import StrategyConfig
from peaktrade.strategy.intents import decision_intents
from peaktrade.strategy.markets import MarketRules, rules_from_ccxt
from peaktrade.strategy.registry import load_strategy
from peaktrade.venues.ccxt_venue import CcxtVenue

log = get_logger("peaktrade.strategy")

BAR_GRACE_MS = 1_500  # after a bar's close, before asking the exchange for it
MAX_FETCH = 1000  # most OHLCV rows one request may ask for (Binance's limit)
T = TypeVar("T")


class StrategyRunner:
    def __init__(
        self,
        *,
        stack: VenueStack,
        strategy: Strategy,
        config: StrategyConfig,
        events: EventSink,
        now_ms: Callable[[], int],
    ) -> None:
        self.stack = stack
        self.strategy = strategy
        self.name = config.name
        self.config = config
        self.events = events
        self.now_ms = now_ms
        self.period_ms = TIMEFRAME_MS[config.timeframe]
        self.quote_currency = stack.config.exchange.quote_currency
        self.markets: dict[str, MarketRules] = {}
        self.started = False
        self.last_bar_open: dict[str, int] = {}
        self.unsettled: set[str] = set()  # this strategy's orders not settled (see unsettled())
        self.sent_ids: set[str] = set()  # orders sent by this run, until settled
        self.own_ids: set[str] = set()  # every order this strategy ever sent (journal)
        self.own: dict[str, Position] = {}  # what its own fills add up to
        self.book = ""  # the executor whose orders own_ids and own hold
        self.hold_reason = "starting"
        self.sent = 0  # orders journaled and handed to the executor
        self._fills: list[Fill] = []
        self._quotes_seen: dict[str, Quote] = {}
        self._failing: set[str] = set()  # phases whose last call raised
        self._refusals: tuple[str, ...] = ()
        self._bar_errors = 0

    # --- lifecycle ----------------------------------------------------------------------

    async def run(self) -> None:
        """Wait for reconciliation, warm up on history, then decide every ``interval_s``."""
        await self.stack.ready.wait()
        path = self._path()
        path.fill_listeners.append(self._on_fill)
        await self._load_own(path)
        self.markets = self._market_rules()
        await self._warm_up()
        self.started = True
        log.info("strategy_started", strategy=self.name, interval_s=self.config.interval_s)
        while True:
            try:
                await self.tick()
            except Exception as exc:  # a bad tick must not take the daemon's task group down
                self._failed("tick", exc)
            else:
                self._recovered("tick")
            await anyio.sleep(self.config.interval_s)

    async def tick(self) -> None:
        """One round: updates in, hold checks, decision, submission."""
        path = self._path()
        if path.executor.name != self.book:  # a stage switch: the new executor's book
            await self._load_own(path)
        self._deliver_fills()
        await self._update_bars()
        self._deliver_quotes()
        self.unsettled, settled = await path.db.call(
            unsettled, self.name, set(self.sent_ids), path.executor.name
        )
        self.sent_ids -= settled
        self._hold(self._hold_reason(path))
        if self.hold_reason:
            return
        intents = self._ask()
        if intents:
            self._record(await path.submit(intents[: path.config.max_batch]))

    def preview(self) -> tuple[str, list[Screened]]:
        """What the strategy would send now, with every check; nothing is sent or recorded."""
        if not self.started:
            raise StrategyError(
                "strategy.starting", f"{self.name} is not running yet: {self.hold_reason}"
            )
        context = self.context()
        try:
            intents = decision_intents(self.strategy.decide(context), context, source=self.name)
        except Exception as exc:
            raise StrategyError("strategy.failed", self._describe("decide", exc)) from None
        path = self._path()
        return self.name, path.screen(intents[: path.config.max_batch])

    # --- what the strategy sees ---------------------------------------------------------

    def context(self) -> StrategyContext:
        stack = self.stack
        snapshot = stack.risk.snapshot_now()
        quotes = {s: q for s in stack.symbols if (q := stack.quotes.fresh(s)) is not None}
        return StrategyContext(
            now_ms=snapshot.ts_ms,
            state=self._path().switch.state.value,
            quote_currency=snapshot.quote_currency,
            equity=snapshot.equity,
            free_quote=snapshot.free_quote,
            positions={p.symbol: p.size for p in snapshot.positions},
            own_positions={s: p.qty for s, p in self.own.items() if p.qty != 0},
            quotes=quotes,
            markets=dict(self.markets),
        )

    def _market_rules(self) -> dict[str, MarketRules]:
        exchange = self._venue().exchange
        markets = getattr(exchange, "markets", None) or {}
        mode = int(getattr(exchange, "precisionMode", 0))
        return {s: rules_from_ccxt(markets[s], mode) for s in self.stack.symbols if s in markets}

    def _on_fill(self, fill: Fill) -> None:
        """Order path listener: only queue (it runs inside the order path's bookkeeping)."""
        self._fills.append(fill)

    def _deliver_fills(self) -> None:
        fills, self._fills = self._fills, []
        for fill in fills:
            if fill.client_order_id in self.own_ids:
                self._add_own(fill)
            self._guard("on_fill", self.strategy.on_fill, fill)

    async def _load_own(self, path: OrderPath) -> None:
        """This strategy's orders and position in the executor's book (start and every switch)."""
        book = path.executor.name
        self.own_ids, fills = await path.db.call(own_orders, self.name, book)
        self.own = {}
        for fill in fills:
            self._add_own(fill)
        self.book = book

    def _add_own(self, fill: Fill) -> None:
        current = self.own.get(fill.symbol) or Position(symbol=fill.symbol)
        self.own[fill.symbol] = apply_fill(current, fill, quote_currency=self.quote_currency)

    def _deliver_quotes(self) -> None:
        for symbol in self.stack.symbols:
            quote = self.stack.quotes.fresh(symbol)
            if quote is not None and quote is not self._quotes_seen.get(symbol):
                self._quotes_seen[symbol] = quote
                self._guard("on_quote", self.strategy.on_quote, quote)

    async def _warm_up(self) -> None:
        """History for every symbol before the first decision; retried until it arrives."""
        wanted = self.strategy.history_bars
        if wanted <= 0:
            return
        rng = random.Random()
        for symbol in self.stack.symbols:
            attempt = 0
            while True:
                try:
                    rows = await self._venue().call(
                        "fetch_ohlcv", symbol, self.config.timeframe.value, None, wanted + 1
                    )
                    break
                except Exception as exc:
                    self.hold_reason = f"fetching bar history: {type(exc).__name__}"
                    log.warning("strategy_history_failed", symbol=symbol, error=type(exc).__name__)
                    await anyio.sleep(backoff_delay(attempt, rng.random(), cap_s=30.0))
                    attempt += 1
            bars = closed_bars(symbol, rows, period_ms=self.period_ms, now_ms=self.now_ms())
            bars = bars[-wanted:]
            if bars:
                self.last_bar_open[symbol] = bars[-1].open_ms
            self._guard("warm_up", self.strategy.warm_up, bars)

    async def _update_bars(self) -> None:
        """Closed bars since the last one, asked for once a period has ended."""
        if self.strategy.history_bars <= 0:
            return
        now = self.now_ms()
        for symbol in self.stack.symbols:
            last = self.last_bar_open.get(symbol)
            if last is not None and now < last + 2 * self.period_ms + BAR_GRACE_MS:
                continue
            since = None if last is None else last + self.period_ms
            limit = MAX_FETCH if since is not None else self.strategy.history_bars + 1
            try:
                rows = await self._venue().call(
                    "fetch_ohlcv", symbol, self.config.timeframe.value, since, limit
                )
            except Exception as exc:
                self._bar_errors += 1
                if self._bar_errors == 1:
                    log.warning("strategy_bars_failed", symbol=symbol, error=type(exc).__name__)
                continue
            self._bar_errors = 0
            for bar in closed_bars(
                symbol, rows, period_ms=self.period_ms, now_ms=now, after_open_ms=last
            ):
                self.last_bar_open[symbol] = bar.open_ms
                self._guard("on_bar", self.strategy.on_bar, bar)

    # --- holding back -------------------------------------------------------------------

    def _hold_reason(self, path: OrderPath) -> str:
        if path.stopping:
            return "the daemon is stopping"
        if not path.reconciled:
            return "journal and exchange not reconciled"
        if path.switch.state is TradingState.HALTED:
            return "trading is HALTED"
        if self.unsettled:
            return f"{len(self.unsettled)} order(s) of {self.name} not settled yet"
        if path.executor is self.stack.venue and self.stack.exchange_balances is None:
            # the risk layer adds fills the balances do not show yet, but it needs one read
            return "waiting for the first exchange balances"
        return ""

    def _hold(self, reason: str) -> None:
        if reason != self.hold_reason:
            if reason:
                log.info("strategy_holding", strategy=self.name, reason=reason)
            else:
                log.info("strategy_deciding", strategy=self.name, after=self.hold_reason)
        self.hold_reason = reason

    # --- deciding and sending -----------------------------------------------------------

    def _ask(self) -> list[OrderIntent] | None:
        context = self.context()
        try:
            decision = self.strategy.decide(context)
            intents = decision_intents(decision, context, source=self.name)
        except Exception as exc:
            self._failed("decide", exc)
            return None
        self._recovered("decide")
        return intents

    def _record(self, results: list[Submitted]) -> None:
        refused = tuple(sorted({r.code for r in results if r.outcome == "refused"}))
        sent = [r for r in results if r.order is not None]
        self.sent += len(sent)
        for r in sent:
            assert r.order is not None
            self.sent_ids.add(r.order.client_order_id)
            self.own_ids.add(r.order.client_order_id)
            self.unsettled.add(r.order.client_order_id)
        if sent:
            log.info(
                "strategy_orders",
                strategy=self.name,
                sent=len(sent),
                outcomes=",".join(sorted({r.outcome for r in sent})),
                refused=len(results) - len(sent),
            )
        if refused and refused != self._refusals:
            log.info("strategy_orders_refused", strategy=self.name, codes=",".join(refused))
        self._refusals = refused

    # --- failures -----------------------------------------------------------------------

    def _guard(self, phase: str, call: Callable[[T], None], arg: T) -> None:
        try:
            call(arg)
        except Exception as exc:
            self._failed(phase, exc)
            return
        self._recovered(phase)

    def _describe(self, phase: str, exc: BaseException) -> str:
        return redact_text(f"{self.name}.{phase} raised {type(exc).__name__}: {exc}")[:300]

    def _failed(self, phase: str, exc: BaseException) -> None:
        message = self._describe(phase, exc)
        log.error("strategy_failed", strategy=self.name, phase=phase, error=message)
        if phase in self._failing:
            return
        self._failing.add(phase)
        self.events(
            DaemonEvent(
                code="strategy.failed",
                level="CRITICAL",
                message=message,
                ts_ms=self.now_ms(),
                context={"strategy": self.name, "phase": phase},
                dedupe_key=f"strategy.failed:{phase}",
            )
        )

    def _recovered(self, phase: str) -> None:
        if phase not in self._failing:
            return
        self._failing.discard(phase)
        self.events(
            DaemonEvent(
                code="strategy.failed",
                level="CRITICAL",
                message=f"{self.name}.{phase} works again",
                ts_ms=self.now_ms(),
                context={"strategy": self.name, "phase": phase},
                dedupe_key=f"strategy.failed:{phase}",
                resolved=True,
            )
        )

    # --- parts of the stack -------------------------------------------------------------

    def _path(self) -> OrderPath:
        path = self.stack.path
        if path is None:
            raise StrategyError("strategy.starting", "the order path is not up yet")
        return path

    def _venue(self) -> CcxtVenue:
        venue = self.stack.venue
        if venue is None:
            raise StrategyError("strategy.starting", "the exchange is not connected yet")
        return venue


def own_orders(conn: sqlite3.Connection, source: str, executor: str) -> tuple[set[str], list[Fill]]:
    """Client ids of every order ``source`` placed in ``executor``'s book, and their fills in
    journal order."""
    ids = {
        o.client_order_id
        for o in journal.orders_in(conn, list(OrderState), executor=executor)
        if o.intent.source == source
    }
    return ids, [f for f in journal.all_fills(conn, executor=executor) if f.client_order_id in ids]


def unsettled(
    conn: sqlite3.Connection, source: str, sent: set[str], executor: str
) -> tuple[set[str], set[str]]:
    """(orders of ``source`` not settled, those of ``sent`` that are), on the DB thread.

    Settled: final, and every fill the exchange reported is recorded; an order reported
    filled whose fills have not arrived yet has not moved the positions the strategy sees.
    Only ``executor``'s live orders hold the strategy back: another book's cannot fill here.
    """
    live = journal.live_orders(conn, executor=executor)
    waiting = {o.client_order_id for o in live if o.intent.source == source}
    settled = set()
    for cid in sent:
        order = journal.get_order(conn, cid)
        if order is None:
            settled.add(cid)
        elif not order.state.final or journal.filled_qty_from_fills(conn, cid) < (
            order.filled_qty * (1 - 1e-9)
        ):
            waiting.add(cid)
        else:
            settled.add(cid)
    return waiting, settled


def build_runner(
    stack: VenueStack,
    config: StrategyConfig,
    *,
    quote_currency: str,
    events: EventSink,
    now_ms: Callable[[], int],
) -> StrategyRunner:
    """The configured strategy, loaded, in a runner; raises StrategyError if it cannot load."""
    strategy = load_strategy(config, symbols=stack.symbols, quote_currency=quote_currency)
    return StrategyRunner(
        stack=stack, strategy=strategy, config=config, events=events, now_ms=now_ms
    )
