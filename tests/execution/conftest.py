"""Fixtures: the simulator on loopback, a real ccxt.pro client, an order path over a temp DB."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import ccxt.pro as ccxtpro
import msgspec
import pytest

from peaktrade.core.events import DaemonEvent
from peaktrade.core.model import Quote
from peaktrade.daemon.trading import TradingSwitch
from peaktrade.execution.config import ExecutionConfig
from peaktrade.execution.engine import OrderPath
from peaktrade.execution.resolver import Resolver
from peaktrade.store import journal
from peaktrade.store.db import Database
from peaktrade.venues.ccxt_venue import CcxtVenue
from peaktrade.venues.executor import Executor
from peaktrade.venues.quotes import QuoteBook
from peaktrade.venues.sim import SimHandle, SimSettings, serve_sim
from peaktrade.venues.streams import MarketData

SYMBOLS = ["BTC/USDT", "ETH/USDT"]
FAST_SIM = {"tick_interval_s": 0.05, "ticker_interval_s": 0.1, "volatility": 0.0}


class Events(list[DaemonEvent]):
    def __call__(self, event: DaemonEvent) -> None:
        self.append(event)

    def codes(self) -> list[str]:
        return [e.code for e in self]


def now_ms() -> int:
    import time

    return time.time_ns() // 1_000_000


@pytest.fixture
async def start_sim() -> AsyncIterator[Callable[..., Awaitable[SimHandle]]]:
    tasks: list[asyncio.Task[None]] = []

    async def start(**overrides: Any) -> SimHandle:
        settings = msgspec.convert({**FAST_SIM, **overrides}, SimSettings)
        ready: asyncio.Future[SimHandle] = asyncio.get_running_loop().create_future()

        async def run() -> None:
            async with anyio.create_task_group() as tg:
                ready.set_result(await tg.start(serve_sim, settings))

        task = asyncio.create_task(run())
        tasks.append(task)
        done, _ = await asyncio.wait([ready, task], return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            task.result()
        return ready.result()

    yield start
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


@pytest.fixture
async def sim(start_sim: Callable[..., Awaitable[SimHandle]]) -> SimHandle:
    return await start_sim()


@pytest.fixture
def events() -> Events:
    return Events()


@pytest.fixture
async def venue(sim: SimHandle, events: Events) -> AsyncIterator[CcxtVenue]:
    exchange = ccxtpro.binance({**sim.ccxt_config(), "enableRateLimit": False, "timeout": 3000})
    await exchange.load_markets()
    v = CcxtVenue(exchange, events, now_ms)
    yield v
    await v.close()


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(tmp_path / "journal.sqlite3")
    yield database
    database.close()


class Harness(msgspec.Struct):
    path: OrderPath
    resolver: Resolver
    quotes: QuoteBook
    db: Database
    events: Events

    async def order(self, cid: str) -> Any:
        return await self.db.call(journal.get_order, cid)


async def fill_quotes(venue: CcxtVenue, quotes: QuoteBook) -> None:
    """A REST snapshot is enough for the order path; streams are tested on their own."""
    md = MarketData(venue, quotes, _md_config(), lambda e: None, now_ms)
    await md.snapshot()


def _md_config() -> Any:
    from peaktrade.venues.config import MarketDataConfig

    return MarketDataConfig()


@pytest.fixture
def make_path(db: Database, events: Events) -> Callable[..., Awaitable[Harness]]:
    async def make(executor: Executor, venue: CcxtVenue | None = None, **config: Any) -> Harness:
        quotes = QuoteBook(SYMBOLS, stale_after_s=30.0)
        if venue is not None:
            await fill_quotes(venue, quotes)
        switch = await TradingSwitch.load(db)
        exec_config = msgspec.convert(
            {"not_found_grace_s": 0.3, "resolve_interval_s": 0.05, **config}, ExecutionConfig
        )
        ns = await db.call(journal.journal_namespace, "test-account")
        path = OrderPath(
            db=db,
            ns=ns,
            executor=executor,
            switch=switch,
            quotes=quotes,
            events=events,
            config=exec_config,
            now_ms=now_ms,
            quote_currency="USDT",
        )
        await path.load()
        return Harness(path=path, resolver=Resolver(path), quotes=quotes, db=db, events=events)

    return make


def quote(symbol: str, bid: float, ask: float, last: float | None = None) -> Quote:
    return Quote(
        symbol=symbol,
        bid=bid,
        ask=ask,
        last=last if last is not None else (bid + ask) / 2,
        ts_ms=now_ms(),
    )
