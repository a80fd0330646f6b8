"""Builders for strategy tests: contexts, quotes and bars with plain numbers."""

from __future__ import annotations

from collections.abc import Mapping

from peaktrade.core.model import Quote
from peaktrade.strategy.base import Bar, StrategyContext
from peaktrade.strategy.markets import MarketRules

NOW = 1_700_000_000_000
MINUTE = 60_000
BTC = MarketRules(step=0.00001, min_qty=0.00001, max_qty=120.0, min_notional=5.0)
ETH = MarketRules(step=0.0001, min_qty=0.0001, max_qty=3000.0, min_notional=5.0)


def quote(symbol: str, price: float) -> Quote:
    return Quote(symbol=symbol, bid=price, ask=price, last=price, ts_ms=NOW)


def context(
    prices: Mapping[str, float],
    positions: Mapping[str, float] | None = None,
    *,
    own: Mapping[str, float] | None = None,
    cash: float = 100_000.0,
    free_quote: float | None = None,
    markets: Mapping[str, MarketRules] | None = None,
) -> StrategyContext:
    held = dict(positions or {})
    equity = cash + sum(q * prices.get(s, 0.0) for s, q in held.items())
    return StrategyContext(
        now_ms=NOW,
        state="ACTIVE",
        quote_currency="USDT",
        equity=equity,
        free_quote=cash if free_quote is None else free_quote,
        positions=held,
        own_positions=dict(own or {}),
        quotes={s: quote(s, p) for s, p in prices.items()},
        markets=dict(markets if markets is not None else {"BTC/USDT": BTC, "ETH/USDT": ETH}),
    )


def bars(symbol: str, closes: list[float], start_ms: int = NOW) -> list[Bar]:
    return [
        Bar(
            symbol=symbol,
            open_ms=start_ms + i * MINUTE,
            close_ms=start_ms + (i + 1) * MINUTE,
            open=c,
            high=c,
            low=c,
            close=c,
            volume=1.0,
        )
        for i, c in enumerate(closes)
    ]
