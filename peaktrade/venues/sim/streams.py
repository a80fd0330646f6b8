"""Websocket delivery: market streams (``/ws``, ``/ws/<name>``, ``/stream``) and the hub.

The hub owns every open websocket (market streams here, the WebSocket API in ``wsapi``) and
fans out to them: prints as they happen; bookTicker, depth (diff and partial, whatever the
``@100ms``/``@1000ms`` suffix) and klines each tick; tickers each ``ticker_interval_s``;
user-data events after each request. Streams: ``<symbol>@trade|aggTrade|bookTicker|ticker|
miniTicker|kline_<interval>|depth[5|10|20][@100ms]``, ``!ticker@arr``, ``!miniTicker@arr``,
and a listenKey for the legacy user data stream; listenKeys live here too.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from decimal import Decimal

import msgspec
from aiohttp import WSCloseCode, web

from peaktrade.venues.sim.book import Book, BookSide
from peaktrade.venues.sim.connections import Connection
from peaktrade.venues.sim.decimals import fmt
from peaktrade.venues.sim.faults import Fault
from peaktrade.venues.sim.market import INTERVAL_MS, PublicTrade
from peaktrade.venues.sim.matching import Engine
from peaktrade.venues.sim.rest_market import book_ticker_json, depth_json, ticker_json
from peaktrade.venues.sim.stream_events import (
    Event,
    agg_trade_event,
    kline_event,
    mini_ticker_event,
    ticker_event,
    trade_event,
)

_LISTEN_KEY_TTL_S = 3600.0
_STREAM = re.compile(
    r"^(?P<symbol>[a-z0-9]+)@(?P<kind>trade|aggTrade|bookTicker|ticker|miniTicker"
    r"|kline_(?P<interval>\w+)|depth(?P<levels>5|10|20)?(?:@(?:100|1000)ms)?)$"
)
_ALL_TICKERS = frozenset({"!ticker@arr", "!miniTicker@arr"})


def parse_stream(name: str, symbols: set[str]) -> bool:
    if name in _ALL_TICKERS:
        return True
    match = _STREAM.match(name)
    if match is None or match["symbol"].upper() not in symbols:
        return False
    return match["interval"] is None or match["interval"] in INTERVAL_MS


class StreamHub:
    def __init__(self, engine: Engine, now_ms: Callable[[], int], ticker_interval_s: float) -> None:
        self._engine = engine
        self._now_ms = now_ms
        self._ticker_interval_s = ticker_interval_s
        self._next_ticker = 0.0
        self.connections: set[Connection] = set()
        self.listen_keys: dict[str, float] = {}
        """Valid listenKeys and when (monotonic) each expires without a keepalive."""
        self._depth_sent = {s: (b.update_id, _levels(b)) for s, b in engine.books.items()}
        """Per symbol: the update id and levels the last depth event described."""
        self._ticker_streams = {"!ticker@arr", "!miniTicker@arr"} | {
            f"{s.lower()}@{kind}" for s in engine.markets for kind in ("ticker", "miniTicker")
        }
        self.frozen_until = 0.0
        """Websockets opened before this (monotonic) start frozen (``feed_freeze``)."""
        self.corruption: Fault | None = None
        """A ``corrupt_ticker`` fault for this tick's bookTicker pushes, set by the tick loop."""

    # -- fan-out -----------------------------------------------------------------------------

    @property
    def user_connections(self) -> int:
        """Connections that receive user-data events (tests wait on this before trading)."""
        return sum(1 for c in self.connections if c.subscription_id is not None or c.listen_keys)

    def publish_user(self, events: list[Event]) -> None:
        for event in events:
            for c in self.connections:
                if c.subscription_id is not None:
                    c.push_json({"subscriptionId": c.subscription_id, "event": event})
                for key in c.listen_keys:
                    c.push_json({"stream": key, "data": event} if c.combined else event)

    def publish_trades(self, trades: list[PublicTrade]) -> None:
        for t in trades:
            symbol = t.symbol.lower()
            self._send_stream(symbol + "@trade", trade_event(t))
            self._send_stream(symbol + "@aggTrade", agg_trade_event(t))

    def _send_stream(self, name: str, data: object) -> None:
        raw: bytes | None = None
        wrapped: bytes | None = None
        for c in self.connections:
            if name not in c.streams:
                continue
            if c.combined:
                wrapped = wrapped or msgspec.json.encode({"stream": name, "data": data})
                c.push(wrapped)
            else:
                raw = raw or msgspec.json.encode(data)
                c.push(raw)

    def on_tick(self) -> None:
        """Push the per-tick streams: book tops, depth, klines, and tickers at their cadence."""
        now = self._now_ms()
        subscribed: set[str] = set().union(*(c.streams for c in self.connections))
        for symbol in self._engine.markets:
            low = symbol.lower()
            # only while someone listens: a diff from an older baseline still chains (U = the
            # last id sent + 1) and sets each changed level absolutely, so a late subscriber's
            # snapshot-then-diffs sync holds; computing it for nobody was most of a tick
            if low + "@depth" in subscribed or low + "@depth@100ms" in subscribed:
                self._depth_diff(symbol, now)
        for name in subscribed:
            match = _STREAM.match(name)
            if match is None:
                continue
            symbol = match["symbol"].upper()
            if match["kind"] == "bookTicker":
                self._book_ticker(symbol)
            elif match["levels"]:
                # partial book depth: a snapshot of the top N levels every tick
                depth = depth_json(self._engine.books[symbol], int(match["levels"]))
                self._send_stream(name, depth)
            elif match["interval"]:
                close, candle = self._engine.markets[symbol].current_candle(match["interval"], now)
                self._send_stream(name, kline_event(symbol, match["interval"], close, candle, now))
        if time.monotonic() >= self._next_ticker and subscribed & self._ticker_streams:
            self._next_ticker = time.monotonic() + self._ticker_interval_s
            self._tickers(now)

    def _tickers(self, now: int) -> None:
        full = [
            ticker_event(ticker_json(self._engine, m, now), now)
            for m in self._engine.markets.values()
        ]
        mini = [mini_ticker_event(t) for t in full]
        for ticker, mini_ticker in zip(full, mini, strict=True):
            low = str(ticker["s"]).lower()
            self._send_stream(low + "@ticker", ticker)
            self._send_stream(low + "@miniTicker", mini_ticker)
        self._send_stream("!ticker@arr", full)
        self._send_stream("!miniTicker@arr", mini)

    def _book_ticker(self, symbol: str) -> None:
        """Every tick is a book update here, so each tick pushes the top (also to late joiners)."""
        top = book_ticker_json(self._engine, symbol)
        bid, ask = top["bidPrice"], top["askPrice"]
        fault = self.corruption
        if fault is not None and (fault.symbol is None or fault.symbol.upper() == symbol):
            bid, ask = _corrupt(fault, Decimal(str(bid)), Decimal(str(ask)))
        event = {
            "u": self._engine.books[symbol].update_id,
            "s": symbol,
            "b": bid,
            "B": top["bidQty"],
            "a": ask,
            "A": top["askQty"],
        }
        self._send_stream(symbol.lower() + "@bookTicker", event)

    def _depth_diff(self, symbol: str, now: int) -> None:
        """``<symbol>@depth``: what changed since the last event, ids chained ``U = u' + 1``."""
        book = self._engine.books[symbol]
        last_id, before = self._depth_sent[symbol]
        if last_id == book.update_id:
            return
        current = _levels(book)
        self._depth_sent[symbol] = (book.update_id, current)
        changes = {
            side: [
                [fmt(p), fmt(current[side].get(p, Decimal(0)))]
                for p in sorted(before[side].keys() | current[side].keys())
                if before[side].get(p) != current[side].get(p)
            ]
            for side in ("bids", "asks")
        }
        event = {
            "e": "depthUpdate",
            "E": now,
            "s": symbol,
            "U": last_id + 1,
            "u": book.update_id,
            "b": changes["bids"],
            "a": changes["asks"],
        }
        for stream in (symbol.lower() + "@depth", symbol.lower() + "@depth@100ms"):
            self._send_stream(stream, event)

    # -- faults ------------------------------------------------------------------------------

    def drop_all(self) -> None:
        for c in list(self.connections):
            c.close(WSCloseCode.GOING_AWAY)

    def abort_all(self) -> None:
        for c in list(self.connections):
            c.abort()

    def freeze_all(self, seconds: float, *, include_new: bool = False) -> None:
        """Silence every websocket for ``seconds``; ``include_new``: also those opened meanwhile."""
        until = time.monotonic() + seconds
        if include_new:
            self.frozen_until = max(self.frozen_until, until)
        for c in self.connections:
            c.frozen_until = max(c.frozen_until, until)

    # -- listen keys (legacy user data stream) -----------------------------------------------

    def create_listen_key(self) -> str:
        """One key per account, as Binance: asking again returns it and extends it."""
        key = next(iter(self.listen_keys), None) or secrets.token_hex(32)
        self.listen_keys[key] = time.monotonic() + _LISTEN_KEY_TTL_S
        return key

    def keep_alive(self, key: str) -> bool:
        if key not in self.listen_keys:
            return False
        self.listen_keys[key] = time.monotonic() + _LISTEN_KEY_TTL_S
        return True

    def close_listen_key(self, key: str) -> bool:
        if self.listen_keys.pop(key, None) is None:
            return False
        for c in self.connections:
            if key in c.listen_keys:
                c.close(WSCloseCode.GOING_AWAY)
        return True

    def expire_listen_keys(self) -> None:
        now = time.monotonic()
        for key in [k for k, until in self.listen_keys.items() if until <= now]:
            event = {"e": "listenKeyExpired", "E": self._now_ms(), "listenKey": key}
            for c in self.connections:
                if key in c.listen_keys:
                    c.push_json({"stream": key, "data": event} if c.combined else event)
            self.close_listen_key(key)

    # -- market stream endpoints -------------------------------------------------------------

    def _attach(self, c: Connection, names: list[str]) -> None:
        for name in names:
            if name in self.listen_keys:
                c.listen_keys.add(name)
            elif parse_stream(name, set(self._engine.markets)):
                c.streams.add(name)

    async def _control(self, c: Connection, text: str) -> None:
        """SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS, Binance's stream control messages."""
        try:
            msg = msgspec.json.decode(text, type=dict[str, object])
        except msgspec.DecodeError:
            c.push_json({"error": {"code": 3, "msg": "Invalid JSON: invalid message"}, "id": None})
            return
        method, params, ident = msg.get("method"), msg.get("params", []), msg.get("id")
        names = [p for p in params if isinstance(p, str)] if isinstance(params, list) else []
        if method == "SUBSCRIBE":
            bad = [n for n in names if n not in self.listen_keys]
            bad = [n for n in bad if not parse_stream(n, set(self._engine.markets))]
            if bad:
                err = {"code": 2, "msg": f"Invalid request: unknown stream name {bad[0]!r}"}
                c.push_json({"error": err, "id": ident})
                return
            self._attach(c, names)
            c.push_json({"result": None, "id": ident})
        elif method == "UNSUBSCRIBE":
            c.streams.difference_update(names)
            c.listen_keys.difference_update(names)
            c.push_json({"result": None, "id": ident})
        elif method == "LIST_SUBSCRIPTIONS":
            c.push_json({"result": sorted(c.streams | c.listen_keys), "id": ident})
        elif method in ("SET_PROPERTY", "GET_PROPERTY"):
            c.push_json({"result": None if method == "SET_PROPERTY" else False, "id": ident})
        else:
            error = {"code": 2, "msg": "Invalid request: unknown method"}
            c.push_json({"error": error, "id": ident})

    async def accept(self, request: web.Request, c: Connection) -> None:
        c.frozen_until = max(c.frozen_until, self.frozen_until)
        self.connections.add(c)
        try:
            await c.serve(lambda text: self._control(c, text))
        finally:
            self.connections.discard(c)

    async def raw_stream(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=False, compress=False)
        await ws.prepare(request)
        c = Connection(ws, request.transport, combined=False)
        tail = request.match_info.get("name", "")
        self._attach(c, [n for n in tail.split("/") if n])
        await self.accept(request, c)
        return ws

    async def combined_stream(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=False, compress=False)
        await ws.prepare(request)
        c = Connection(ws, request.transport, combined=True)
        self._attach(c, [n for n in request.query.get("streams", "").split("/") if n])
        await self.accept(request, c)
        return ws


def _corrupt(fault: Fault, bid: Decimal, ask: Decimal) -> tuple[str, str]:
    """The bad top of book a ``corrupt_ticker`` fault pushes instead of the real one."""
    if fault.corruption == "crossed":
        return fmt(ask * Decimal("1.01")), fmt(bid)
    if fault.corruption == "zero":
        return fmt(Decimal(0)), fmt(ask)
    factor = 1 + Decimal(repr(fault.pct)) / 100
    return fmt(bid * factor), fmt(ask * factor)


def _levels(book: Book) -> dict[BookSide, dict[Decimal, Decimal]]:
    return {side: dict(book.levels(side)) for side in ("bids", "asks")}
