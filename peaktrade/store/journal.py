"""The order journal: every intent, every state change, every fill, durable before it matters.

An intent is committed (WAL, synchronous=FULL) with its client order id before any executor
sees it. Fills are keyed by the exchange's trade id, so a fill seen twice (stream and REST) is
applied once.

Each executor has its own book: its positions, open orders and doubts come only from its own
journal rows (fills by their order's executor; adopted exchange orders are "exchange"'s), and
the paper book starts from its configured balances plus paper fills only.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Sequence

import msgspec

from peaktrade.core.ids import client_order_id, namespace
from peaktrade.core.model import Fill, OrderIntent, OrderType, Side
from peaktrade.core.orders import (
    ExchangeOrderReport,
    JournalOrder,
    OrderState,
    can_move,
    merge_report,
)
from peaktrade.store.db import transaction

TABLES = (
    """
    CREATE TABLE IF NOT EXISTS journal_meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS orders (
        client_order_id TEXT PRIMARY KEY,
        seq INTEGER NOT NULL,
        intent TEXT NOT NULL,
        symbol TEXT NOT NULL,
        executor TEXT NOT NULL,
        state TEXT NOT NULL,
        exchange_order_id TEXT,
        filled_qty REAL NOT NULL DEFAULT 0,
        avg_fill_price REAL,
        created_ms INTEGER NOT NULL,
        updated_ms INTEGER NOT NULL,
        reason TEXT NOT NULL DEFAULT '',
        group_id TEXT NOT NULL DEFAULT '',
        role TEXT NOT NULL DEFAULT ''
    )
    """,
    "CREATE INDEX IF NOT EXISTS orders_state ON orders(state)",
    "CREATE INDEX IF NOT EXISTS orders_seq ON orders(seq)",
    "CREATE INDEX IF NOT EXISTS orders_xid ON orders(exchange_order_id)",
    """
    CREATE TABLE IF NOT EXISTS order_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        client_order_id TEXT NOT NULL REFERENCES orders(client_order_id),
        at_ms INTEGER NOT NULL,
        kind TEXT NOT NULL,
        state TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT ''
    )
    """,
    "CREATE INDEX IF NOT EXISTS order_events_cid ON order_events(client_order_id)",
    """
    CREATE TABLE IF NOT EXISTS fills (
        symbol TEXT NOT NULL,
        trade_id TEXT NOT NULL,
        client_order_id TEXT NOT NULL REFERENCES orders(client_order_id),
        side TEXT NOT NULL,
        qty REAL NOT NULL,
        price REAL NOT NULL,
        fee REAL NOT NULL,
        fee_currency TEXT NOT NULL,
        ts_ms INTEGER NOT NULL,
        source TEXT NOT NULL,
        PRIMARY KEY (symbol, trade_id)
    )
    """,
    "CREATE INDEX IF NOT EXISTS fills_cid ON fills(client_order_id)",
    "CREATE INDEX IF NOT EXISTS fills_ts ON fills(ts_ms)",
)

_COLUMNS = (
    "client_order_id, seq, intent, executor, state, exchange_order_id, filled_qty,"
    " avg_fill_price, created_ms, updated_ms, reason, group_id, role"
)
_intent_decoder = msgspec.json.Decoder(OrderIntent)


class JournalError(Exception):
    """A journal write that must not happen (e.g. an illegal state move)."""


def journal_namespace(conn: sqlite3.Connection, account_label: str) -> str:
    """The id namespace of this journal; its random epoch is created once, with the database."""
    with transaction(conn):
        row = conn.execute("SELECT value FROM journal_meta WHERE key = 'epoch'").fetchone()
        if row is None:
            epoch = secrets.token_hex(8)
            conn.execute("INSERT INTO journal_meta (key, value) VALUES ('epoch', ?)", (epoch,))
        else:
            epoch = str(row[0])
    return namespace(account_label, epoch)


def record_intents(
    conn: sqlite3.Connection,
    intents: Sequence[tuple[OrderIntent, str]],
    *,
    executor: str,
    ns: str,
    now_ms: int,
    group: bool = False,
) -> list[JournalOrder]:
    """Journal intents (with a role each) in one durable transaction, allotting their ids.

    With ``group``, the intents are legs of one OCO or bracket: they share a sequence number
    and tell apart by leg suffix, so the whole group is one decision in the journal.
    """
    out: list[JournalOrder] = []
    with transaction(conn):
        (top,) = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM orders").fetchone()
        seq = int(top) + 1
        group_id = client_order_id(ns, seq, "g") if group else ""
        for index, (intent, role) in enumerate(intents):
            this_seq = seq if group else seq + index
            cid = client_order_id(ns, this_seq, _leg(role) if group else "")
            order = JournalOrder(
                client_order_id=cid,
                seq=this_seq,
                intent=intent,
                executor=executor,
                state=OrderState.PENDING,
                created_ms=now_ms,
                updated_ms=now_ms,
                group_id=group_id,
                role=role,
            )
            conn.execute(
                f"INSERT INTO orders ({_COLUMNS}, symbol) VALUES"
                " (?, ?, ?, ?, ?, NULL, 0, NULL, ?, ?, '', ?, ?, ?)",
                (
                    cid,
                    this_seq,
                    msgspec.json.encode(intent).decode(),
                    executor,
                    OrderState.PENDING.value,
                    now_ms,
                    now_ms,
                    group_id,
                    role,
                    intent.symbol,
                ),
            )
            _event(conn, cid, now_ms, "intent", OrderState.PENDING, "")
            out.append(order)
    return out


EXCHANGE = "exchange"
"""The executor whose book holds orders found on the exchange that we did not place."""


def adopt(conn: sqlite3.Connection, report: ExchangeOrderReport, *, now_ms: int) -> JournalOrder:
    """Journal an open exchange order we did not place, under its own client id (and book)."""
    intent = OrderIntent(
        symbol=report.symbol,
        side=Side(report.side or "buy"),
        qty=report.qty,
        type=_adopted_type(report.type),
        price=report.price,
        source="adopted",
        tag=f"adopted exchange order {report.exchange_order_id}",
    )
    cid = report.client_order_id or f"adopted-{report.exchange_order_id}"
    with transaction(conn):
        (top,) = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM orders").fetchone()
        conn.execute(
            f"INSERT OR IGNORE INTO orders ({_COLUMNS}, symbol) VALUES"
            " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'adopted', '', 'adopted', ?)",
            (
                cid,
                int(top) + 1,
                msgspec.json.encode(intent).decode(),
                EXCHANGE,
                report.state.value,
                report.exchange_order_id,
                report.filled_qty,
                report.avg_fill_price,
                now_ms,
                now_ms,
                report.symbol,
            ),
        )
        _event(conn, cid, now_ms, "adopted", report.state, "")
    found = _get(conn, cid)
    assert found is not None
    return found


def _adopted_type(kind: str) -> OrderType:
    try:
        return OrderType(kind.lower())
    except ValueError:
        return OrderType.LIMIT


def _leg(role: str) -> str:
    return {"entry": "e", "take_profit": "tp", "stop_loss": "sl", "above": "a", "below": "b"}.get(
        role, role[:3] or "x"
    )


def update_order(
    conn: sqlite3.Connection,
    cid: str,
    state: OrderState,
    *,
    now_ms: int,
    kind: str,
    exchange_order_id: str | None = None,
    filled_qty: float | None = None,
    avg_fill_price: float | None = None,
    reason: str | None = None,
    detail: str = "",
    repair: bool = False,
) -> JournalOrder:
    """Move an order to ``state``; ``repair`` lets reconciliation correct a final state."""
    with transaction(conn):
        current = _get(conn, cid)
        if current is None:
            raise JournalError(f"no order {cid} in the journal")
        if not (repair or can_move(current.state, state)):
            raise JournalError(f"{cid}: {current.state.value} -> {state.value} is not allowed")
        filled = current.filled_qty if filled_qty is None else max(filled_qty, current.filled_qty)
        conn.execute(
            "UPDATE orders SET state = ?, exchange_order_id = COALESCE(?, exchange_order_id),"
            " filled_qty = ?, avg_fill_price = COALESCE(?, avg_fill_price), updated_ms = ?,"
            " reason = COALESCE(?, reason) WHERE client_order_id = ?",
            (state.value, exchange_order_id, filled, avg_fill_price, now_ms, reason, cid),
        )
        _event(conn, cid, now_ms, kind, state, detail)
        updated = _get(conn, cid)
    assert updated is not None
    return updated


def apply_report(
    conn: sqlite3.Connection, report: ExchangeOrderReport, *, now_ms: int, kind: str
) -> JournalOrder | None:
    """Fold a venue's report into the journal; returns the order if anything changed."""
    with transaction(conn):
        current = _get(conn, report.client_order_id)
        if current is None:
            return None
        merged = merge_report(current, report)
        if merged is None:
            return None
        reason = "" if merged.state is not OrderState.UNKNOWN else None
        conn.execute(
            "UPDATE orders SET state = ?, exchange_order_id = COALESCE(NULLIF(?, ''),"
            " exchange_order_id), filled_qty = ?, avg_fill_price = ?, updated_ms = ?,"
            " reason = COALESCE(?, reason) WHERE client_order_id = ?",
            (
                merged.state.value,
                report.exchange_order_id,
                merged.filled_qty,
                merged.avg_fill_price,
                now_ms,
                reason,
                report.client_order_id,
            ),
        )
        _event(
            conn,
            report.client_order_id,
            now_ms,
            kind,
            merged.state,
            detail_json(filled=merged.filled_qty, exchange_order_id=report.exchange_order_id),
        )
        return _get(conn, report.client_order_id)


