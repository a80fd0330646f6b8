"""Exchange streams through ccxt.pro: quotes into the quote book, orders and fills upward.

Every disconnect is a gap: quotes are not trusted again until a REST snapshot has been taken,
and reconnects back off exponentially with jitter. A feed that goes silent without closing is
treated like a disconnect once nothing has arrived for the staleness window.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

import anyio
import ccxt.async_support as ccxt_errors

from peaktrade.core.backoff import backoff_delay
from peaktrade.core.events import DaemonEvent, EventSink
from peaktrade.core.model import Quote
from peaktrade.log import get_logger
from peaktrade.venues.ccxt_venue import CcxtVenue, fill_from_ccxt, report_from_ccxt
from peaktrade.venues.config import AccountSyncConfig, MarketDataConfig
from peaktrade.venues.executor import VenueUpdate
from peaktrade.venues.quotes import QuoteBook

log = get_logger("peaktrade.streams")


class StreamHealth:
    """Reconnects and last-message times, for health checks, alerts and metrics."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.connected = False
        self.reconnects = 0
        self.recent_reconnects: deque[float] = deque(maxlen=64)
        self.last_message = 0.0  # monotonic

    def touch(self) -> None:
        self.last_message = time.monotonic()
        self.connected = True

    def quiet_for(self) -> float:
        return time.monotonic() - self.last_message if self.last_message else float("inf")


def quote_from_ticker(ticker: Mapping[str, Any]) -> Quote | None:
    bid, ask, last = ticker.get("bid"), ticker.get("ask"), ticker.get("last")
    if not bid or not ask:
        return None
    return Quote(
        symbol=str(ticker["symbol"]),
        bid=float(bid),
        ask=float(ask),
        last=float(last or (float(bid) + float(ask)) / 2),
        ts_ms=int(ticker.get("timestamp") or 0),
    )


