"""Market stream event shapes (``trade``, ``aggTrade``, ``kline``, ``24hrTicker``, ...)."""

from __future__ import annotations

from peaktrade.venues.sim.decimals import fmt
from peaktrade.venues.sim.market import Candle, PublicTrade

Event = dict[str, object]


def trade_event(t: PublicTrade) -> Event:
    return {
        "e": "trade",
        "E": t.time,
        "s": t.symbol,
        "t": t.id,
        "p": fmt(t.price),
        "q": fmt(t.qty),
        "T": t.time,
        "m": t.buyer_maker,
        "M": True,
    }


def agg_trade_event(t: PublicTrade) -> Event:
    """Each simulated print is its own aggregate (first and last trade id are the same)."""
    return {
        "e": "aggTrade",
        "E": t.time,
        "s": t.symbol,
        "a": t.id,
        "p": fmt(t.price),
        "q": fmt(t.qty),
        "f": t.id,
        "l": t.id,
        "T": t.time,
        "m": t.buyer_maker,
        "M": True,
    }


def kline_event(symbol: str, interval: str, close: int, c: Candle, now: int) -> Event:
    return {
        "e": "kline",
        "E": now,
        "s": symbol,
        "k": {
            "t": c.open_time,
            "T": close,
            "s": symbol,
            "i": interval,
            "f": c.first_id,
            "L": c.last_id,
            "o": fmt(c.open),
            "c": fmt(c.close),
            "h": fmt(c.high),
            "l": fmt(c.low),
            "v": fmt(c.volume),
            "n": c.trades,
            "x": False,
            "q": fmt(c.quote_volume),
            "V": fmt(c.taker_buy_base),
            "Q": fmt(c.taker_buy_quote),
            "B": "0",
        },
    }


def ticker_event(t: Event, now: int) -> Event:
    return {
        "e": "24hrTicker",
        "E": now,
        "s": t["symbol"],
        "p": t["priceChange"],
        "P": t["priceChangePercent"],
        "w": t["weightedAvgPrice"],
        "x": t["prevClosePrice"],
        "c": t["lastPrice"],
        "Q": t["lastQty"],
        "b": t["bidPrice"],
        "B": t["bidQty"],
        "a": t["askPrice"],
        "A": t["askQty"],
        "o": t["openPrice"],
        "h": t["highPrice"],
        "l": t["lowPrice"],
        "v": t["volume"],
        "q": t["quoteVolume"],
        "O": t["openTime"],
        "C": t["closeTime"],
        "F": t["firstId"],
        "L": t["lastId"],
        "n": t["count"],
    }


def mini_ticker_event(t: Event) -> Event:
    """The miniTicker is the 24hr ticker's subset, from the same numbers."""
    return {"e": "24hrMiniTicker", **{k: t[k] for k in ("E", "s", "c", "o", "h", "l", "v", "q")}}
