"""Properties: a position is the sum of its fills; tightening never lets more through; a
reducing order never increases exposure."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from peaktrade.core.model import Fill, OrderIntent, OrderType, Side
from peaktrade.core.portfolio import Ledger, apply_fills
from peaktrade.core.risk import check_orders
from peaktrade.core.risk_rules import Rule
from tests.core.risk_support import SYMBOLS, limits, snapshot

SETTINGS = settings(max_examples=150, deadline=None)

sides = st.sampled_from([Side.BUY, Side.SELL])
qtys = st.floats(min_value=0.001, max_value=50, allow_nan=False)
prices = st.floats(min_value=0.5, max_value=2000, allow_nan=False)
fills = st.lists(st.tuples(sides, qtys, prices, st.booleans()), min_size=1, max_size=40)


def make_fills(items: list[tuple[Side, float, float, bool]]) -> list[Fill]:
    return [
        Fill(
            symbol="BTC/USDT",
            side=side,
            qty=qty,
            price=price,
            fee=qty * 0.001 if base_fee else qty * price * 0.001,
            fee_currency="BTC" if base_fee else "USDT",
            ts_ms=i,
            trade_id=str(i),
            client_order_id=str(i),
        )
        for i, (side, qty, price, base_fee) in enumerate(items)
    ]


@SETTINGS
@given(fills)
def test_position_is_the_sum_of_its_fills(items: list[tuple[Side, float, float, bool]]) -> None:
    trades = make_fills(items)
    ledger = apply_fills(Ledger(quote_currency="USDT", cash=0.0), trades)
    expected = math.fsum(
        f.side.sign * f.qty - (f.fee if f.fee_currency == "BTC" else 0.0) for f in trades
    )
    scale = math.fsum(f.qty for f in trades)
    assert abs(ledger.positions["BTC/USDT"].qty - expected) <= 1e-9 * scale


@SETTINGS
@given(fills, prices)
def test_equity_change_is_realized_plus_unrealized(
    items: list[tuple[Side, float, float, bool]], mark: float
) -> None:
    trades = [f for f in make_fills(items) if f.fee_currency == "USDT"]
    ledger = apply_fills(Ledger(quote_currency="USDT", cash=0.0), trades)
    pos = ledger.positions.get("BTC/USDT")
    if pos is None:
        return
    equity = ledger.cash + pos.qty * mark
    pnl = pos.realized_pnl + (mark - pos.avg_entry) * pos.qty
    scale = math.fsum(f.qty * f.price for f in trades) + abs(pos.qty) * mark
    assert abs(equity - pnl) <= 1e-7 * scale


# --- tightening ------------------------------------------------------------------------------

LIMIT_RANGES: dict[str, tuple[float, float]] = {
    "max_order_notional": (1, 2000),
    "max_symbol_exposure_notional": (1, 5000),
    "max_total_exposure_notional": (1, 10000),
    "max_open_positions": (1, 3),
    "max_position_qty": (0.1, 50),
    "max_daily_loss_abs": (1, 500),
    "max_drawdown_pct": (1, 20),
    "min_free_quote_balance": (1, 9000),
    "max_orders_per_second": (1, 10),
    "max_run_notional": (1, 5000),
    "max_daily_trades": (1, 10),
    "price_band_pct": (0.1, 5),
}
INT_KEYS = {"max_open_positions", "max_orders_per_second", "max_daily_trades"}

orders = st.builds(
    lambda sym, side, qty, limit, off: OrderIntent(
        symbol=sym,
        side=side,
        qty=qty,
        type=OrderType.LIMIT if limit else OrderType.MARKET,
        price=SYMBOL_PRICE[sym] * (1 + off) if limit else None,
    ),
    st.sampled_from(SYMBOLS),
    sides,
    st.floats(min_value=0.01, max_value=20),
    st.booleans(),
    st.floats(min_value=-0.06, max_value=0.06),
)
SYMBOL_PRICE = {"BTC/USDT": 100.0, "ETH/USDT": 10.0, "SOL/USDT": 1.0}
positions = st.dictionaries(  # positions below any lot size (e.g. 5e-324) do not exist
    st.sampled_from(SYMBOLS),
    st.floats(min_value=-20, max_value=20).filter(lambda q: abs(q) >= 1e-6),
    max_size=3,
)
configs = st.dictionaries(
    st.sampled_from(sorted(LIMIT_RANGES)),
    st.floats(min_value=0.0, max_value=1.0),
    min_size=1,
)


def limit_values(picks: dict[str, float]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, u in picks.items():
        lo, hi = LIMIT_RANGES[key]
        value = lo + u * (hi - lo)
        out[key] = max(1, round(value)) if key in INT_KEYS else value
    return out


def tightened(values: dict[str, Any], key: str, factor: float) -> dict[str, Any]:
    out = dict(values)
    if key == "min_free_quote_balance":
        out[key] = values[key] / factor
    elif key in INT_KEYS:
        out[key] = max(1, math.floor(values[key] * factor))
    else:
        out[key] = values[key] * factor
    return out


@SETTINGS
@given(
    configs,
    st.data(),
    st.floats(min_value=0.05, max_value=1.0),
    positions,
    st.lists(orders, min_size=1, max_size=12),
    st.floats(min_value=7000, max_value=12000),
    st.booleans(),
)
def test_tightening_a_limit_never_lets_more_orders_through(
    picks: dict[str, float],
    data: st.DataObject,
    factor: float,
    held: dict[str, float],
    batch: list[OrderIntent],
    cash: float,
    block: bool,
) -> None:
    values = limit_values(picks)
    key = data.draw(st.sampled_from(sorted(values)))
    loose = limits(block_on_violation=block, **values)
    tight = limits(block_on_violation=block, **tightened(values, key, factor))
    snap = snapshot(held, cash=cash, day_start_equity=10_000.0, peak_equity=10_000.0)
    # each order alone: allowed under the tighter limits implies allowed under the looser
    for order in batch:
        (t,) = check_orders(tight, [order], snap)
        (lo,) = check_orders(loose, [order], snap)
        assert lo.allowed or not t.allowed
    # a batch: up to the first difference both agree, and there the tighter one blocks
    pairs = zip(check_orders(tight, batch, snap), check_orders(loose, batch, snap), strict=True)
    for t, lo in pairs:
        if t.allowed != lo.allowed:
            assert lo.allowed and not t.allowed
            break


@SETTINGS
@given(positions.filter(bool), st.data())
def test_a_reducing_order_never_increases_exposure(
    held: dict[str, float], data: st.DataObject
) -> None:
    symbol = data.draw(st.sampled_from(sorted(held)))
    pos = held[symbol]
    side = data.draw(sides)
    qty = abs(pos) * data.draw(st.floats(min_value=0.001, max_value=1.5))
    lim = limits(max_symbol_exposure_notional=1e12, max_total_exposure_notional=1e12)
    snap = snapshot(held)
    (result,) = check_orders(lim, [OrderIntent(symbol=symbol, side=side, qty=qty)], snap)
    if not result.reducing:
        return
    before_sym = next(p.notional for p in snap.portfolio.positions if p.symbol == symbol)
    after_sym = result.outcome(Rule.MAX_SYMBOL_EXPOSURE_NOTIONAL)
    after_total = result.outcome(Rule.MAX_TOTAL_EXPOSURE_NOTIONAL)
    assert after_sym is not None and after_total is not None
    assert after_sym.value is not None and after_total.value is not None
    assert after_sym.value <= before_sym * (1 + 1e-12)
    assert after_total.value <= snap.portfolio.total_exposure * (1 + 1e-12)
