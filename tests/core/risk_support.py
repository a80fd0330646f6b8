"""Builders for the risk tests: limits with presets switched off, quotes, and snapshots."""

from __future__ import annotations

from typing import Any

from peaktrade.core.model import OrderIntent, OrderType, Quote, Side
from peaktrade.core.portfolio import Ledger, Position, build_snapshot, equity_of
from peaktrade.core.risk import RiskSnapshot
from peaktrade.core.risk_config import LiveRiskConfig
from peaktrade.core.risk_limits import LiveRiskLimits, resolve_limits
from peaktrade.core.trade_usage import RunUsage
from peaktrade.core.trading_day import TradingDay

NOW = 1_700_000_000_000  # 2023-11-14T22:13:20Z
SYMBOLS = ("BTC/USDT", "ETH/USDT", "SOL/USDT")
PRICES = {"BTC/USDT": 100.0, "ETH/USDT": 10.0, "SOL/USDT": 1.0}

# the exchange preset keys, off unless a test sets them
_PRESET_OFF = {
    "max_orders_per_second": 0,
    "max_orders_per_minute": 0,
    "price_band_pct": 0,
    "max_quote_age_s": 0,
}


def limits(*, equity: float = 10_000.0, scale: float = 1.0, **keys: Any) -> LiveRiskLimits:
    """Limits from explicit ``[live_risk]`` keys only (exchange presets off unless given)."""
    config = LiveRiskConfig(**{**_PRESET_OFF, **keys})
    return resolve_limits(config, exchange_id="testex", symbols=SYMBOLS, equity=equity, scale=scale)


def quote(symbol: str, mid: float | None = None, *, age_ms: int = 0, spread: float = 0.0) -> Quote:
    m = PRICES[symbol] if mid is None else mid
    return Quote(symbol=symbol, bid=m - spread / 2, ask=m + spread / 2, last=m, ts_ms=NOW - age_ms)


def quotes(**overrides: Quote) -> dict[str, Quote]:
    out = {s: quote(s) for s in SYMBOLS}
    out.update({q.symbol: q for q in overrides.values()})
    return out


def buy(symbol: str, qty: float, price: float | None = None) -> OrderIntent:
    kind = OrderType.MARKET if price is None else OrderType.LIMIT
    return OrderIntent(symbol=symbol, side=Side.BUY, qty=qty, type=kind, price=price)


def sell(symbol: str, qty: float, price: float | None = None) -> OrderIntent:
    kind = OrderType.MARKET if price is None else OrderType.LIMIT
    return OrderIntent(symbol=symbol, side=Side.SELL, qty=qty, type=kind, price=price)


def snapshot(
    positions: dict[str, float] | None = None,
    *,
    cash: float = 10_000.0,
    free_quote: float | None = None,
    quote_map: dict[str, Quote] | None = None,
    day_start_equity: float | None = None,
    peak_equity: float = 0.0,
    day_trades: int = 0,
    day_notional: float = 0.0,
    run: RunUsage | None = None,
) -> RiskSnapshot:
    """Positions as {symbol: signed qty}, entered at the symbol's price."""
    qmap = quotes() if quote_map is None else quote_map
    ledger = Ledger(
        quote_currency="USDT",
        cash=cash,
        positions={
            s: Position(symbol=s, qty=q, avg_entry=PRICES[s]) for s, q in (positions or {}).items()
        },
    )
    start = equity_of(ledger, qmap) if day_start_equity is None else day_start_equity
    pf = build_snapshot(
        ledger,
        qmap,
        now_ms=NOW,
        free_quote=free_quote,
        day_key="2023-11-14",
        day_start_equity=start,
        day_start_realized=0.0,
        peak_equity=peak_equity,
        realized_only_daily_pnl=False,
    )
    day = TradingDay(
        key="2023-11-14",
        start_ms=NOW - 3_600_000,
        end_ms=NOW + 3_600_000,
        start_equity=start,
        start_realized=0.0,
        trades=day_trades,
        traded_notional=day_notional,
    )
    return RiskSnapshot(now_ms=NOW, portfolio=pf, quotes=qmap, day=day, run=run or RunUsage())
