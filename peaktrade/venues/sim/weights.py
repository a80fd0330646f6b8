"""Request weights per endpoint (from the vendored Binance spec) and the per-IP weight limit.

Over the limit a request gets 429 with ``Retry-After``; an IP that keeps sending while told
to back off is banned with 418, each ban twice as long as the one before, as Binance does.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Literal, NamedTuple

import msgspec

from peaktrade.venues.sim.errors import BinanceError, ip_banned, weight_exceeded
from peaktrade.venues.sim.params import Params

Security = Literal["public", "signed", "user_stream"]


class Endpoint(NamedTuple):
    weight: Callable[[Params], int]
    security: Security
    trades: bool
    """Changes orders: the target of ``scope="order"`` faults."""


def _fixed(n: int) -> Callable[[Params], int]:
    return lambda _: n


def _limit(p: Params, default: int) -> int:
    raw = p.values.get("limit") or ""
    return int(raw) if raw.isdigit() else default


def _depth(p: Params) -> int:
    limit = _limit(p, 100)
    return 5 if limit <= 100 else 25 if limit <= 500 else 50 if limit <= 1000 else 250


def _count_symbols(p: Params) -> int | None:
    if p.values.get("symbol"):
        return 1
    try:
        return len(msgspec.json.decode(p.values.get("symbols") or "", type=list[str]))
    except msgspec.DecodeError:
        return None


def _ticker_24hr(p: Params) -> int:
    n = _count_symbols(p)
    if n is None:
        return 80
    return 2 if n <= 20 else 40 if n <= 100 else 80


def _single_or_all(single: int, everything: int) -> Callable[[Params], int]:
    return lambda p: single if p.values.get("symbol") else everything


def _order_test(p: Params) -> int:
    return 20 if p.values.get("computeCommissionRates") == "true" else 1


_V3 = "/api/v3/"
ENDPOINTS: dict[tuple[str, str], Endpoint] = {
    ("GET", _V3 + "ping"): Endpoint(_fixed(1), "public", False),
    ("GET", _V3 + "time"): Endpoint(_fixed(1), "public", False),
    ("GET", _V3 + "exchangeInfo"): Endpoint(_fixed(10), "public", False),
    ("GET", _V3 + "depth"): Endpoint(_depth, "public", False),
    ("GET", _V3 + "trades"): Endpoint(_fixed(10), "public", False),
    ("GET", _V3 + "klines"): Endpoint(_fixed(2), "public", False),
    ("GET", _V3 + "avgPrice"): Endpoint(_fixed(2), "public", False),
    ("GET", _V3 + "ticker/24hr"): Endpoint(_ticker_24hr, "public", False),
    ("GET", _V3 + "ticker/price"): Endpoint(_single_or_all(2, 4), "public", False),
    ("GET", _V3 + "ticker/bookTicker"): Endpoint(_single_or_all(2, 4), "public", False),
    ("GET", _V3 + "account"): Endpoint(_fixed(20), "signed", False),
    ("POST", _V3 + "order"): Endpoint(_fixed(1), "signed", True),
    ("POST", _V3 + "order/test"): Endpoint(_order_test, "signed", True),
    ("GET", _V3 + "order"): Endpoint(_fixed(4), "signed", False),
    ("DELETE", _V3 + "order"): Endpoint(_fixed(1), "signed", True),
    ("GET", _V3 + "openOrders"): Endpoint(_single_or_all(6, 80), "signed", False),
    ("DELETE", _V3 + "openOrders"): Endpoint(_fixed(1), "signed", True),
    ("GET", _V3 + "allOrders"): Endpoint(_fixed(20), "signed", False),
    ("GET", _V3 + "myTrades"): Endpoint(_fixed(20), "signed", False),
    ("POST", _V3 + "orderList/oco"): Endpoint(_fixed(1), "signed", True),
    ("POST", _V3 + "order/oco"): Endpoint(_fixed(1), "signed", True),
    ("GET", _V3 + "orderList"): Endpoint(_fixed(4), "signed", False),
    ("DELETE", _V3 + "orderList"): Endpoint(_fixed(1), "signed", True),
    ("GET", _V3 + "allOrderList"): Endpoint(_fixed(20), "signed", False),
    ("GET", _V3 + "openOrderList"): Endpoint(_fixed(6), "signed", False),
    ("POST", _V3 + "userDataStream"): Endpoint(_fixed(2), "user_stream", False),
    ("PUT", _V3 + "userDataStream"): Endpoint(_fixed(2), "user_stream", False),
    ("DELETE", _V3 + "userDataStream"): Endpoint(_fixed(2), "user_stream", False),
}


class Verdict(NamedTuple):
    error: BinanceError | None
    used: int
    retry_after_s: int | None = None


class _IpState:
    __slots__ = ("ban_until", "bans", "retry_until", "strikes", "used", "window_start")

    def __init__(self) -> None:
        self.window_start = 0.0
        self.used = 0
        self.retry_until = 0.0
        self.strikes = 0
        self.ban_until = 0.0
        self.bans = 0


class RateLimiter:
    def __init__(
        self,
        *,
        limit: int,
        window_s: float,
        ban_after: int,
        ban_base_s: float,
        ban_max_s: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.limit = limit
        self._window_s = window_s
        self._ban_after = ban_after
        self._ban_base_s = ban_base_s
        self._ban_max_s = ban_max_s
        self._clock = clock
        self._ips: dict[str, _IpState] = {}
        self.requests = 0
        """REST requests seen, for drills to tell whether a client kept quiet."""
        self.during_backoff = 0
        """Requests that arrived while their IP was told to back off (429) or banned (418)."""

    def _state(self, ip: str, now: float) -> _IpState:
        state = self._ips.setdefault(ip, _IpState())
        window_start = now // self._window_s * self._window_s
        if window_start > state.window_start:
            state.window_start = window_start
            state.used = 0
        return state

    def used(self, ip: str) -> int:
        return self._state(ip, self._clock()).used

    def admit(self, ip: str, weight: int) -> Verdict:
        now = self._clock()
        state = self._state(ip, now)
        self.requests += 1
        if now < state.ban_until:
            self.during_backoff += 1
            return self._banned(state, now)
        if now < state.retry_until:
            self.during_backoff += 1
            state.strikes += 1
            if state.strikes >= self._ban_after:
                return self.ban(ip, None)
            return self._backoff(state, now)
        if state.used + weight > self.limit:
            state.retry_until = state.window_start + self._window_s
            state.strikes = 0
            return self._backoff(state, now)
        state.used += weight
        return Verdict(None, state.used)

    def _backoff(self, state: _IpState, now: float) -> Verdict:
        retry = max(1, math.ceil(state.retry_until - now))
        return Verdict(weight_exceeded(self.limit), state.used, retry)

    def _banned(self, state: _IpState, now: float) -> Verdict:
        retry = max(1, math.ceil(state.ban_until - now))
        return Verdict(ip_banned(int(state.ban_until * 1000)), state.used, retry)

    def force_backoff(self, ip: str, seconds: float) -> Verdict:
        """A 429 now, as if the limit were hit, with the usual back-off window after it."""
        now = self._clock()
        state = self._state(ip, now)
        state.retry_until = max(state.retry_until, now + seconds)
        state.strikes = 0
        return self._backoff(state, now)

    def ban(self, ip: str, seconds: float | None) -> Verdict:
        """Ban ``ip``: for ``seconds``, or for the next step of the doubling ban ladder."""
        now = self._clock()
        state = self._state(ip, now)
        state.bans += 1
        if seconds is None:
            seconds = min(self._ban_base_s * 2 ** (state.bans - 1), self._ban_max_s)
        state.ban_until = now + seconds
        state.retry_until = 0.0
        state.strikes = 0
        return self._banned(state, now)
