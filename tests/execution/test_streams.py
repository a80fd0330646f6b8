"""Streams through ccxt.pro: quotes into the book, gaps on every disconnect, silent feeds caught,
orders and fills from the private stream."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import anyio
import ccxt.pro as ccxtpro
import msgspec
import pytest

from peaktrade.core.model import OrderIntent, OrderType, Side
from peaktrade.core.orders import OrderState
from peaktrade.execution.account_sync import AccountSync, UpdateChannel
from peaktrade.store import journal
from peaktrade.venues.ccxt_venue import CcxtVenue
from peaktrade.venues.config import AccountSyncConfig, MarketDataConfig
from peaktrade.venues.quotes import QuoteBook
from peaktrade.venues.sim import SimHandle
from peaktrade.venues.streams import MarketData, PrivateStream
from tests.execution.conftest import SYMBOLS, Events, Harness, now_ms

MakePath = Callable[..., Awaitable[Harness]]
FAST = MarketDataConfig(
    stale_after_s=1.0, reconnect_base_s=0.05, reconnect_cap_s=0.2, reconnect_storm_count=3
)


async def until(predicate: Callable[[], object], within_s: float = 10.0) -> None:
    deadline = time.monotonic() + within_s
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        await anyio.sleep(0.02)


@pytest.fixture
async def feed(venue: CcxtVenue, events: Events) -> AsyncIterator[tuple[MarketData, QuoteBook]]:
    book = QuoteBook(SYMBOLS, stale_after_s=FAST.stale_after_s)
    md = MarketData(venue, book, FAST, events, now_ms)
    task = asyncio.create_task(md.run())  # its own task: fixtures and tests run in different ones
    yield md, book
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_quotes_stream_into_the_book(feed: tuple[MarketData, QuoteBook]) -> None:
    md, book = feed
    await until(lambda: all(book.fresh(s) for s in SYMBOLS))
    first = book.updates
    await until(lambda: book.updates > first + 10)
    quote = book.get("BTC/USDT")
    assert quote is not None and 0 < quote.bid < quote.ask
    assert md.frames > 0


async def test_a_dropped_socket_is_a_gap_then_a_resnapshot(
    feed: tuple[MarketData, QuoteBook], sim: SimHandle, events: Events
) -> None:
    md, book = feed
    await until(lambda: all(book.fresh(s) for s in SYMBOLS))
    sim.faults.drop_websockets()
    await until(lambda: md.health.reconnects >= 1)
    assert "exchange.disconnected" in events.codes()
    await until(lambda: all(book.fresh(s) for s in SYMBOLS))
    back = [e for e in events if e.code == "exchange.disconnected" and e.resolved]
    assert back, "the reconnect resolves the disconnect condition"


async def test_a_silent_feed_is_caught_and_redialled(
    feed: tuple[MarketData, QuoteBook], sim: SimHandle, events: Events
) -> None:
    md, book = feed
    await until(lambda: all(book.fresh(s) for s in SYMBOLS))
    sim.faults.freeze_websockets(30.0)  # the socket stays open, nothing arrives
    await until(lambda: md.health.reconnects >= 1, within_s=5)
    silent = [e for e in events if e.code == "exchange.disconnected" and not e.resolved]
    assert silent and silent[0].context["reason"] == "silent"
    await until(lambda: all(book.fresh(s) for s in SYMBOLS), within_s=10)


async def drop_and_recover(md: MarketData, sim: SimHandle) -> None:
    """Drop the feed's websocket and wait for frames on the new one: fresh quotes alone may
    come from the REST snapshot, before there is a websocket for the next drop to close."""
    before = md.health.reconnects
    sim.faults.drop_websockets()
    await until(lambda: md.health.reconnects > before)
    frames = md.frames
    await until(lambda: md.frames > frames)


async def test_reconnect_storm_raises_a_critical_event(
    feed: tuple[MarketData, QuoteBook], sim: SimHandle, events: Events
) -> None:
    md, _ = feed
    await until(lambda: md.frames > 0)  # the websocket is up, not only the REST snapshot
    for _ in range(4):
        await drop_and_recover(md, sim)
    storms = [e for e in events if e.code == "exchange.reconnect_storm"]
    assert storms and storms[0].level == "CRITICAL"


async def test_reconnect_storm_resolves_once_the_stream_stays_up(
    venue: CcxtVenue, sim: SimHandle, events: Events
) -> None:
    config = msgspec.structs.replace(FAST, reconnect_storm_count=2, reconnect_storm_window_s=3.0)
    book = QuoteBook(SYMBOLS, stale_after_s=config.stale_after_s)
    md = MarketData(venue, book, config, events, now_ms)
    async with anyio.create_task_group() as tg:
        tg.start_soon(md.run)
        await until(lambda: md.frames > 0)  # the websocket is up, not only the REST snapshot
        for _ in range(5):  # two drops within the window make a storm; allow a slow machine
            await drop_and_recover(md, sim)
            if "exchange.reconnect_storm" in events.codes():
                break
        assert "exchange.reconnect_storm" in events.codes()
        reconnects = md.health.reconnects
        await until(
            lambda: any(e.code == "exchange.reconnect_storm" and e.resolved for e in events)
        )
        tg.cancel_scope.cancel()
    assert md.health.reconnects == reconnects  # the calm stream resolved it, not a reconnect
    storms = [e for e in events if e.code == "exchange.reconnect_storm"]
    assert not storms[0].resolved and storms[-1].resolved
    assert sum(e.resolved for e in storms) == 1
    assert {e.dedupe_key for e in storms} == {"exchange.reconnect_storm"}  # one condition


async def test_private_stream_reports_orders_and_fills(
    make_path: MakePath, sim: SimHandle, events: Events
) -> None:
    exchange = ccxtpro.binance({**sim.ccxt_config(), "enableRateLimit": False})
    await exchange.load_markets()
    venue = CcxtVenue(exchange, events, now_ms)
    try:
        h = await make_path(venue, venue)
        channel = UpdateChannel()
        config = AccountSyncConfig(poll_interval_s=60.0, quiet_after_s=60.0)
        private = PrivateStream(venue, config, channel.publish, SYMBOLS)
        sync = AccountSync(h.path, channel, config, SYMBOLS, 60.0, private.health)
        async with anyio.create_task_group() as tg:
            tg.start_soon(private.run)
            tg.start_soon(sync.run)
            price = round(float(sim.engine.markets["BTCUSDT"].last) * 0.9, 2)
            intent = OrderIntent(
                symbol="BTC/USDT", side=Side.BUY, qty=0.01, type=OrderType.LIMIT, price=price
            )
            deadline = time.monotonic() + 10
            while not private.health.last_message:  # the subscription is made by the first watch
                assert time.monotonic() < deadline, "no order update on the private stream"
                await h.path.submit([intent])
                await anyio.sleep(0.2)
            # a resting buy that fills only when the price falls: only the stream can tell us
            rest_price = round(float(sim.engine.markets["BTCUSDT"].last) * 0.99, 2)
            (resting,) = await h.path.submit([msgspec.structs.replace(intent, price=rest_price)])
            cid = resting.order.client_order_id  # type: ignore[union-attr]
            assert (await h.order(cid)).state is OrderState.OPEN
            sim.faults.gap(-3.0, "BTCUSDT")

            async def filled() -> bool:
                return bool((await h.order(cid)).state is OrderState.FILLED)

            deadline = time.monotonic() + 10
            while not await filled():
                assert time.monotonic() < deadline, "the fill never arrived"
                await anyio.sleep(0.05)
            kinds = [kind for _, kind, _, _ in await h.db.call(journal.events_of, cid)]
            assert "stream" in kinds
            assert await h.db.call(journal.fills_of, cid)
            assert sync.polls == 0  # the stream, not REST polling, kept the journal current
            tg.cancel_scope.cancel()
    finally:
        await venue.close()
