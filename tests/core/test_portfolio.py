"""Positions from fills and balances; snapshots: side, notional, PnL, equity, staleness."""

from __future__ import annotations

import pytest

from peaktrade.core.model import Fill, Quote, Side
from peaktrade.core.portfolio import (
    Ledger,
    Position,
    PositionSide,
    apply_fill,
    apply_fills,
    build_snapshot,
    with_balances,
)

NOW = 1_700_000_000_000


def fill(side: Side, qty: float, price: float, fee: float = 0.0, fee_ccy: str = "USDT") -> Fill:
    return Fill(
        symbol="BTC/USDT",
        side=side,
        qty=qty,
        price=price,
        fee=fee,
        fee_currency=fee_ccy,
        ts_ms=NOW,
        trade_id="t",
        client_order_id="c",
    )


def run(*fills: Fill) -> Position:
    pos = Position(symbol="BTC/USDT")
    for f in fills:
        pos = apply_fill(pos, f, quote_currency="USDT")
    return pos


def snap(ledger: Ledger, quotes: dict[str, Quote], **kw: float):  # type: ignore[no-untyped-def]
    args = {"day_start_equity": 0.0, "day_start_realized": 0.0, "peak_equity": 0.0}
    args.update(kw)
    return build_snapshot(
        ledger,
        quotes,
        now_ms=NOW,
        free_quote=None,
        day_key="d",
        realized_only_daily_pnl=bool(args.pop("realized_only", 0)),
        **args,
    )


def test_buys_average_their_entry() -> None:
    pos = run(fill(Side.BUY, 1, 100), fill(Side.BUY, 1, 110))
    assert (pos.qty, pos.avg_entry) == (2.0, pytest.approx(105.0))


def test_partial_close_realizes_against_the_average() -> None:
    pos = run(fill(Side.BUY, 2, 100), fill(Side.SELL, 1, 120))
    assert (pos.qty, pos.avg_entry, pos.realized_pnl) == (1.0, 100.0, pytest.approx(20.0))


def test_full_close_is_flat() -> None:
    pos = run(fill(Side.BUY, 0.3, 100), fill(Side.SELL, 0.1, 90), fill(Side.SELL, 0.2, 90))
    assert (pos.qty, pos.avg_entry) == (0.0, 0.0)
    assert pos.realized_pnl == pytest.approx(-3.0)


def test_sell_from_flat_opens_a_short() -> None:
    pos = run(fill(Side.SELL, 1, 100))
    assert (pos.qty, pos.avg_entry) == (-1.0, 100.0)


def test_covering_a_short_below_entry_is_a_gain() -> None:
    pos = run(fill(Side.SELL, 2, 100), fill(Side.BUY, 2, 90))
    assert pos.realized_pnl == pytest.approx(20.0)


def test_crossing_zero_opens_the_rest_at_the_fill_price() -> None:
    pos = run(fill(Side.BUY, 1, 100), fill(Side.SELL, 3, 110))
    assert (pos.qty, pos.avg_entry, pos.realized_pnl) == (-2.0, 110.0, pytest.approx(10.0))


def test_quote_fee_reduces_realized_pnl_and_cash() -> None:
    ledger = apply_fills(Ledger(quote_currency="USDT", cash=1000.0), [fill(Side.BUY, 1, 100, 1.0)])
    assert ledger.cash == pytest.approx(899.0)
    assert ledger.positions["BTC/USDT"].realized_pnl == pytest.approx(-1.0)


def test_base_fee_reduces_the_position() -> None:
    pos = run(fill(Side.BUY, 1, 100, fee=0.001, fee_ccy="BTC"))
    assert pos.qty == pytest.approx(0.999)


def test_exchange_balance_overrides_the_size_and_keeps_the_entry() -> None:
    ledger = apply_fills(Ledger(quote_currency="USDT", cash=0.0), [fill(Side.BUY, 1, 100)])
    synced = with_balances(ledger, {"BTC": 0.5, "USDT": 500.0}, ["BTC/USDT"], {})
    assert synced.positions["BTC/USDT"].qty == 0.5
    assert synced.positions["BTC/USDT"].avg_entry == 100.0
    assert synced.cash == 500.0


def test_holding_unknown_to_the_fills_is_entered_at_the_mark() -> None:
    ledger = Ledger(quote_currency="USDT", cash=0.0)
    synced = with_balances(ledger, {"ETH": 2.0}, ["ETH/USDT"], {"ETH/USDT": 10.0})
    assert synced.positions["ETH/USDT"].avg_entry == 10.0


def test_snapshot_marks_a_short_with_side_notional_and_pnl() -> None:
    ledger = Ledger(
        quote_currency="USDT",
        cash=1100.0,
        positions={"BTC/USDT": Position(symbol="BTC/USDT", qty=-1.0, avg_entry=100.0)},
    )
    quote = Quote(symbol="BTC/USDT", bid=89.0, ask=91.0, last=90.0, ts_ms=NOW - 1500)
    s = snap(ledger, {"BTC/USDT": quote})
    (p,) = s.positions
    assert (p.side, p.size, p.mark, p.notional) == (PositionSide.SHORT, -1.0, 90.0, 90.0)
    assert p.unrealized_pnl == pytest.approx(10.0)
    assert s.equity == pytest.approx(1010.0)
    assert s.total_exposure == pytest.approx(90.0)
    assert s.max_mark_age_ms == 1500


def test_position_without_quote_is_marked_at_entry_and_listed_unpriced() -> None:
    ledger = Ledger(
        quote_currency="USDT",
        cash=0.0,
        positions={"BTC/USDT": Position(symbol="BTC/USDT", qty=1.0, avg_entry=100.0)},
    )
    s = snap(ledger, {})
    assert s.unpriced == ("BTC/USDT",)
    assert s.positions[0].mark == 100.0 and s.positions[0].mark_age_ms is None


def test_daily_pnl_is_the_change_of_equity_by_default() -> None:
    ledger = Ledger(quote_currency="USDT", cash=950.0)
    assert snap(ledger, {}, day_start_equity=1000.0).daily_pnl == pytest.approx(-50.0)


def test_daily_pnl_from_fills_counts_only_realized_pnl() -> None:
    ledger = Ledger(
        quote_currency="USDT",
        cash=500.0,
        positions={"BTC/USDT": Position(symbol="BTC/USDT", realized_pnl=30.0)},
    )
    s = snap(ledger, {}, day_start_equity=1000.0, day_start_realized=10.0, realized_only=1)
    assert s.daily_pnl == pytest.approx(20.0)


def test_drawdown_is_measured_from_the_peak() -> None:
    s = snap(Ledger(quote_currency="USDT", cash=900.0), {}, peak_equity=1000.0)
    assert (s.peak_equity, s.drawdown_pct) == (1000.0, pytest.approx(10.0))
