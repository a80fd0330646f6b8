"""What one price tick does to the simulated market, and what a price gap does."""

from __future__ import annotations

from decimal import Decimal

from peaktrade.venues.sim.decimals import floor_to
from peaktrade.venues.sim.matching import Engine


def tick(engine: Engine, dt: float, *, frozen: bool = False) -> None:
    """Move every price (script or walk), rebuild the books, print, match resting orders.

    ``frozen`` is the stale-prices fault: prices and the script clock hold, orders still work.
    """
    now = engine.now_ms()
    engine.ticks += 1
    if not frozen:
        engine.elapsed_s += dt
        for symbol, market in engine.markets.items():
            before = market.last
            scripted = engine.script.price_at(symbol, engine.elapsed_s) if engine.script else None
            if scripted is not None:
                market.move_to(scripted)
            else:
                market.step()
            _reprint(engine, symbol, before, now)
    for symbol in engine.markets:
        engine.match_resting(symbol, now)
        engine.trigger_stops(symbol, now)
    engine.emit_account()


def gap(engine: Engine, symbol: str, pct: float) -> None:
    """Jump a price by ``pct`` percent at once (a scripted symbol returns to its path)."""
    market = engine.market(symbol)
    now = engine.now_ms()
    before = market.last
    market.jump(pct)
    _reprint(engine, symbol, before, now)
    engine.match_resting(symbol, now)
    engine.trigger_stops(symbol, now)
    engine.emit_account()


def _reprint(engine: Engine, symbol: str, before: Decimal, now: int) -> None:
    """Rebuild the book around the new price and print a market trade there."""
    market = engine.markets[symbol]
    spec = market.spec
    engine.books[symbol].reprice(market.last)
    size = Decimal(repr(engine.flow[symbol].uniform(0.01, 0.3)))
    qty = max(floor_to(spec.depth_per_level * size, spec.step_size), spec.min_qty)
    trade = market.record_trade(market.last, qty, now, buyer_maker=market.last < before)
    engine.public_trades.append(trade)
