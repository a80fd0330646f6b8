"""Where prices come from: a seeded random walk per symbol, or a scripted path file.

Scripted path format (CSV, one point per line; blank lines and ``#`` comments ignored, an
optional header ``t_offset_s,symbol,price``)::

    t_offset_s,symbol,price
    0,BTCUSDT,65000
    10,BTCUSDT,58500      # -10 % over ten seconds
    30,BTCUSDT,58500

``t_offset_s`` is seconds of simulator time since start (it pauses while the simulator is
crashed or its prices are stale). Between two points of a symbol the price moves linearly;
before the first point it holds the first price, after the last point the last. Symbols
absent from the file walk.
"""

from __future__ import annotations

import bisect
import math
import random
from decimal import Decimal, InvalidOperation
from pathlib import Path


class ScriptedPath:
    """Price points per symbol, interpolated linearly in simulator time."""

    def __init__(self, points: dict[str, list[tuple[float, Decimal]]]) -> None:
        self._times = {s: [t for t, _ in sorted(p)] for s, p in points.items()}
        self._prices = {s: [v for _, v in sorted(p)] for s, p in points.items()}

    @property
    def symbols(self) -> frozenset[str]:
        return frozenset(self._times)

    def price_at(self, symbol: str, t: float) -> Decimal | None:
        times = self._times.get(symbol)
        if not times:
            return None
        prices = self._prices[symbol]
        i = bisect.bisect_right(times, t)
        if i == 0:
            return prices[0]
        if i == len(times):
            return prices[-1]
        t0, t1 = times[i - 1], times[i]
        p0, p1 = prices[i - 1], prices[i]
        fraction = Decimal(repr((t - t0) / (t1 - t0)))
        return p0 + (p1 - p0) * fraction


def parse_price_script(text: str) -> ScriptedPath:
    points: dict[str, list[tuple[float, Decimal]]] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line or line.replace(" ", "") == "t_offset_s,symbol,price":
            continue
        fields = [f.strip() for f in line.split(",")]
        try:
            if len(fields) != 3:
                raise ValueError("expected t_offset_s,symbol,price")
            t, symbol, price = float(fields[0]), fields[1].upper(), Decimal(fields[2])
            if not math.isfinite(t) or t < 0 or not price.is_finite() or price <= 0:
                raise ValueError("offset must be >= 0 and price > 0")
        except (ValueError, InvalidOperation) as exc:
            raise ValueError(f"price script line {number}: {raw.strip()!r}: {exc}") from exc
        points.setdefault(symbol, []).append((t, price))
    return ScriptedPath(points)


def load_price_script(path: str) -> ScriptedPath:
    return parse_price_script(Path(path).read_text(encoding="utf-8"))


def symbol_rng(seed: int, symbol: str, purpose: str) -> random.Random:
    """A generator per (seed, symbol, purpose): adding a symbol never shifts another's path."""
    return random.Random(f"{seed}:{symbol}:{purpose}")


class RandomWalk:
    """Geometric random walk; ``level`` is the unrounded price the last price is quantized from."""

    def __init__(self, seed: int, symbol: str, start: float, volatility: float, dt: float) -> None:
        self.level = start
        self._rng = symbol_rng(seed, symbol, "walk")
        self._sigma = volatility * math.sqrt(dt)

    def step(self) -> float:
        if self._sigma > 0:
            self.level *= math.exp(self._rng.gauss(0.0, self._sigma))
        return self.level

    def jump(self, pct: float) -> None:
        self.level *= 1 + pct / 100


def backward_walk(rng: random.Random, end: float, steps: int, sigma: float) -> list[float]:
    """``steps + 1`` levels of a walk that ends at ``end`` (synthetic history before start)."""
    levels = [end]
    for _ in range(steps):
        levels.append(levels[-1] * math.exp(rng.gauss(0.0, sigma)))
    levels.reverse()
    return levels
