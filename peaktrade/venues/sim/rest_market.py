"""Binance Spot public market-data endpoints (``/api/v3/...``, security type NONE)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal

from aiohttp import web

from peaktrade.venues.sim.book import Book
from peaktrade.venues.sim.decimals import ZERO, fmt
from peaktrade.venues.sim.errors import BinanceError, bad_symbol
from peaktrade.venues.sim.filters import filters_json
from peaktrade.venues.sim.gateway import json_response
from peaktrade.venues.sim.market import INTERVAL_MS, Candle, SymbolMarket
from peaktrade.venues.sim.matching import Engine
from peaktrade.venues.sim.order_rules import ORDER_TYPES
from peaktrade.venues.sim.params import PARAMS, Params

_V3 = "/api/v3/"


def _pct(change: Decimal, base: Decimal) -> str:
    return f"{(change / base * 100 if base else ZERO).quantize(Decimal('0.001')):f}"


def ticker_json(engine: Engine, market: SymbolMarket, now: int) -> dict[str, object]:
    stats = market.stats(now)
    book = engine.books[market.spec.symbol]
    bid, ask = book.best("bids") or (ZERO, ZERO), book.best("asks") or (ZERO, ZERO)
    last_qty = market.trades[-1].qty if market.trades else ZERO
    weighted = stats.quote_volume / stats.volume if stats.volume else stats.last
    return {
        "symbol": market.spec.symbol,
        "priceChange": fmt(stats.last - stats.open),
        "priceChangePercent": _pct(stats.last - stats.open, stats.open),
        "weightedAvgPrice": fmt(weighted),
        "prevClosePrice": fmt(stats.prev_close),
        "lastPrice": fmt(stats.last),
        "lastQty": fmt(last_qty),
        "bidPrice": fmt(bid[0]),
        "bidQty": fmt(bid[1]),
        "askPrice": fmt(ask[0]),
        "askQty": fmt(ask[1]),
        "openPrice": fmt(stats.open),
        "highPrice": fmt(stats.high),
        "lowPrice": fmt(stats.low),
        "volume": fmt(stats.volume),
        "quoteVolume": fmt(stats.quote_volume),
        "openTime": stats.open_time,
        "closeTime": now,
        "firstId": stats.first_id,
        "lastId": stats.last_id,
        "count": stats.count,
    }


def book_ticker_json(engine: Engine, symbol: str) -> dict[str, object]:
    book = engine.books[symbol]
    bid, ask = book.best("bids") or (ZERO, ZERO), book.best("asks") or (ZERO, ZERO)
    return {
        "symbol": symbol,
        "bidPrice": fmt(bid[0]),
        "bidQty": fmt(bid[1]),
        "askPrice": fmt(ask[0]),
        "askQty": fmt(ask[1]),
    }


def depth_json(book: Book, limit: int) -> dict[str, object]:
    """The top ``limit`` levels (REST depth, and the partial-depth streams)."""
    return {
        "lastUpdateId": book.update_id,
        "bids": [[fmt(p), fmt(q)] for p, q in book.levels("bids")[:limit]],
        "asks": [[fmt(p), fmt(q)] for p, q in book.levels("asks")[:limit]],
    }


def kline_row(close_time: int, c: Candle) -> list[object]:
    return [
        c.open_time,
        fmt(c.open),
        fmt(c.high),
        fmt(c.low),
        fmt(c.close),
        fmt(c.volume),
        close_time,
        fmt(c.quote_volume),
        c.trades,
        fmt(c.taker_buy_base),
        fmt(c.taker_buy_quote),
        "0",
    ]


def routes(engine: Engine, now_ms: Callable[[], int], weight_limit: int) -> list[web.RouteDef]:
    def market_of(p: Params) -> SymbolMarket:
        return engine.market(p.required("symbol").upper())

    def selected(p: Params) -> list[SymbolMarket] | None:
        """One market for ``symbol``, several for ``symbols``, None for all."""
        if p.text("symbol") is not None:
            return [market_of(p)]
        names = p.symbols()
        if names is None:
            return None
        unknown = [n for n in names if n.upper() not in engine.markets]
        if unknown or not names:
            raise bad_symbol()
        return [engine.markets[n.upper()] for n in names]

    def per_symbol(
        view: Callable[[SymbolMarket], dict[str, object]],
    ) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handler(request: web.Request) -> web.Response:
            p = request[PARAMS]
            chosen = selected(p)
            if chosen is not None and p.text("symbol") is not None:
                return json_response(view(chosen[0]))
            return json_response([view(m) for m in chosen or engine.markets.values()])

        return handler

    async def ping(_: web.Request) -> web.Response:
        return json_response({})

    async def server_time(_: web.Request) -> web.Response:
        return json_response({"serverTime": now_ms()})

    def symbol_json(m: SymbolMarket) -> dict[str, object]:
        spec = m.spec
        return {
            "symbol": spec.symbol,
            "status": "TRADING",
            "baseAsset": spec.base,
            "baseAssetPrecision": 8,
            "quoteAsset": spec.quote,
            "quotePrecision": 8,
            "quoteAssetPrecision": 8,
            "baseCommissionPrecision": 8,
            "quoteCommissionPrecision": 8,
            "orderTypes": sorted(ORDER_TYPES),
            "icebergAllowed": False,
            "ocoAllowed": True,
            "otoAllowed": False,
            "quoteOrderQtyMarketAllowed": True,
            "allowTrailingStop": False,
            "cancelReplaceAllowed": False,
            "isSpotTradingAllowed": True,
            "isMarginTradingAllowed": False,
            "filters": filters_json(spec),
            "permissions": [],
            "permissionSets": [["SPOT"]],
            "defaultSelfTradePreventionMode": "NONE",
            "allowedSelfTradePreventionModes": ["NONE"],
        }

    async def exchange_info(request: web.Request) -> web.Response:
        chosen = selected(request[PARAMS])
        limits = [
            {
                "rateLimitType": "REQUEST_WEIGHT",
                "interval": "MINUTE",
                "intervalNum": 1,
                "limit": weight_limit,
            }
        ]
        return json_response(
            {
                "timezone": "UTC",
                "serverTime": now_ms(),
                "rateLimits": limits,
                "exchangeFilters": [],
                "symbols": [symbol_json(m) for m in chosen or engine.markets.values()],
            }
        )

    async def depth(request: web.Request) -> web.Response:
        p = request[PARAMS]
        market = market_of(p)
        limit = p.limit(100, 5000)
        return json_response(depth_json(engine.books[market.spec.symbol], limit))

    async def trades(request: web.Request) -> web.Response:
        p = request[PARAMS]
        market = market_of(p)
        limit = p.limit(500, 1000)
        return json_response(
            [
                {
                    "id": t.id,
                    "price": fmt(t.price),
                    "qty": fmt(t.qty),
                    "quoteQty": fmt(t.price * t.qty),
                    "time": t.time,
                    "isBuyerMaker": t.buyer_maker,
                    "isBestMatch": True,
                }
                for t in list(market.trades)[-limit:]
            ]
        )

    async def klines(request: web.Request) -> web.Response:
        p = request[PARAMS]
        market = market_of(p)
        interval = p.required("interval")
        if interval not in INTERVAL_MS:
            raise BinanceError(-1120, "Invalid interval.")
        rows = market.klines(
            interval,
            p.integer("startTime"),
            p.integer("endTime"),
            p.limit(500, 1000),
            now_ms(),
        )
        return json_response([kline_row(close, c) for close, c in rows])

    async def avg_price(request: web.Request) -> web.Response:
        market = market_of(request[PARAMS])
        now = now_ms()
        rows = market.klines("1m", None, None, 5, now)
        volume = sum((c.volume for _, c in rows), ZERO)
        quote = sum((c.quote_volume for _, c in rows), ZERO)
        price = quote / volume if volume else market.last
        return json_response({"mins": 5, "price": fmt(price), "closeTime": now})

    return [
        web.get(_V3 + "ping", ping),
        web.get(_V3 + "time", server_time),
        web.get(_V3 + "exchangeInfo", exchange_info),
        web.get(_V3 + "depth", depth),
        web.get(_V3 + "trades", trades),
        web.get(_V3 + "klines", klines),
        web.get(_V3 + "avgPrice", avg_price),
        web.get(_V3 + "ticker/24hr", per_symbol(lambda m: ticker_json(engine, m, now_ms()))),
        web.get(
            _V3 + "ticker/price",
            per_symbol(lambda m: {"symbol": m.spec.symbol, "price": fmt(m.last)}),
        ),
        web.get(
            _V3 + "ticker/bookTicker",
            per_symbol(lambda m: book_ticker_json(engine, m.spec.symbol)),
        ),
    ]
