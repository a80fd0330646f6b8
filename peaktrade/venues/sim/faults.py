"""Fault injection, switchable at run time (from Python here, over HTTP via ``/sim/faults``).

A switched-on fault fires at each *opportunity* with probability ``rate``; ``count`` caps how
often it fires before it switches itself off (``count=1, scope="order"`` is "the next order
request"). Opportunities:

* REST faults (``latency``, ``http_503``, ``reset``, ``timeout_1007``, their ``_committed``
  variants, ``http_429``, ``http_418``): every REST request within ``scope``. A ``_committed``
  variant runs the request first, so an order is in the book although the client hears
  nothing (``reset``), a 503 or a -1007: the execution status is unknown to it, as on Binance.
* Tick faults (``ws_drop``, ``ws_freeze``, ``feed_freeze``, ``stale_prices``, ``price_gap``,
  ``corrupt_ticker``, ``crash``): every price tick. They act on the whole simulator: all
  websockets, all (or one) symbol. ``feed_freeze`` also silences websockets opened while it
  lasts; ``corrupt_ticker`` makes that tick's bookTicker push a bad top of book.
* ``clock_skew`` is a state: while on, server time is off by ``offset_ms``.

Decisions draw from one RNG seeded from the simulator seed, so a campaign replays.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import Literal

import msgspec

FaultName = Literal[
    "latency",
    "http_503",
    "http_503_committed",
    "reset",
    "reset_committed",
    "timeout_1007",
    "timeout_1007_committed",
    "http_429",
    "http_418",
    "clock_skew",
    "ws_drop",
    "ws_freeze",
    "feed_freeze",
    "stale_prices",
    "price_gap",
    "corrupt_ticker",
    "crash",
]
Scope = Literal["any", "public", "signed", "order"]
Corruption = Literal["crossed", "zero", "outlier"]
REST_FAILURES: tuple[FaultName, ...] = (
    "reset",
    "reset_committed",
    "http_503",
    "http_503_committed",
    "timeout_1007",
    "timeout_1007_committed",
    "http_429",
    "http_418",
)
"""Faults that replace a REST response; at most one fires per request, tried in this order."""
COMMITTED: frozenset[str] = frozenset(n for n in REST_FAILURES if n.endswith("_committed"))
CAMPAIGN: tuple[FaultName, ...] = (
    "latency",
    *REST_FAILURES,
    "ws_drop",
    "ws_freeze",
    "stale_prices",
    "price_gap",
    "crash",
)
"""What ``campaign()`` switches on: everything but the clock skew state."""


class Fault(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One switched-on fault (also the JSON body of ``POST /sim/faults``)."""

    name: FaultName
    """Which fault."""
    rate: float = 1.0
    """Probability of firing per opportunity, 0..1."""
    count: int | None = None
    """Fire at most this many times, then switch off; None: until cleared."""
    scope: Scope = "any"
    """REST faults only: which requests are opportunities (``order``: requests that trade)."""
    fixed_ms: float = 0.0
    """``latency``: delay added to every hit."""
    jitter_ms: float = 0.0
    """``latency``: extra uniform random delay, 0..jitter_ms."""
    seconds: float = 2.0
    """Duration: ``http_429`` Retry-After, ``http_418`` ban, ``ws_freeze``, ``feed_freeze``,
    ``stale_prices``, ``crash`` outage."""
    pct: float = -5.0
    """``price_gap``: jump size in percent (negative: down); ``corrupt_ticker`` outlier: how far
    off the pushed top is, in percent (900: ten times the price)."""
    symbol: str | None = None
    """``price_gap``, ``corrupt_ticker``: the symbol hit; None: every symbol."""
    corruption: Corruption = "outlier"
    """``corrupt_ticker``: a crossed book (bid above ask), a zero price, or an outlier."""
    offset_ms: int = 0
    """``clock_skew``: server clock offset in milliseconds."""


class FaultController:
    """The switchboard the server consults; knows nothing of sockets or prices itself."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(f"{seed}:faults")
        self._active: dict[str, Fault] = {}
        self._left: dict[str, int] = {}
        self.fired: Counter[str] = Counter()
        """How often each fault fired, for tests and drills to assert on."""

    def set(self, name_or_fault: Fault | FaultName, **options: object) -> Fault:
        """Switch a fault on (replacing its previous settings)."""
        fault = (
            msgspec.convert({"name": name_or_fault, **options}, Fault)
            if isinstance(name_or_fault, str)
            else name_or_fault
        )
        self._active[fault.name] = fault
        if fault.count is not None:
            self._left[fault.name] = fault.count
        else:
            self._left.pop(fault.name, None)
        return fault

    def clear(self, name: str | None = None) -> None:
        if name is None:
            self._active.clear()
            self._left.clear()
        else:
            self._active.pop(name, None)
            self._left.pop(name, None)

    def active(self) -> list[Fault]:
        return list(self._active.values())

    def campaign(self, rate: float, names: tuple[FaultName, ...] = CAMPAIGN) -> None:
        """Switch every fault in ``names`` on at ``rate``: a random fault campaign."""
        for name in names:
            self.set(name, rate=rate)

    @property
    def clock_skew_ms(self) -> int:
        fault = self._active.get("clock_skew")
        return fault.offset_ms if fault is not None else 0

    def fire(self, name: FaultName, scopes: frozenset[str] | None = None) -> Fault | None:
        """Roll ``name`` for one opportunity; the fault if it fires."""
        fault = self._active.get(name)
        if fault is None or (scopes is not None and fault.scope not in scopes):
            return None
        if fault.rate < 1 and self._rng.random() >= fault.rate:
            return None
        self.fired[name] += 1
        if name in self._left:
            self._left[name] -= 1
            if self._left[name] <= 0:
                self.clear(name)
        return fault

    def rest_failure(self, scopes: frozenset[str]) -> Fault | None:
        for name in REST_FAILURES:
            fault = self.fire(name, scopes)
            if fault is not None:
                return fault
        return None

    def jitter(self, fault: Fault) -> float:
        """Seconds of delay for one ``latency`` hit."""
        return (fault.fixed_ms + self._rng.uniform(0, fault.jitter_ms)) / 1000

    # Targeted one-shots, the common drill steps.

    def crash(self, seconds: float = 2.0) -> None:
        """At the next tick: drop every connection, refuse connections for ``seconds``."""
        self.set("crash", count=1, seconds=seconds)

    def drop_websockets(self) -> None:
        self.set("ws_drop", count=1)

    def freeze_websockets(self, seconds: float) -> None:
        """Stop sending on every websocket (and answering pings) while keeping it open."""
        self.set("ws_freeze", count=1, seconds=seconds)

    def freeze_prices(self, seconds: float) -> None:
        self.set("stale_prices", count=1, seconds=seconds)

    def gap(self, pct: float, symbol: str | None = None) -> None:
        self.set("price_gap", count=1, pct=pct, symbol=symbol)

    def skew_clock(self, offset_ms: int) -> None:
        if offset_ms:
            self.set("clock_skew", offset_ms=offset_ms)
        else:
            self.clear("clock_skew")
