"""Manual orders and order listings for the control socket, through the one order path."""

from __future__ import annotations

from peaktrade.control.protocol import (
    CancelResultView,
    CheckView,
    OrderDecision,
    OrderResult,
    OrderSpec,
    OrdersResult,
    OrderView,
)
from peaktrade.core.model import OrderIntent, OrderType, Side, TimeInForce
from peaktrade.core.orders import JournalOrder
from peaktrade.execution.engine import OrderPath, Screened, Submitted
from peaktrade.store import journal


def intent_of(spec: OrderSpec) -> OrderIntent:
    return OrderIntent(
        symbol=spec.symbol,
        side=Side(spec.side),
        qty=spec.qty,
        type=OrderType(spec.type),
        price=spec.price,
        stop_price=spec.stop_price,
        tif=TimeInForce(spec.tif),
        post_only=spec.post_only,
        source="operator",
        tag="ptctl order submit",
    )


def preview(path: OrderPath, spec: OrderSpec) -> OrderResult:
    (screened,) = path.screen([intent_of(spec)])
    return OrderResult(submitted=False, decisions=[decision(screened)])


async def submit(path: OrderPath, spec: OrderSpec) -> OrderResult:
    (result,) = await path.submit([intent_of(spec)])
    return OrderResult(submitted=True, decisions=[decision(result.screened, result)])


async def cancel(path: OrderPath, cid: str) -> CancelResultView:
    outcome, code, order = await path.cancel(cid)
    return CancelResultView(
        client_order_id=cid, outcome=outcome, code=code, order=view(order) if order else None
    )


async def query(path: OrderPath, *, open_only: bool, limit: int) -> OrdersResult:
    orders = (
        await path.db.call(journal.live_orders, executor=None)  # every book, each row says whose
        if open_only
        else await path.db.call(journal.recent_orders, limit)
    )
    return OrdersResult(orders=[view(o) for o in orders[:limit]])


def decision(screened: Screened, submitted: Submitted | None = None) -> OrderDecision:
    intent = screened.intent
    return OrderDecision(
        symbol=intent.symbol,
        side=intent.side.value,
        qty=intent.qty,
        allowed=screened.allowed,
        reduces=screened.reduces,
        checks=[
            CheckView(rule=c.rule, passed=c.passed, code=c.code, detail=c.detail, warning=c.warning)
            for c in screened.checks
        ],
        outcome=submitted.outcome if submitted else "",
        code=submitted.code if submitted else "",
        message=submitted.message if submitted else "",
        order=view(submitted.order) if submitted and submitted.order else None,
    )


def view(order: JournalOrder) -> OrderView:
    intent = order.intent
    return OrderView(
        client_order_id=order.client_order_id,
        symbol=intent.symbol,
        side=intent.side.value,
        type=intent.type.value,
        qty=intent.qty,
        price=intent.price,
        stop_price=intent.stop_price,
        state=order.state.value,
        filled_qty=order.filled_qty,
        avg_fill_price=order.avg_fill_price,
        reason=order.reason,
        source=intent.source,
        created_ms=order.created_ms,
        updated_ms=order.updated_ms,
        exchange_order_id=order.exchange_order_id,
        executor=order.executor,
    )