def order_by_exchange_id(conn: sqlite3.Connection, exchange_order_id: str) -> JournalOrder | None:
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM orders WHERE exchange_order_id = ?", (exchange_order_id,)
    ).fetchone()
    return _row(row) if row else None


def apply_fill(conn: sqlite3.Connection, fill: Fill, *, source: str) -> bool:
    """Record a fill once; False if this trade id was already applied."""
    with transaction(conn):
        cur = conn.execute(
            "INSERT OR IGNORE INTO fills (symbol, trade_id, client_order_id, side, qty, price,"
            " fee, fee_currency, ts_ms, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                fill.symbol,
                fill.trade_id,
                fill.client_order_id,
                fill.side.value,
                fill.qty,
                fill.price,
                fill.fee,
                fill.fee_currency,
                fill.ts_ms,
                source,
            ),
        )
        if cur.rowcount == 0:
            return False
        _event(conn, fill.client_order_id, fill.ts_ms, "fill", _state_of(conn, fill), "")
    return True


def _state_of(conn: sqlite3.Connection, fill: Fill) -> OrderState:
    row = conn.execute(
        "SELECT state FROM orders WHERE client_order_id = ?", (fill.client_order_id,)
    ).fetchone()
    return OrderState(row[0]) if row else OrderState.UNKNOWN


