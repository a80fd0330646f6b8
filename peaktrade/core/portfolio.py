"""Positions and portfolio snapshots from fills, exchange balances and quotes.

Average-cost accounting: adding to a position moves the average entry, reducing realizes PnL
against it, crossing zero realizes the closed part and opens the rest at the fill price. A
negative size is a short. Fees in the quote currency reduce realized PnL and cash; fees in the
base currency reduce the position (that is what the exchange debits); other fee currencies
(e.g. BNB) are not counted here.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping

import msgspec

from peaktrade.core.model import Fill, Quote

_FLAT_EPS = 1e-12  # relative size below which a position counts as closed (float residue)


class PositionSide(enum.StrEnum):
    LONG = "long"
    SHORT = "short"
    FLAT = "flat"


class Position(msgspec.Struct, frozen=True, gc=False):
    """One symbol's position as accounted from fills."""

    symbol: str
    qty: float = 0.0  # signed base units; negative = short
    avg_entry: float = 0.0  # average entry price of the open size; 0 when flat
    realized_pnl: float = 0.0  # quote currency, net of quote-currency fees


class Ledger(msgspec.Struct, frozen=True):
    """Cash and positions of one account in one quote currency."""

    quote_currency: str
    cash: float
    positions: dict[str, Position] = {}

    @property
    def realized_pnl(self) -> float:
        return sum(p.realized_pnl for p in self.positions.values())


def base_of(symbol: str) -> str:
    return symbol.partition("/")[0]


def apply_fill(position: Position, fill: Fill, *, quote_currency: str) -> Position:
    """The position after one fill of its symbol."""
    signed = fill.side.sign * fill.qty
    qty = position.qty
    realized = position.realized_pnl
    if fill.fee_currency == quote_currency:
        realized -= fill.fee
    if signed == 0:
        new_qty, avg = qty, position.avg_entry
    elif qty == 0 or (qty > 0) == (signed > 0):
        new_qty = qty + signed
        avg = (abs(qty) * position.avg_entry + abs(signed) * fill.price) / abs(new_qty)
    else:
        closed = min(abs(qty), abs(signed))
        realized += closed * (fill.price - position.avg_entry) * (1.0 if qty > 0 else -1.0)
        new_qty = qty + signed
        avg = fill.price if abs(signed) > abs(qty) else position.avg_entry
    if fill.fee_currency == base_of(fill.symbol):
        new_qty -= fill.fee
    if abs(new_qty) <= _FLAT_EPS * max(abs(qty), abs(signed)):
        new_qty, avg = 0.0, 0.0
    return Position(symbol=position.symbol, qty=new_qty, avg_entry=avg, realized_pnl=realized)


def apply_fills(ledger: Ledger, fills: Iterable[Fill]) -> Ledger:
    """The ledger after fills in the order given (the journal's order)."""
    positions = dict(ledger.positions)
    cash = ledger.cash
    quote = ledger.quote_currency
    for fill in fills:
        current = positions.get(fill.symbol) or Position(symbol=fill.symbol)
        positions[fill.symbol] = apply_fill(current, fill, quote_currency=quote)
        cash -= fill.side.sign * fill.qty * fill.price
        if fill.fee_currency == quote:
            cash -= fill.fee
    return Ledger(quote_currency=quote, cash=cash, positions=positions)


def with_balances(
    ledger: Ledger,
    balances: Mapping[str, float],
    symbols: Iterable[str],
    marks: Mapping[str, float],
) -> Ledger:
    """The exchange's total balances are the truth for cash and sizes; entries stay from fills.

    A holding the fills do not explain takes the current mark as its entry (no PnL invented).
    """
    positions = dict(ledger.positions)
    for symbol in symbols:
        base = base_of(symbol)
        if base not in balances:
            continue
        size = balances[base]
        known = positions.get(symbol) or Position(symbol=symbol)
        if known.qty == size:
            continue
        if size == 0:
            positions[symbol] = Position(symbol=symbol, realized_pnl=known.realized_pnl)
        else:
            entry = known.avg_entry if known.qty != 0 else marks.get(symbol, 0.0)
            positions[symbol] = Position(
                symbol=symbol, qty=size, avg_entry=entry, realized_pnl=known.realized_pnl
            )
    cash = balances.get(ledger.quote_currency, ledger.cash)
    return Ledger(quote_currency=ledger.quote_currency, cash=cash, positions=positions)


def mark_of(quote: Quote | None) -> float | None:
    """Mid when both sides are quoted, else last; None without a usable price."""
    if quote is None:
        return None
    if quote.bid > 0 and quote.ask > 0:
        return (quote.bid + quote.ask) / 2
    return quote.last if quote.last > 0 else None


