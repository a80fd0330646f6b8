"""The journal: ids allotted durably and deterministically, states only move forward, fills once."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from peaktrade.core.ids import ALLOWED, client_order_id, is_ours, namespace
from peaktrade.core.model import Fill, OrderIntent, OrderType, Side
from peaktrade.core.orders import ExchangeOrderReport, OrderState
from peaktrade.store import journal
from peaktrade.store.db import connect

BUY = OrderIntent(symbol="BTC/USDT", side=Side.BUY, qty=0.5)


@pytest.fixture
def conn(tmp_path: Path) -> sqlite3.Connection:
    return connect(tmp_path / "j.sqlite3")


def record(conn: sqlite3.Connection, n: int = 1, ns: str = "abcdef") -> list[journal.JournalOrder]:
    return journal.record_intents(conn, [(BUY, "")] * n, executor="exchange", ns=ns, now_ms=1)


def test_ids_are_a_pure_function_of_namespace_and_sequence() -> None:
    assert client_order_id("abcdef", 42) == client_order_id("abcdef", 42) == "pt-abcdef-42"
    assert namespace("acct", "epoch1") == namespace("acct", "epoch1")
    assert namespace("acct", "epoch1") != namespace("acct", "epoch2")
    assert namespace("acct-a", "e") != namespace("acct-b", "e")


@given(st.integers(min_value=0, max_value=10**15), st.sampled_from(["", "tp", "sl", "e", "a"]))
def test_every_id_fits_binance_rule(seq: int, leg: str) -> None:
    cid = client_order_id(namespace("any-account", "any-epoch"), seq, leg)
    assert ALLOWED.match(cid) and len(cid) <= 36


def test_intent_is_durable_before_anything_else(conn: sqlite3.Connection, tmp_path: Path) -> None:
    (order,) = record(conn)
    other = sqlite3.connect(tmp_path / "j.sqlite3")  # as a restarted daemon would see it
    (state, intent) = other.execute(
        "SELECT state, intent FROM orders WHERE client_order_id = ?", (order.client_order_id,)
    ).fetchone()
    assert state == "pending" and '"symbol":"BTC/USDT"' in intent
    assert conn.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL


def test_sequence_continues_across_reopen(conn: sqlite3.Connection, tmp_path: Path) -> None:
    first = record(conn, 3)
    conn.close()
    again = connect(tmp_path / "j.sqlite3")
    (later,) = record(again)
    assert [o.seq for o in first] == [1, 2, 3] and later.seq == 4
    assert len({o.client_order_id for o in [*first, later]}) == 4


def test_namespace_is_stable_per_database(conn: sqlite3.Connection, tmp_path: Path) -> None:
    ns = journal.journal_namespace(conn, "acct")
    assert journal.journal_namespace(conn, "acct") == ns
    fresh = connect(tmp_path / "other.sqlite3")
    assert journal.journal_namespace(fresh, "acct") != ns  # a new journal never reuses ids


def test_group_legs_share_a_decision(conn: sqlite3.Connection) -> None:
    tp = OrderIntent(symbol="BTC/USDT", side=Side.SELL, qty=1, type=OrderType.LIMIT, price=2)
    legs = journal.record_intents(
        conn,
        [(tp, "take_profit"), (tp, "stop_loss")],
        executor="paper",
        ns="n1",
        now_ms=1,
        group=True,
    )
    assert [o.client_order_id for o in legs] == ["pt-n1-1-tp", "pt-n1-1-sl"]
    assert legs[0].group_id == legs[1].group_id == "pt-n1-1-g"
    assert is_ours(legs[0].client_order_id, "n1") and not is_ours("web_123", "n1")


def report(cid: str, state: OrderState, filled: float = 0.0) -> ExchangeOrderReport:
    return ExchangeOrderReport(
        client_order_id=cid,
        exchange_order_id="X1",
        symbol="BTC/USDT",
        state=state,
        filled_qty=filled,
        avg_fill_price=100.0 if filled else None,
        ts_ms=5,
    )


def test_reports_only_move_forward(conn: sqlite3.Connection) -> None:
    (order,) = record(conn)
    cid = order.client_order_id
    assert journal.apply_report(conn, report(cid, OrderState.FILLED, 0.5), now_ms=2, kind="ws")
    # a late "open" from a lagging poll must not reopen a filled order
    assert journal.apply_report(conn, report(cid, OrderState.OPEN), now_ms=3, kind="poll") is None
    current = journal.get_order(conn, cid)
    assert current is not None and current.state is OrderState.FILLED
    assert current.exchange_order_id == "X1" and current.filled_qty == 0.5


def test_partial_fills_grow_monotonically(conn: sqlite3.Connection) -> None:
    (order,) = record(conn)
    cid = order.client_order_id
    journal.apply_report(conn, report(cid, OrderState.PARTIALLY_FILLED, 0.2), now_ms=2, kind="a")
    assert (
        journal.apply_report(
            conn, report(cid, OrderState.PARTIALLY_FILLED, 0.1), now_ms=3, kind="b"
        )
        is None
    )
    journal.apply_report(conn, report(cid, OrderState.PARTIALLY_FILLED, 0.3), now_ms=4, kind="c")
    assert journal.get_order(conn, cid).filled_qty == 0.3  # type: ignore[union-attr]


def test_illegal_move_is_refused(conn: sqlite3.Connection) -> None:
    (order,) = record(conn)
    cid = order.client_order_id
    journal.update_order(conn, cid, OrderState.REJECTED, now_ms=2, kind="reject", reason="x")
    with pytest.raises(journal.JournalError):
        journal.update_order(conn, cid, OrderState.OPEN, now_ms=3, kind="oops")
    # reconciliation may repair explicitly
    repaired = journal.update_order(conn, cid, OrderState.FILLED, now_ms=4, kind="r", repair=True)
    assert repaired.state is OrderState.FILLED


def fill(cid: str, trade_id: str, qty: float = 0.25) -> Fill:
    return Fill(
        symbol="BTC/USDT",
        side=Side.BUY,
        qty=qty,
        price=100.0,
        fee=0.0,
        fee_currency="USDT",
        ts_ms=10,
        trade_id=trade_id,
        client_order_id=cid,
    )


def test_a_fill_is_applied_once(conn: sqlite3.Connection) -> None:
    (order,) = record(conn)
    cid = order.client_order_id
    assert journal.apply_fill(conn, fill(cid, "T1"), source="ws") is True
    assert journal.apply_fill(conn, fill(cid, "T1"), source="rest") is False  # seen twice
    assert journal.apply_fill(conn, fill(cid, "T2"), source="rest") is True
    assert journal.filled_qty_from_fills(conn, cid) == 0.5
    assert journal.integrity_problems(conn) == []


def test_integrity_check_finds_overfill(conn: sqlite3.Connection) -> None:
    (order,) = record(conn)
    journal.apply_fill(conn, fill(order.client_order_id, "T1", qty=0.4), source="ws")
    journal.apply_fill(conn, fill(order.client_order_id, "T2", qty=0.4), source="ws")
    (problem,) = journal.integrity_problems(conn)
    assert "exceed" in problem


def test_live_orders_include_pending_and_unknown(conn: sqlite3.Connection) -> None:
    a, b, c = record(conn, 3)
    journal.update_order(conn, b.client_order_id, OrderState.UNKNOWN, now_ms=2, kind="u")
    journal.update_order(conn, c.client_order_id, OrderState.REJECTED, now_ms=2, kind="r")
    live = {o.client_order_id for o in journal.live_orders(conn, executor="exchange")}
    assert live == {a.client_order_id, b.client_order_id}
    assert journal.count_live(conn, executor="exchange") == 2
