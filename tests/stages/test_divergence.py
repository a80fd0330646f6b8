"""Divergence: fills against intended prices, one notional-weighted number in basis points."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from peaktrade.core.model import OrderIntent, OrderType, Side
from peaktrade.stages.divergence import (
    QuoteTrail,
    Sample,
    intended_price,
    shadow_fill_price,
    shortfall_bps,
    summarize,
)


def sample(side: Side, intended: float, price: float, qty: float = 1.0, key: str = "k") -> Sample:
    return Sample(
        key=key,
        ts_ms=0,
        stage="paper",
        client_order_id="pt-1",
        symbol="BTC/USDT",
        side=side,
        qty=qty,
        intended=intended,
        price=price,
    )


def test_paying_more_than_intended_is_positive_for_a_buy_and_negative_for_a_sell() -> None:
    assert shortfall_bps(Side.BUY, 100.0, 101.0) == pytest.approx(100.0)
    assert shortfall_bps(Side.SELL, 100.0, 101.0) == pytest.approx(-100.0)


def test_a_limit_order_intends_its_limit_a_market_order_the_mid() -> None:
    limit = OrderIntent(symbol="BTC/USDT", side=Side.BUY, qty=1, type=OrderType.LIMIT, price=99.0)
    market = OrderIntent(symbol="BTC/USDT", side=Side.BUY, qty=1)
    assert intended_price(limit, 100.0) == 99.0
    assert intended_price(market, 100.0) == 100.0
    assert intended_price(market, None) is None


def test_the_stage_number_is_weighted_by_notional() -> None:
    small = sample(Side.BUY, 100.0, 101.0, qty=1.0, key="a")  # +100 bps on 101
    big = sample(Side.BUY, 100.0, 100.0, qty=99.0, key="b")  # 0 bps on 9900
    summary = summarize([small, big])
    assert summary.samples == 2
    assert summary.mean_bps == pytest.approx(100.0 * 101 / (101 + 9900))
    assert summary.worst_bps == pytest.approx(100.0)


def test_no_fills_means_no_number() -> None:
    assert summarize([]).mean_bps is None


def test_shadow_measures_what_paper_would_have_filled() -> None:
    market = OrderIntent(symbol="BTC/USDT", side=Side.BUY, qty=1)
    assert shadow_fill_price(market, 99.0, 101.0, slippage_bps=10) == pytest.approx(101.0 * 1.001)
    resting = OrderIntent(symbol="BTC/USDT", side=Side.BUY, qty=1, type=OrderType.LIMIT, price=98.0)
    assert shadow_fill_price(resting, 99.0, 101.0, slippage_bps=10) is None
    crossing = OrderIntent(symbol="BTC/USDT", side=Side.SELL, qty=1, type=OrderType.LIMIT, price=98)
    assert shadow_fill_price(crossing, 99.0, 101.0, slippage_bps=10) == 99.0


def test_the_quote_trail_finds_the_quote_an_intent_was_decided_on() -> None:
    trail = QuoteTrail(keep=2)
    for at, bid in [(10, 1.0), (20, 2.0), (30, 3.0), (40, 4.0), (50, 5.0)]:
        trail.record("BTC/USDT", bid, bid + 1, at)
    assert trail.at("BTC/USDT", 45) == (4.0, 5.0)
    assert trail.at("BTC/USDT", 50) == (5.0, 6.0)
    assert trail.at("ETH/USDT", 45) is None


@given(
    side=st.sampled_from(list(Side)),
    intended=st.floats(1e-3, 1e6),
    price=st.floats(1e-3, 1e6),
)
def test_filling_at_the_intended_price_is_zero_and_the_sign_follows_the_side(
    side: Side, intended: float, price: float
) -> None:
    assert shortfall_bps(side, intended, intended) == 0
    worse = (price > intended) if side is Side.BUY else (price < intended)
    bps = shortfall_bps(side, intended, price)
    assert (bps > 0) == worse or price == intended