class MarketData:
    def __init__(
        self,
        venue: CcxtVenue,
        book: QuoteBook,
        config: MarketDataConfig,
        events: EventSink,
        now_ms: Callable[[], int],
    ) -> None:
        self.venue = venue
        self.book = book
        self.config = config
        self.events = events
        self.now_ms = now_ms
        self.health = StreamHealth("market_data")
        self._rng = random.Random()
        self._last: dict[str, float] = {}
        self._clients: set[str] = set()  # ccxt.pro websocket clients this feed opened
        self.frames = 0
        self._seen: dict[str, object] = {}  # the ccxt top last taken, per symbol
        self._symbols = frozenset(book.symbols)
        self._storming = False  # exchange.reconnect_storm raised and not yet resolved

    async def run(self) -> None:
        attempt = 0
        while True:
            heard = self.health.last_message
            try:
                await self.snapshot()
                if self.health.reconnects:
                    self._reconnected()
                await self._stream()
            except Exception as exc:  # every failure is a gap, then a backed-off reconnect
                self.health.connected = False
                self.book.mark_gap(self.book.symbols)
                self._disconnected(exc)
                attempt = 0 if self.health.last_message > heard else attempt  # it had worked
                delay = backoff_delay(
                    attempt,
                    self._rng.random(),
                    base_s=self.config.reconnect_base_s,
                    cap_s=self.config.reconnect_cap_s,
                )
                attempt += 1
                await anyio.sleep(delay)
            else:  # pragma: no cover - _stream only returns by raising
                attempt = 0

    async def snapshot(self) -> None:
        """REST tickers for every symbol: the re-snapshot after each (re)connect."""
        tickers = await self.venue.call("fetch_tickers", self.book.symbols)
        for ticker in tickers.values():
            quote = quote_from_ticker(ticker)
            if quote is not None:
                self.book.update(quote)

    async def _stream(self) -> None:
        """Top of book from bookTicker (real time), last price from the 24 h ticker."""
        async with anyio.create_task_group() as tg:
            tg.start_soon(self._watch_last)
            await self._watch_book()

    async def _watch_book(self) -> None:
        exchange = self.venue.exchange
        while True:
            before = set(getattr(exchange, "clients", {}))
            try:
                with anyio.fail_after(self.config.stale_after_s):
                    books = await exchange.watch_bids_asks(self.book.symbols)
            except TimeoutError:
                await self._drop_silent_connections()
                raise
            self._clients |= set(getattr(exchange, "clients", {})) - before
            self.health.touch()
            self.frames += 1
            if self._storming:
                self._storm_over()
            for raw in self._new_tops(books):
                symbol = str(raw.get("symbol"))
                bid, ask = raw.get("bid"), raw.get("ask")
                if not bid or not ask:  # ccxt drops zero prices: a corrupt update, not a quote
                    self.book.refuse(symbol, "zero_price", f"bid {bid}, ask {ask}")
                    continue
                known = self.book.get(symbol)
                last = self._last.get(symbol) or (known.last if known else None)
                self.book.update(
                    Quote(
                        symbol=symbol,
                        bid=float(bid),
                        ask=float(ask),
                        last=last if last is not None else (float(bid) + float(ask)) / 2,
                        ts_ms=int(raw.get("timestamp") or self.now_ms()),
                    )
                )

    def _new_tops(self, delivered: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        """Every symbol's top parsed since the last wake-up, not only the one handed back:
        frames that arrive together wake the watcher once, the others wait in ccxt's cache."""
        cache = {**(getattr(self.venue.exchange, "bidsasks", None) or {}), **delivered}
        fresh = [
            raw
            for symbol, raw in cache.items()
            if symbol in self._symbols and raw is not self._seen.get(symbol)
        ]
        for raw in fresh:
            self._seen[str(raw.get("symbol"))] = raw
        return fresh

    async def _drop_silent_connections(self) -> None:
        """A feed that says nothing with its socket open is frozen: close our connections so
        the next watch dials anew (ccxt.pro would otherwise wait on the same socket)."""
        clients = getattr(self.venue.exchange, "clients", {})
        with anyio.CancelScope(shield=True):  # resetting one client fails its sibling task
            await self._drop(clients)

    async def _drop(self, clients: dict[str, Any]) -> None:
        for url in list(self._clients):
            client = clients.pop(url, None)  # the next watch must dial, not reuse this one
            if client is None:
                continue
            # reject the watchers' futures with an error (client.close() would *cancel* them,
            # which surfaces as a stray cancellation in our tasks), then drop the socket
            # without waiting for a close handshake a frozen peer never answers
            client.reset(ccxt_errors.NetworkError(f"{url}: silent for too long"))
            with contextlib.suppress(Exception), anyio.move_on_after(0.5):
                await client.aiohttp_close()
        self._clients.clear()

    async def _watch_last(self) -> None:
        exchange = self.venue.exchange
        while True:
            tickers = await exchange.watch_tickers(self.book.symbols)
            for ticker in tickers.values():
                if ticker.get("last"):
                    self._last[str(ticker["symbol"])] = float(ticker["last"])

    def _reconnected(self) -> None:
        self.events(
            DaemonEvent(
                code="exchange.disconnected",
                level="WARNING",
                message="market data stream back (REST snapshot taken)",
                ts_ms=self.now_ms(),
                dedupe_key="exchange.disconnected:market_data",
                resolved=True,
            )
        )

    def _recent_reconnects(self, now: float) -> int:
        window = self.config.reconnect_storm_window_s
        return sum(1 for t in self.health.recent_reconnects if now - t <= window)

    def _storm_over(self) -> None:
        """Resolve the storm once the window holds fewer reconnects than the count: judged on
        each frame, so a stream that stays up clears it without another reconnect."""
        recent = self._recent_reconnects(time.monotonic())
        if recent >= self.config.reconnect_storm_count:
            return
        self._storming = False
        window = self.config.reconnect_storm_window_s
        self.events(
            DaemonEvent(
                code="exchange.reconnect_storm",
                level="INFO",
                message=f"market data calm again: {recent} reconnects in {window:g} s",
                ts_ms=self.now_ms(),
                context={"reconnects": recent},
                dedupe_key="exchange.reconnect_storm",
                resolved=True,
            )
        )

    def _disconnected(self, exc: Exception) -> None:
        now = time.monotonic()
        self.health.reconnects += 1
        self.health.recent_reconnects.append(now)
        window = self.config.reconnect_storm_window_s
        recent = self._recent_reconnects(now)
        kind = _reason(exc)
        log.warning("market_data_disconnected", reason=kind, reconnects=self.health.reconnects)
        self.events(
            DaemonEvent(
                code="exchange.disconnected",
                level="WARNING",
                message=f"market data stream lost ({kind}); reconnecting",
                ts_ms=self.now_ms(),
                context={"reason": kind},
                dedupe_key="exchange.disconnected:market_data",
            )
        )
        if recent >= self.config.reconnect_storm_count:
            self._storming = True
            self.events(
                DaemonEvent(
                    code="exchange.reconnect_storm",
                    level="CRITICAL",
                    message=f"{recent} market-data reconnects in {window:g} s",
                    ts_ms=self.now_ms(),
                    context={"reconnects": recent},
                    dedupe_key="exchange.reconnect_storm",
                )
            )


def _reason(exc: BaseException) -> str:
    """``silent`` when the feed timed out (whatever its sibling task then raised)."""
    leaves: list[BaseException] = []
    pending = [exc]
    while pending:
        current = pending.pop()
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        else:
            leaves.append(current)
    if any(isinstance(leaf, TimeoutError) for leaf in leaves):
        return "silent"
    return type(leaves[0]).__name__ if leaves else type(exc).__name__


Publish = Callable[[VenueUpdate], None]


class PrivateStream:
    """Orders and fills from ccxt.pro's watch_orders / watch_my_trades."""

    def __init__(
        self, venue: CcxtVenue, config: AccountSyncConfig, publish: Publish, symbols: list[str]
    ) -> None:
        self.venue = venue
        self.config = config
        self.publish = publish
        self.symbols = symbols
        self.health = StreamHealth("private")
        self._rng = random.Random()

    async def run(self) -> None:
        if not self.config.use_private_stream:
            return
        async with anyio.create_task_group() as tg:
            tg.start_soon(self._loop, self._orders)
            tg.start_soon(self._loop, self._trades)

    async def _loop(self, body: Callable[[], Any]) -> None:
        attempt = 0
        while True:
            heard = self.health.last_message
            try:
                await body()
            except Exception as exc:
                self.health.connected = False
                log.warning("private_stream_error", error=type(exc).__name__)
                attempt = 0 if self.health.last_message > heard else attempt  # it had worked
                await anyio.sleep(backoff_delay(attempt, self._rng.random()))
                attempt += 1
                # what happened while we were away never comes on the new stream: the account
                # sync polls REST for a while after each reconnect (see AccountSync)
                self.health.reconnects += 1
                self.health.recent_reconnects.append(time.monotonic())

    async def _orders(self) -> None:
        while True:
            orders = await self.venue.exchange.watch_orders()
            self.health.touch()
            for raw in orders:
                report = report_from_ccxt(raw)
                if report.client_order_id:
                    self.publish(VenueUpdate(report=report))

    async def _trades(self) -> None:
        while True:
            trades = await self.venue.exchange.watch_my_trades()
            self.health.touch()
            self.publish(VenueUpdate(fills=tuple(fill_from_ccxt(t) for t in trades)))
