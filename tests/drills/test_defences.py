"""The daemon-side defences the drills showed missing: the quote book's sanity filter and the
fill divergence monitor."""

from __future__ import annotations

from peaktrade.core.events import DaemonEvent
from peaktrade.core.model import Fill, OrderIntent, OrderType, Quote, Side
from peaktrade.core.orders import JournalOrder, OrderState
from peaktrade.execution.divergence import DivergenceMonitor
from peaktrade.venues.quotes import QuoteBook

SYMBOL = "BTC/USDT"


def quote(bid: float, ask: float) -> Quote:
    return Quote(symbol=SYMBOL, bid=bid, ask=ask, last=(bid + ask) / 2, ts_ms=0)


def book() -> tuple[QuoteBook, list[tuple[str, str, str]]]:
    reports: list[tuple[str, str, str]] = []
    qb = QuoteBook(
        [SYMBOL],
        stale_after_s=10.0,
        max_jump_pct=20.0,
        jump_confirm_s=1.0,
        on_refused=lambda *r: reports.append(r),
    )
    qb.update(quote(100.0, 100.1), received=0.0)
    return qb, reports


def test_a_crossed_quote_is_refused_and_reported() -> None:
    qb, reports = book()
    qb.update(quote(101.0, 100.0), received=1.0)
    assert qb.get(SYMBOL) == quote(100.0, 100.1)
    assert [(s, r) for s, r, _ in reports] == [(SYMBOL, "crossed")]


def test_a_zero_price_is_refused_and_reported() -> None:
    qb, reports = book()
    qb.update(quote(0.0, 100.1), received=1.0)
    assert qb.get(SYMBOL) == quote(100.0, 100.1)
    assert [r for _, r, _ in reports] == ["zero_price"]


def test_a_single_outlier_never_reaches_the_book() -> None:
    qb, reports = book()
    qb.update(quote(1000.0, 1001.0), received=1.0)
    qb.update(quote(100.2, 100.3), received=1.2)
    qb.update(quote(1000.0, 1001.0), received=2.5)  # back-to-normal in between: not confirmed
    assert qb.get(SYMBOL) == quote(100.2, 100.3)
    assert [r for _, r, _ in reports] == ["jump"]  # reported once per interval


def test_a_jump_that_persists_is_taken_after_the_confirm_time() -> None:
    qb, _ = book()
    qb.update(quote(50.0, 50.1), received=1.0)
    qb.update(quote(50.1, 50.2), received=1.5)
    assert qb.get(SYMBOL) == quote(100.0, 100.1)
    qb.update(quote(49.9, 50.0), received=2.1)
    assert qb.get(SYMBOL) == quote(49.9, 50.0)


def test_refusals_are_reported_at_most_once_per_interval() -> None:
    qb, reports = book()
    for i in range(5):
        qb.update(quote(101.0, 100.0), received=1.0 + i)
    assert len(reports) == 1 and qb.refused["crossed"] == 5


def monitor() -> tuple[DivergenceMonitor, list[DaemonEvent], JournalOrder]:
    qb, _ = book()
    events: list[DaemonEvent] = []
    order = JournalOrder(
        client_order_id="pt-abc123-1",
        seq=1,
        intent=OrderIntent(symbol=SYMBOL, side=Side.BUY, qty=2.0, type=OrderType.MARKET),
        state=OrderState.PENDING,
        executor="exchange",
        created_ms=0,
        updated_ms=0,
    )
    m = DivergenceMonitor(qb, events.append, lambda: 0, limit_bps=100.0)
    qb.update(quote(100.0, 100.1))  # fresh now: the mid 100.05 is what the buy intends
    m.on_send(order)
    return m, events, order


def fill(price: float, trade: str) -> Fill:
    return Fill(
        symbol=SYMBOL,
        side=Side.BUY,
        qty=1.0,
        price=price,
        fee=0.0,
        fee_currency="",
        ts_ms=0,
        trade_id=trade,
        client_order_id="pt-abc123-1",
    )


def test_fills_far_worse_than_intended_raise_one_alert() -> None:
    m, events, _ = monitor()
    m.on_fill(fill(103.0, "t1"))
    m.on_fill(fill(104.0, "t2"))
    assert [e.code for e in events] == ["execution.fill_divergence"]
    bps = events[0].context["bps"]
    assert isinstance(bps, float) and 290 < bps < 300  # (103 - 100.05) / 100.05


def test_fills_near_the_intended_price_raise_nothing() -> None:
    m, events, _ = monitor()
    m.on_fill(fill(100.1, "t1"))
    m.on_fill(fill(99.0, "t2"))  # better than intended is never divergence
    assert events == []
