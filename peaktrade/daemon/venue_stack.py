"""Wiring of everything below the control socket that talks to an exchange.

Built from config for one mode and network: the embedded simulator (network sim), one ccxt.pro
exchange shared by market data, account sync and execution, the executor the mode calls for,
and the order path. Start-up reconciles before the daemon says READY; until then, and whenever
reconciliation has not succeeded, the order path refuses new orders.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable
from typing import Any

import anyio
import anyio.abc
import msgspec

from peaktrade.config import Config, Mode, Network
from peaktrade.core.backoff import backoff_delay
from peaktrade.core.events import DaemonEvent, EventSink
from peaktrade.credentials import read_credential
from peaktrade.daemon.risk_service import RiskService, starting_cash_of
from peaktrade.daemon.stage_switch import EXECUTOR_OF
from peaktrade.daemon.trading import TradingSwitch
from peaktrade.execution.account_sync import AccountSync, UpdateChannel
from peaktrade.execution.contingent import ContingentOrders
from peaktrade.execution.divergence import DivergenceMonitor
from peaktrade.execution.engine import OrderPath
from peaktrade.execution.reconcile import ReconcileReport, reconcile
from peaktrade.execution.resolver import Resolver
from peaktrade.log import get_logger
from peaktrade.store import journal
from peaktrade.store.db import Database
from peaktrade.venues.ccxt_venue import CcxtVenue
from peaktrade.venues.executor import Executor, VenueUpdate
from peaktrade.venues.paper import PaperBroker
from peaktrade.venues.quotes import QuoteBook
from peaktrade.venues.shadow import ShadowExecutor
from peaktrade.venues.sim import SimHandle, SimSettings, ccxt_config, serve_sim
from peaktrade.venues.streams import MarketData, PrivateStream

log = get_logger("peaktrade.venue_stack")


def build_exchange(config: Config, sim_urls: tuple[str, str] | None) -> Any:
    """The ccxt.pro exchange for this network, with credentials from outside the config."""
    import ccxt.pro as ccxtpro

    network = config.run.network
    klass = getattr(ccxtpro, config.exchange.id)
    options: dict[str, Any] = {
        "enableRateLimit": True,
        "timeout": int(config.exchange.timeout_s * 1000),
        "options": {"fetchCurrencies": False, "fetchMarkets": {"types": ["spot"]}},
    }
    if config.exchange.id == "binance":
        # Binance limits request weight per minute, which ccxt's rolling window (binance's own
        # 60 s window and weights) models. ccxt's default leaky bucket credits no idle time:
        # every call waited out the previous call's cost again, however long ago it was made
        # (10 ms on each order, 0.2 s after a balance fetch, 0.8 s after a ticker snapshot).
        options["rateLimiterAlgorithm"] = "rollingWindow"
    if network is Network.SIM:
        assert sim_urls is not None
        sim = sim_settings(config)
        options.update(ccxt_config(sim_urls[0], sim_urls[1], sim.api_key, sim.api_secret))
    else:
        key = read_credential(f"{network.value}-api-key")
        secret = read_credential(f"{network.value}-api-secret")
        if key is not None and secret is not None:
            options["apiKey"], options["secret"] = key.reveal(), secret.reveal()
    exchange = klass(options)
    if network is Network.TESTNET:
        exchange.set_sandbox_mode(True)
    return exchange


def sim_settings(config: Config) -> SimSettings:
    """The simulator's key pair from the credentials ``sim-api-key``/``sim-api-secret`` when
    given (drills and the secrets campaign run real signed traffic with canary keys), else the
    simulator's built-in test pair."""
    key, secret = read_credential("sim-api-key"), read_credential("sim-api-secret")
    if key is None or secret is None:
        return config.sim
    return msgspec.structs.replace(config.sim, api_key=key.reveal(), api_secret=secret.reveal())


