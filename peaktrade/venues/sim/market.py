"""Per-symbol market state: last price, public trades, candles and 24h statistics.

Candles are kept at 1s (live only) and 1m (synthetic history plus live) resolution; longer
intervals are aggregated from the 1m series on request.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import deque
from decimal import ROUND_HALF_UP, Decimal

import msgspec

from peaktrade.venues.sim.decimals import ZERO, round_to
from peaktrade.venues.sim.prices import RandomWalk, backward_walk, symbol_rng
from peaktrade.venues.sim.settings import SymbolSettings

SECOND_MS = 1000
MINUTE_MS = 60_000
DAY_MS = 86_400_000
_MONDAY_OFFSET_MS = 4 * DAY_MS  # 1970-01-01 was a Thursday; Binance weeks start on Monday
INTERVAL_MS: dict[str, int] = {
    "1s": SECOND_MS,
    "1m": MINUTE_MS,
    "3m": 3 * MINUTE_MS,
    "5m": 5 * MINUTE_MS,
    "15m": 15 * MINUTE_MS,
    "30m": 30 * MINUTE_MS,
    "1h": 60 * MINUTE_MS,
    "2h": 120 * MINUTE_MS,
    "4h": 240 * MINUTE_MS,
    "6h": 360 * MINUTE_MS,
    "8h": 480 * MINUTE_MS,
    "12h": 720 * MINUTE_MS,
    "1d": DAY_MS,
    "3d": 3 * DAY_MS,
    "1w": 7 * DAY_MS,
    "1M": 31 * DAY_MS,
}


class Candle(msgspec.Struct):
    open_time: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal = ZERO
    quote_volume: Decimal = ZERO
    trades: int = 0
    taker_buy_base: Decimal = ZERO
    taker_buy_quote: Decimal = ZERO
    first_id: int = -1
    last_id: int = -1

    def add(self, price: Decimal, qty: Decimal, trade_id: int, buyer_maker: bool) -> None:
        self.high = max(self.high, price)
        self.low = min(self.low, price)
        self.close = price
        self.volume += qty
        self.quote_volume += price * qty
        self.trades += 1
        if not buyer_maker:
            self.taker_buy_base += qty
            self.taker_buy_quote += price * qty
        if self.first_id < 0:
            self.first_id = trade_id
        self.last_id = trade_id

    def merge(self, other: Candle) -> None:
        self.high = max(self.high, other.high)
        self.low = min(self.low, other.low)
        self.close = other.close
        self.volume += other.volume
        self.quote_volume += other.quote_volume
        self.trades += other.trades
        self.taker_buy_base += other.taker_buy_base
        self.taker_buy_quote += other.taker_buy_quote
        if self.first_id < 0:
            self.first_id = other.first_id
        if other.last_id >= 0:
            self.last_id = other.last_id


class PublicTrade(msgspec.Struct, frozen=True):
    symbol: str
    id: int
    price: Decimal
    qty: Decimal
    time: int
    buyer_maker: bool


class Stats(msgspec.Struct, frozen=True):
    open_time: int
    open: Decimal
    prev_close: Decimal
    high: Decimal
    low: Decimal
    last: Decimal
    volume: Decimal
    quote_volume: Decimal
    first_id: int
    last_id: int
    count: int


def bucket_start(interval: str, t_ms: int) -> int:
    if interval == "1M":
        day = dt.datetime.fromtimestamp(t_ms / 1000, tz=dt.UTC)
        return calendar.timegm((day.year, day.month, 1, 0, 0, 0)) * 1000
    size = INTERVAL_MS[interval]
    if interval == "1w":
        return (t_ms - _MONDAY_OFFSET_MS) // size * size + _MONDAY_OFFSET_MS
    return t_ms // size * size


def bucket_end(interval: str, start_ms: int) -> int:
    """Close time of the bucket opened at ``start_ms`` (last millisecond inside it)."""
    if interval == "1M":
        return bucket_start("1M", start_ms + 31 * DAY_MS) - 1
    return start_ms + INTERVAL_MS[interval] - 1


class SymbolMarket:
    """One symbol's tape: its price source, trades and candles."""

    def __init__(
        self,
        spec: SymbolSettings,
        *,
        price: Decimal,
        seed: int,
        volatility: float,
        tick_interval_s: float,
        history_minutes: int,
        now_ms: int,
    ) -> None:
        self.spec = spec
        self.last = self._quantize(price)
        self.walk = RandomWalk(seed, spec.symbol, float(self.last), volatility, tick_interval_s)
        self.trades: deque[PublicTrade] = deque(maxlen=1000)
        self.seconds: deque[Candle] = deque(maxlen=3600)
        self.minutes: deque[Candle] = deque(maxlen=history_minutes + 1440)
        self.next_trade_id = 1
        self._synthesize_history(seed, volatility, history_minutes, now_ms)

    def _quantize(self, price: Decimal) -> Decimal:
        return max(round_to(price, self.spec.tick_size), self.spec.tick_size)

    def _synthesize_history(self, seed: int, volatility: float, minutes: int, now_ms: int) -> None:
        rng = symbol_rng(seed, self.spec.symbol, "history")
        sigma = max(volatility, 1e-6) * 60**0.5
        levels = backward_walk(rng, float(self.last), minutes, sigma)
        first_open = now_ms // MINUTE_MS * MINUTE_MS - minutes * MINUTE_MS
        for i in range(minutes):
            o = self._quantize(Decimal(repr(levels[i])))
            c = self._quantize(Decimal(repr(levels[i + 1])))
            wiggle = Decimal(repr(1 + abs(rng.gauss(0.0, sigma / 3))))
            high = self._quantize(max(o, c) * wiggle)
            low = self._quantize(min(o, c) / wiggle)
            count = rng.randint(20, 80)
            volume = (self.spec.depth_per_level * Decimal(rng.randint(5, 50))).quantize(
                self.spec.step_size, rounding=ROUND_HALF_UP
            )
            mid = (o + c) / 2
            candle = Candle(
                open_time=first_open + i * MINUTE_MS,
                open=o,
                high=high,
                low=low,
                close=c,
                volume=volume,
                quote_volume=volume * mid,
                trades=count,
                taker_buy_base=volume / 2,
                taker_buy_quote=volume * mid / 2,
                first_id=self.next_trade_id,
                last_id=self.next_trade_id + count - 1,
            )
            self.next_trade_id += count
            self.minutes.append(candle)

    def set_price(self, price: Decimal) -> Decimal:
        self.last = self._quantize(price)
        return self.last

    def move_to(self, price: Decimal) -> None:
        """Put the price (and the walk, which continues from there) at ``price``."""
        self.walk.level = float(self.set_price(price))

    def step(self) -> None:
        self.set_price(Decimal(repr(self.walk.step())))

    def jump(self, pct: float) -> None:
        self.walk.jump(pct)
        self.set_price(Decimal(repr(self.walk.level)))

    def record_trade(
        self, price: Decimal, qty: Decimal, time_ms: int, *, buyer_maker: bool
    ) -> PublicTrade:
        trade = PublicTrade(self.spec.symbol, self.next_trade_id, price, qty, time_ms, buyer_maker)
        self.next_trade_id += 1
        self.trades.append(trade)
        self.last = price
        self.roll(time_ms)
        self.seconds[-1].add(price, qty, trade.id, buyer_maker)
        self.minutes[-1].add(price, qty, trade.id, buyer_maker)
        return trade

    def roll(self, now_ms: int) -> None:
        """Open (flat) candles up to ``now_ms`` so quiet periods still show in klines."""
        for series, size in ((self.seconds, SECOND_MS), (self.minutes, MINUTE_MS)):
            start = now_ms // size * size
            if not series:
                series.append(Candle(start, self.last, self.last, self.last, self.last))
                continue
            next_open = series[-1].open_time + size
            cap = series.maxlen or 1
            if start - next_open > size * cap:
                next_open = start - size * cap
            while next_open <= start:
                close = series[-1].close
                series.append(Candle(next_open, close, close, close, close))
                next_open += size

    def klines(
        self, interval: str, start: int | None, end: int | None, limit: int, now_ms: int
    ) -> list[tuple[int, Candle]]:
        """``(close_time, candle)`` pairs, oldest first, as ``/api/v3/klines`` selects them."""
        self.roll(now_ms)
        series = self.seconds if interval == "1s" else self.minutes
        buckets: dict[int, Candle] = {}
        for candle in series:
            key = bucket_start(interval, candle.open_time)
            current = buckets.get(key)
            if current is None:
                buckets[key] = msgspec.structs.replace(candle, open_time=key)
            else:
                current.merge(candle)
        rows = [(bucket_end(interval, k), c) for k, c in sorted(buckets.items())]
        if start is not None:
            rows = [r for r in rows if r[1].open_time >= start]
        if end is not None:
            rows = [r for r in rows if r[1].open_time <= end]
        return rows[:limit] if start is not None else rows[-limit:]

    def current_candle(self, interval: str, now_ms: int) -> tuple[int, Candle]:
        """The open candle of ``interval`` (what the kline stream pushes), cheaply."""
        self.roll(now_ms)
        series = self.seconds if interval == "1s" else self.minutes
        start = bucket_start(interval, now_ms)
        inside = []
        for candle in reversed(series):
            if candle.open_time < start:
                break
            inside.append(candle)
        merged = msgspec.structs.replace(inside.pop(), open_time=start)
        for candle in reversed(inside):
            merged.merge(candle)
        return bucket_end(interval, start), merged

    def stats(self, now_ms: int) -> Stats:
        self.roll(now_ms)
        since = now_ms - DAY_MS
        window = [c for c in self.minutes if c.open_time + MINUTE_MS > since]
        before = [c for c in self.minutes if c.open_time + MINUTE_MS <= since]
        traded = [c for c in window if c.first_id >= 0]
        first_id = traded[0].first_id if traded else -1
        last_id = traded[-1].last_id if traded else -1
        return Stats(
            open_time=since,
            open=window[0].open,
            prev_close=before[-1].close if before else window[0].open,
            high=max(c.high for c in window),
            low=min(c.low for c in window),
            last=self.last,
            volume=sum((c.volume for c in window), ZERO),
            quote_volume=sum((c.quote_volume for c in window), ZERO),
            first_id=first_id,
            last_id=last_id,
            count=last_id - first_id + 1 if traded else 0,
        )
