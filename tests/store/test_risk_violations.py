"""Violations are persisted with everything an operator needs, and listed newest first."""

from __future__ import annotations

from pathlib import Path

from msgspec.structs import replace

from peaktrade.core.risk import check_orders
from peaktrade.core.risk_violations import Violation, order_violations
from peaktrade.store import violations as store
from peaktrade.store.db import connect
from tests.core.risk_support import NOW, buy, limits, snapshot


def violation(at_ms: int, rule: str = "max_order_notional") -> Violation:
    return Violation(
        at_ms=at_ms,
        rule=rule,
        code=f"risk.{rule}",
        symbol="BTC/USDT",
        limit=100.0,
        value=300.0,
        subject="order",
        detail="{}",
        action="blocked",
    )


def test_blocked_order_is_persisted_and_read_back(tmp_path: Path) -> None:
    conn = connect(tmp_path / "s.sqlite3")
    batch = [buy("BTC/USDT", 3)]
    found = order_violations(
        batch, check_orders(limits(max_order_notional=100), batch, snapshot()), now_ms=NOW
    )
    assert store.record(conn, found) == 1
    assert store.since(conn) == found


def test_since_filters_and_orders_newest_first(tmp_path: Path) -> None:
    conn = connect(tmp_path / "s.sqlite3")
    store.record(conn, [violation(1), violation(3), violation(2)])
    assert [v.at_ms for v in store.since(conn, since_ms=2)] == [3, 2]


def test_unknown_value_is_kept_as_none(tmp_path: Path) -> None:
    conn = connect(tmp_path / "s.sqlite3")
    no_quote = replace(violation(1, "max_quote_age_s"), code="risk.no_quote", value=None)
    store.record(conn, [no_quote])
    assert store.since(conn) == [no_quote]


def test_last_breach_time(tmp_path: Path) -> None:
    conn = connect(tmp_path / "s.sqlite3")
    assert store.last_breach_ms(conn) is None
    store.record(conn, [violation(5), violation(9)])
    assert store.last_breach_ms(conn, since_ms=6) == 9
    assert store.last_breach_ms(conn, since_ms=10) is None