def get_order(conn: sqlite3.Connection, cid: str) -> JournalOrder | None:
    return _get(conn, cid)


def orders_in(
    conn: sqlite3.Connection, states: Sequence[OrderState], *, executor: str | None
) -> list[JournalOrder]:
    """Orders of ``executor``'s book in ``states``; None: every book (operator views only)."""
    marks = ",".join("?" for _ in states)
    mine, args = _book(executor)
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM orders WHERE state IN ({marks}){mine} ORDER BY seq",
        [*(s.value for s in states), *args],
    ).fetchall()
    return [_row(r) for r in rows]


_LIVE = (OrderState.PENDING, OrderState.OPEN, OrderState.PARTIALLY_FILLED, OrderState.UNKNOWN)


def live_orders(conn: sqlite3.Connection, *, executor: str | None) -> list[JournalOrder]:
    """Orders that may still rest or fill (pending counts: it may have gone), of one book;
    None: every book (operator views only)."""
    return orders_in(conn, _LIVE, executor=executor)


def count_live(conn: sqlite3.Connection, *, executor: str) -> int:
    marks = ",".join("?" for _ in _LIVE)
    (n,) = conn.execute(
        f"SELECT COUNT(*) FROM orders WHERE state IN ({marks}) AND executor = ?",
        [*(s.value for s in _LIVE), executor],
    ).fetchone()
    return int(n)


def _book(executor: str | None, column: str = "executor") -> tuple[str, list[str]]:
    """The WHERE clause tail that keeps one executor's rows (None: every book's)."""
    return ("", []) if executor is None else (f" AND {column} = ?", [executor])


def recent_orders(conn: sqlite3.Connection, limit: int = 100) -> list[JournalOrder]:
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM orders ORDER BY seq DESC, client_order_id LIMIT ?", (limit,)
    ).fetchall()
    return [_row(r) for r in rows]


def group_orders(conn: sqlite3.Connection, group_id: str) -> list[JournalOrder]:
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM orders WHERE group_id = ? ORDER BY client_order_id", (group_id,)
    ).fetchall()
    return [_row(r) for r in rows]


def fills_of(conn: sqlite3.Connection, cid: str) -> list[Fill]:
    rows = conn.execute(
        "SELECT symbol, side, qty, price, fee, fee_currency, ts_ms, trade_id, client_order_id"
        " FROM fills WHERE client_order_id = ? ORDER BY ts_ms, trade_id",
        (cid,),
    ).fetchall()
    return [_fill(r) for r in rows]


def all_fills(conn: sqlite3.Connection, since_ms: int = 0, *, executor: str | None) -> list[Fill]:
    """Fills since ``since_ms`` of ``executor``'s orders; None: every book (operator views)."""
    mine, args = _book(executor, "o.executor")
    rows = conn.execute(
        "SELECT f.symbol, f.side, f.qty, f.price, f.fee, f.fee_currency, f.ts_ms, f.trade_id,"
        " f.client_order_id FROM fills f"
        " LEFT JOIN orders o ON o.client_order_id = f.client_order_id"
        f" WHERE f.ts_ms >= ?{mine}"
        " ORDER BY f.ts_ms, f.trade_id",
        [since_ms, *args],
    ).fetchall()
    return [_fill(r) for r in rows]