class LivePositionSnapshot(msgspec.Struct, frozen=True, gc=False):
    """One open position, marked."""

    symbol: str
    side: PositionSide
    size: float  # signed base units
    avg_entry: float
    mark: float  # quote mid; the entry price when there is no quote
    notional: float  # abs(size) * mark
    unrealized_pnl: float
    realized_pnl: float
    mark_age_ms: int | None  # None: no quote, marked at entry


class LivePortfolioSnapshot(msgspec.Struct, frozen=True, kw_only=True):
    """The account at one time: what the risk layer evaluates and the history keeps."""

    ts_ms: int
    quote_currency: str
    cash: float
    free_quote: float
    equity: float  # cash + sum(size * mark)
    total_exposure: float  # sum of abs notionals
    realized_pnl: float
    unrealized_pnl: float
    daily_pnl: float
    day_key: str
    day_start_equity: float
    peak_equity: float
    drawdown_pct: float  # fall from peak_equity, percent
    positions: tuple[LivePositionSnapshot, ...]
    max_mark_age_ms: int | None  # oldest mark among positions; None when none has a quote
    unpriced: tuple[str, ...]  # positions without a quote


def equity_of(ledger: Ledger, quotes: Mapping[str, Quote]) -> float:
    """Cash plus positions at their marks (entry price when unquoted)."""
    total = ledger.cash
    for pos in ledger.positions.values():
        if pos.qty:
            mark = mark_of(quotes.get(pos.symbol))
            total += pos.qty * (pos.avg_entry if mark is None else mark)
    return total


def build_snapshot(
    ledger: Ledger,
    quotes: Mapping[str, Quote],
    *,
    now_ms: int,
    free_quote: float | None,
    day_key: str,
    day_start_equity: float,
    day_start_realized: float,
    peak_equity: float,
    realized_only_daily_pnl: bool,
) -> LivePortfolioSnapshot:
    """Mark every open position; daily PnL per ``use_experiments_for_daily_pnl``."""
    positions = []
    unpriced = []
    exposure = unrealized = 0.0
    holdings = 0.0
    oldest: int | None = None
    for symbol in sorted(ledger.positions):
        pos = ledger.positions[symbol]
        if pos.qty == 0:
            continue
        quote = quotes.get(symbol)
        mark = mark_of(quote)
        age: int | None = None
        if mark is None or quote is None:
            mark = pos.avg_entry
            unpriced.append(symbol)
        else:
            age = max(0, now_ms - quote.ts_ms)
            oldest = age if oldest is None else max(oldest, age)
        notional = abs(pos.qty) * mark
        upnl = (mark - pos.avg_entry) * pos.qty
        exposure += notional
        unrealized += upnl
        holdings += pos.qty * mark
        side = PositionSide.LONG if pos.qty > 0 else PositionSide.SHORT
        positions.append(
            LivePositionSnapshot(
                symbol, side, pos.qty, pos.avg_entry, mark, notional, upnl, pos.realized_pnl, age
            )
        )
    equity = ledger.cash + holdings
    realized = ledger.realized_pnl
    daily = realized - day_start_realized if realized_only_daily_pnl else equity - day_start_equity
    peak = max(peak_equity, equity)
    drawdown = (peak - equity) / peak * 100.0 if peak > 0 else 0.0
    return LivePortfolioSnapshot(
        ts_ms=now_ms,
        quote_currency=ledger.quote_currency,
        cash=ledger.cash,
        free_quote=ledger.cash if free_quote is None else free_quote,
        equity=equity,
        total_exposure=exposure,
        realized_pnl=realized,
        unrealized_pnl=unrealized,
        daily_pnl=daily,
        day_key=day_key,
        day_start_equity=day_start_equity,
        peak_equity=peak,
        drawdown_pct=max(0.0, drawdown),
        positions=tuple(positions),
        max_mark_age_ms=oldest,
        unpriced=tuple(unpriced),
    )


def balances_after(balances: Mapping[str, float], fills: Iterable[Fill]) -> dict[str, float]:
    """Balances moved by fills the exchange had not yet reflected when they were read."""
    out = dict(balances)
    for fill in fills:
        base, _, quote = fill.symbol.partition("/")
        signed = fill.side.sign * fill.qty
        out[base] = out.get(base, 0.0) + signed
        out[quote] = out.get(quote, 0.0) - signed * fill.price
        if fill.fee_currency:
            out[fill.fee_currency] = out.get(fill.fee_currency, 0.0) - fill.fee
    return out