class VenueStack:
    def __init__(
        self,
        *,
        config: Config,
        db: Database,
        switch: TradingSwitch,
        events: EventSink,
        now_ms: Callable[[], int],
        account_label: str,
    ) -> None:
        self.config = config
        self.db = db
        self.switch = switch
        self.events = events
        self.now_ms = now_ms
        self.account_label = account_label
        symbols = list(config.exchange.symbols)
        self.symbols = symbols
        md = config.market_data
        self.quotes = QuoteBook(
            symbols,
            md.stale_after_s,
            max_jump_pct=md.max_jump_pct,
            jump_confirm_s=md.jump_confirm_s,
            on_refused=self._quote_refused,
        )
        self.risk = RiskService(
            config=config,
            db=db,
            switch=switch,
            quotes=self.quotes,
            events=events,
            now_ms=now_ms,
            starting_cash=starting_cash_of(config, EXECUTOR_OF[self.mode]),
            interval_s=config.portfolio.snapshot_interval_s,
            balances_expected=self.mode in (Mode.TESTNET, Mode.LIVE),
        )
        self.exchange_balances: tuple[dict[str, float], float] | None = None
        self.sim: SimHandle | None = None
        self.venue: CcxtVenue | None = None
        self.path: OrderPath | None = None
        self.sync: AccountSync | None = None
        self.market_data: MarketData | None = None
        self.private: PrivateStream | None = None
        self.resolver: Resolver | None = None
        self.contingent: ContingentOrders | None = None
        self.divergence: DivergenceMonitor | None = None
        self.markets_loaded = False
        self.reconciled = False
        self.last_reconcile: ReconcileReport | None = None
        self.reconcile_error = ""
        self.ready = anyio.Event()

    @property
    def mode(self) -> Mode:
        return self.config.run.mode

    def _executor(self, venue: CcxtVenue, publish: Callable[[VenueUpdate], None]) -> Executor:
        if self.mode is Mode.SHADOW:
            return ShadowExecutor(self.now_ms)
        if self.mode is Mode.PAPER:
            return PaperBroker(self.quotes, self.config.paper, publish, self.now_ms)
        return venue

    async def run(
        self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED
    ) -> None:
        async with anyio.create_task_group() as tg:
            sim_urls: tuple[str, str] | None = None
            if self.config.run.network is Network.SIM:
                if self.config.exchange.sim_url:
                    base = self.config.exchange.sim_url
                    sim_urls = (base, base.replace("http://", "ws://") + "/ws")
                else:
                    self.sim = await tg.start(serve_sim, sim_settings(self.config))
                    sim_urls = (self.sim.rest_url, self.sim.ws_url)
                    log.info("simulator_listening", rest_url=sim_urls[0], ws_url=sim_urls[1])
            exchange = build_exchange(self.config, sim_urls)
            venue = CcxtVenue(exchange, self.events, self.now_ms)
            self.venue = venue
            ns = await self.db.call(journal.journal_namespace, self.account_label)
            channel = UpdateChannel()
            executor = self._executor(venue, channel.publish)
            path = OrderPath(
                db=self.db,
                ns=ns,
                executor=executor,
                switch=self.switch,
                quotes=self.quotes,
                events=self.events,
                config=self.config.execution,
                now_ms=self.now_ms,
                quote_currency=self.config.exchange.quote_currency,
                risk=self.risk,
            )
            venue.call_listeners.append(self.risk.on_exchange_call)
            self.risk.balances = self.balances_of(executor)
            path.reconciled = False  # no orders until the journal and the exchange agree
            self.path = path
            await path.load()
            await self.risk.load(executor.name)
            path.fill_listeners.append(self.risk.on_fill)
            self.divergence = DivergenceMonitor(
                self.quotes, self.events, self.now_ms, self.config.execution.max_fill_divergence_bps
            )
            path.send_listeners.append(self.divergence.on_send)
            path.fill_listeners.append(self.divergence.on_fill)
            path.order_listeners.append(self.divergence.on_order)
            self.contingent = ContingentOrders(path, self.now_ms)
            await self.contingent.load()
            path.order_listeners.append(self.contingent.on_order)
            self.quotes.subscribe(self.contingent.on_quote)
            self.market_data = MarketData(
                venue, self.quotes, self.config.market_data, self.events, self.now_ms
            )
            self.private = (
                PrivateStream(venue, self.config.account_sync, channel.publish, self.symbols)
                if executor is venue
                else None
            )
            self.sync = AccountSync(
                path,
                channel,
                self.config.account_sync,
                self.symbols,
                self.config.execution.fill_lookback_s,
                self.private.health if self.private else None,
            )
            self.resolver = Resolver(path)
            task_status.started()
            try:
                await self._connect(venue)
                if isinstance(executor, PaperBroker):
                    await self.restore_paper(executor)
                with contextlib.suppress(Exception):
                    await self.market_data.snapshot()  # quotes before READY, if it can
                tg.start_soon(self.market_data.run)
                tg.start_soon(self._watch_staleness)
                tg.start_soon(self.sync.run)
                if self.private is not None:
                    tg.start_soon(self.private.run)
                await self.reconcile_until_done()
                tg.start_soon(self.resolver.run)
                tg.start_soon(self.risk.run)
                tg.start_soon(self.contingent.run)
                if executor is venue:
                    tg.start_soon(self.refresh_balances, venue)
                self.ready.set()
                await anyio.sleep_forever()
            finally:
                with anyio.CancelScope(shield=True):
                    await venue.close()

    async def restore_paper(self, broker: PaperBroker) -> None:
        """The paper book again: its configured balances plus paper fills, its orders resting."""
        broker.restore(
            await self.db.call(journal.all_fills, executor=broker.name),
            await self.db.call(journal.live_orders, executor=broker.name),
        )

    def _quote_refused(self, symbol: str, reason: str, detail: str) -> None:
        self.events(
            DaemonEvent(
                code="data.corrupt",
                level="WARNING",
                message=f"{symbol}: quote refused ({reason}): {detail}",
                ts_ms=self.now_ms(),
                context={"symbol": symbol, "reason": reason},
                dedupe_key=f"data.corrupt:{symbol}:{reason}",
            )
        )

    def balances_of(
        self, executor: Executor
    ) -> Callable[[], tuple[dict[str, float], float] | None]:
        """Total balances per asset and when read: the truth for cash and sizes."""
        if isinstance(executor, PaperBroker):
            return lambda: (
                {
                    a: executor.free.get(a, 0.0) + executor.locked.get(a, 0.0)
                    for a in set(executor.free) | set(executor.locked)
                },
                time.monotonic(),  # the paper broker's books are always current
            )
        if isinstance(executor, CcxtVenue):
            return lambda: self.exchange_balances
        return lambda: None

    async def _watch_staleness(self) -> None:
        """A symbol going stale (or fresh again) is a condition: alerted on change only."""
        stale: set[str] = set()
        while True:
            await anyio.sleep(1.0)
            now_stale = set(self.quotes.stale_symbols())
            for symbol in sorted(now_stale ^ stale):
                going = symbol in now_stale
                age = self.quotes.age_s(symbol)
                self.events(
                    DaemonEvent(
                        code="data.stale",
                        level="WARNING",
                        message=f"{symbol}: "
                        + (
                            f"no fresh quote ({'none yet' if age is None else f'{age:.0f} s'})"
                            if going
                            else "quotes fresh again"
                        ),
                        ts_ms=self.now_ms(),
                        context={"symbol": symbol},
                        dedupe_key=f"data.stale:{symbol}",
                        resolved=not going,
                    )
                )
            stale = now_stale

    async def refresh_balances(self, venue: CcxtVenue) -> None:
        while True:
            try:
                asked = time.monotonic()  # fills after this may be missing from the answer
                raw = await venue.fetch_balances()
                self.exchange_balances = (
                    {a: free + used for a, (free, used) in raw.items()},
                    asked,
                )
            except Exception as exc:
                log.warning("balances_refresh_failed", error=type(exc).__name__)
            await anyio.sleep(self.config.portfolio.balance_refresh_s)

    async def _connect(self, venue: CcxtVenue) -> None:
        """Markets first; an unreachable exchange is retried, the daemon keeps serving."""
        rng = random.Random()
        attempt = 0
        while True:
            try:
                await venue.call("load_markets")
                self.markets_loaded = True
                return
            except Exception as exc:
                self.reconcile_error = f"exchange unreachable: {type(exc).__name__}"
                log.warning("exchange_unreachable", error=type(exc).__name__, attempt=attempt)
                await anyio.sleep(backoff_delay(attempt, rng.random(), cap_s=30.0))
                attempt += 1

    async def reconcile_until_done(self) -> None:
        assert self.path is not None and self.resolver is not None
        rng = random.Random()
        attempt = 0
        while True:
            try:
                self.last_reconcile = await reconcile(self.path, self.resolver, self.symbols)
                self.reconciled = True
                self.path.reconciled = True
                self.reconcile_error = ""
                return
            except Exception as exc:
                self.reconcile_error = f"reconciliation failed: {type(exc).__name__}: {exc}"[:300]
                log.warning("reconcile_failed", error=self.reconcile_error, attempt=attempt)
                await anyio.sleep(backoff_delay(attempt, rng.random(), cap_s=30.0))
                attempt += 1
