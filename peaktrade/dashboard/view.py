"""What an observer sees of the running daemon at one moment: the dashboard's JSON and the
numbers ``/metrics`` exports. Built by the daemon on demand (peaktrade/daemon/observability.py)
from what it holds in memory, so building one never touches the database.
"""

from __future__ import annotations

import msgspec

from peaktrade.control.protocol import HealthResult, OrderView
from peaktrade.core.model import Fill
from peaktrade.core.portfolio import LivePortfolioSnapshot
from peaktrade.core.risk_limits import LiveRiskLimits
from peaktrade.store.alerts import AlertRow
from peaktrade.venues.quotes import QuoteBook


class Identity(msgspec.Struct, frozen=True, kw_only=True):
    mode: str
    network: str
    account: str
    run_id: str
    version: str
    pid: int
    started_ms: int
    config_digest: str
    quote_currency: str


class TradingView(msgspec.Struct, frozen=True, kw_only=True):
    state: str
    reason: str
    since_ms: int
    changed_by: str  # "ptctl uid 1000", "risk", ...


class PositionView(msgspec.Struct, frozen=True, kw_only=True):
    symbol: str
    side: str
    size: float
    avg_entry: float
    mark: float
    notional: float
    unrealized_pnl: float
    exposure_limit: float | None  # the symbol's effective max_symbol_exposure_notional


class PortfolioView(msgspec.Struct, frozen=True, kw_only=True):
    ts_ms: int
    equity: float
    cash: float
    daily_pnl: float
    realized_pnl: float
    unrealized_pnl: float
    drawdown_pct: float
    total_exposure: float
    total_exposure_limit: float | None
    daily_loss_limit: float | None
    drawdown_limit_pct: float | None
    positions: list[PositionView]


class QuoteView(msgspec.Struct, frozen=True, kw_only=True):
    symbol: str
    bid: float | None
    ask: float | None
    age_s: float | None  # None: no quote yet
    stale: bool


class FillView(msgspec.Struct, frozen=True, kw_only=True):
    ts_ms: int
    client_order_id: str
    symbol: str
    side: str
    qty: float
    price: float
    fee: float
    fee_currency: str


class AlertView(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    at_ms: int
    level: str
    code: str
    title: str
    message: str
    resolved: bool
    count: int


class LiveView(msgspec.Struct, frozen=True, kw_only=True):
    at_ms: int
    identity: Identity
    trading: TradingView
    health: HealthResult
    reconciled: bool
    portfolio: PortfolioView | None  # None until the first portfolio snapshot
    quotes: list[QuoteView]
    open_orders: list[OrderView]
    orders_in_doubt: int
    recent_fills: list[FillView]  # newest first
    recent_alerts: list[AlertView]  # newest first
    loop_lag_s: float
    loop_lag_worst_s: float
    loop_lag_p99_s: float = 0.0
    quote_updates: int = 0  # quotes taken into the book since start
    reconnects: dict[str, int]  # stream name -> reconnects since start
    exchange_backed_off: bool


encoder = msgspec.json.Encoder()


def portfolio_view(snapshot: LivePortfolioSnapshot, limits: LiveRiskLimits | None) -> PortfolioView:
    """A snapshot with the effective limits it is held against (None: no limit known)."""

    def symbol_limit(symbol: str) -> float | None:
        if limits is None:
            return None
        return limits.symbols.get(symbol, limits.default_symbol).max_symbol_exposure_notional

    return PortfolioView(
        ts_ms=snapshot.ts_ms,
        equity=snapshot.equity,
        cash=snapshot.cash,
        daily_pnl=snapshot.daily_pnl,
        realized_pnl=snapshot.realized_pnl,
        unrealized_pnl=snapshot.unrealized_pnl,
        drawdown_pct=snapshot.drawdown_pct,
        total_exposure=snapshot.total_exposure,
        total_exposure_limit=limits.max_total_exposure_notional if limits else None,
        daily_loss_limit=limits.max_daily_loss_abs if limits else None,
        drawdown_limit_pct=limits.max_drawdown_pct if limits else None,
        positions=[
            PositionView(
                symbol=p.symbol,
                side=p.side.value,
                size=p.size,
                avg_entry=p.avg_entry,
                mark=p.mark,
                notional=p.notional,
                unrealized_pnl=p.unrealized_pnl,
                exposure_limit=symbol_limit(p.symbol),
            )
            for p in snapshot.positions
        ],
    )


def quote_views(quotes: QuoteBook) -> list[QuoteView]:
    out = []
    for symbol in quotes.symbols:
        q = quotes.get(symbol)
        out.append(
            QuoteView(
                symbol=symbol,
                bid=q.bid if q else None,
                ask=q.ask if q else None,
                age_s=quotes.age_s(symbol),
                stale=quotes.fresh(symbol) is None,
            )
        )
    return out


def fill_view(f: Fill) -> FillView:
    return FillView(
        ts_ms=f.ts_ms,
        client_order_id=f.client_order_id,
        symbol=f.symbol,
        side=f.side.value,
        qty=f.qty,
        price=f.price,
        fee=f.fee,
        fee_currency=f.fee_currency,
    )


def alert_view(a: AlertRow) -> AlertView:
    return AlertView(
        id=a.id,
        at_ms=a.at_ms,
        level=a.level,
        code=a.code,
        title=a.title,
        message=a.message,
        resolved=a.resolved,
        count=a.count,
    )