def last_fill_ms(conn: sqlite3.Connection, *, executor: str) -> int:
    (ts,) = conn.execute(
        "SELECT COALESCE(MAX(f.ts_ms), 0) FROM fills f"
        " JOIN orders o ON o.client_order_id = f.client_order_id WHERE o.executor = ?",
        (executor,),
    ).fetchone()
    return int(ts)


def fill_cursor_ms(conn: sqlite3.Connection, now_ms: int, *, executor: str) -> int:
    """Where ``executor``'s fill catch-up starts: its last known fill, else its first order,
    else now (another book's fills say nothing about this venue's)."""
    (last,) = conn.execute(
        "SELECT MAX(f.ts_ms) FROM fills f"
        " JOIN orders o ON o.client_order_id = f.client_order_id WHERE o.executor = ?",
        (executor,),
    ).fetchone()
    if last is not None:
        return int(last)
    (first,) = conn.execute(
        "SELECT MIN(created_ms) FROM orders WHERE executor = ?", (executor,)
    ).fetchone()
    return int(first) if first is not None else now_ms


def filled_qty_from_fills(conn: sqlite3.Connection, cid: str) -> float:
    (total,) = conn.execute(
        "SELECT COALESCE(SUM(qty), 0) FROM fills WHERE client_order_id = ?", (cid,)
    ).fetchone()
    return float(total)


def integrity_problems(conn: sqlite3.Connection) -> list[str]:
    """What must always hold: ids unique (by key), fills belong to orders, filled <= qty."""
    problems = [
        f"{row[0]}: fills for an order not in the journal"
        for row in conn.execute(
            "SELECT f.client_order_id FROM fills f LEFT JOIN orders o"
            " ON o.client_order_id = f.client_order_id WHERE o.client_order_id IS NULL"
        )
    ]
    for cid, intent, filled in conn.execute(
        "SELECT o.client_order_id, o.intent, COALESCE(SUM(f.qty), 0) FROM orders o"
        " LEFT JOIN fills f ON f.client_order_id = o.client_order_id GROUP BY o.client_order_id"
    ):
        qty = _intent_decoder.decode(intent).qty
        if filled > qty * (1 + 1e-9) + 1e-12:
            problems.append(f"{cid}: fills total {filled} exceed the order's {qty}")
    (check,) = conn.execute("PRAGMA integrity_check").fetchone()
    if check != "ok":
        problems.append(f"sqlite integrity_check: {check}")
    return problems


def _event(
    conn: sqlite3.Connection, cid: str, at_ms: int, kind: str, state: OrderState, detail: str
) -> None:
    conn.execute(
        "INSERT INTO order_events (client_order_id, at_ms, kind, state, detail)"
        " VALUES (?, ?, ?, ?, ?)",
        (cid, at_ms, kind, state.value, detail),
    )


def events_of(conn: sqlite3.Connection, cid: str) -> list[tuple[int, str, str, str]]:
    return [
        (int(a), str(k), str(s), str(d))
        for a, k, s, d in conn.execute(
            "SELECT at_ms, kind, state, detail FROM order_events"
            " WHERE client_order_id = ? ORDER BY id",
            (cid,),
        )
    ]


def _get(conn: sqlite3.Connection, cid: str) -> JournalOrder | None:
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM orders WHERE client_order_id = ?", (cid,)
    ).fetchone()
    return _row(row) if row else None


def _row(row: tuple[object, ...]) -> JournalOrder:
    (cid, seq, intent, executor, state, xid, filled, avg, created, updated, reason, gid, role) = row
    return JournalOrder(
        client_order_id=str(cid),
        seq=int(str(seq)),
        intent=_intent_decoder.decode(str(intent)),
        executor=str(executor),
        state=OrderState(str(state)),
        exchange_order_id=None if xid is None else str(xid),
        filled_qty=float(str(filled)),
        avg_fill_price=None if avg is None else float(str(avg)),
        created_ms=int(str(created)),
        updated_ms=int(str(updated)),
        reason=str(reason),
        group_id=str(gid),
        role=str(role),
    )


def _fill(row: tuple[object, ...]) -> Fill:
    symbol, side, qty, price, fee, fee_ccy, ts, trade_id, cid = row
    return Fill(
        symbol=str(symbol),
        side=Side(str(side)),
        qty=float(str(qty)),
        price=float(str(price)),
        fee=float(str(fee)),
        fee_currency=str(fee_ccy),
        ts_ms=int(str(ts)),
        trade_id=str(trade_id),
        client_order_id=str(cid),
    )


def detail_json(**fields: object) -> str:
    """Event details as compact JSON."""
    return json.dumps(fields, separators=(",", ":"), default=str)
