"""What a kill does beyond the latch: cancel every open order, optionally flatten.

Both go through the same journal and executor as any order; flatten orders bypass only the
HALTED gate (they are what the operator asked for), not the journal, not the quote check.
"""

from __future__ import annotations

import anyio
import msgspec

from peaktrade.core.model import OrderIntent, OrderType, Side
from peaktrade.core.orders import JournalOrder, OrderState, Outcome
from peaktrade.execution.contingent import ContingentOrders
from peaktrade.execution.engine import OrderPath, Submitted
from peaktrade.log import get_logger
from peaktrade.store import journal
from peaktrade.venues.executor import VenueUpdate

log = get_logger("peaktrade.kill")


class CancelSummary(msgspec.Struct, frozen=True):
    requested: int
    cancelled: int
    still_live: list[str]  # client ids still open or in doubt afterwards
    errors: list[str]


async def cancel_open(path: OrderPath, contingent: ContingentOrders | None = None) -> CancelSummary:
    """Cancel every live order of the executor's book: cancel-all per symbol, then one by one.

    Held stops and waiting brackets are disarmed first, so none fires into the cancel."""
    if contingent is not None:
        await contingent.cancel_all("kill with cancel-open")
    book = path.executor.name  # another executor's orders are not this venue's to cancel
    live = await path.db.call(journal.live_orders, executor=book)
    symbols = sorted({o.intent.symbol for o in live})
    errors: list[str] = []

    async def cancel_symbol(symbol: str) -> None:
        try:
            reports = await path.executor.cancel_all(symbol)
        except Exception as exc:
            errors.append(f"{symbol}: cancel-all failed: {type(exc).__name__}")
            return
        for report in reports:
            await path.apply_update(VenueUpdate(report=report), kind="cancel_all")

    async with anyio.create_task_group() as tg:
        for symbol in symbols:
            tg.start_soon(cancel_symbol, symbol)

    leftovers = [
        o
        for o in await path.db.call(journal.live_orders, executor=book)
        if o.client_order_id not in path.sending
    ]

    async def cancel_one(order: JournalOrder) -> None:
        result = await path.executor.cancel(order)
        if result.report is not None:
            await path.apply_update(VenueUpdate(report=result.report), kind="cancel")
        elif result.outcome is not Outcome.ACCEPTED and order.state is not OrderState.UNKNOWN:
            errors.append(f"{order.client_order_id}: {result.code}")

    async with anyio.create_task_group() as tg:
        for order in leftovers:
            tg.start_soon(cancel_one, order)

    after = await path.db.call(journal.live_orders, executor=book)
    summary = CancelSummary(
        requested=len(live),
        cancelled=len(live) - len(after),
        still_live=[o.client_order_id for o in after],
        errors=errors,
    )
    log.warning("cancel_open_done", **msgspec.structs.asdict(summary))
    return summary


async def flatten(path: OrderPath) -> list[Submitted]:
    """Close every position of the executor's book with a market order through the journal."""
    intents = [
        OrderIntent(
            symbol=symbol,
            side=Side.SELL if qty > 0 else Side.BUY,
            qty=abs(qty),
            type=OrderType.MARKET,
            source="kill.flatten",
            tag="flatten on kill",
        )
        for symbol, qty in sorted(path.net_positions().items())
    ]
    if not intents:
        return []
    results = await path.submit(intents, bypass_state=True)
    log.warning(
        "flatten_done",
        orders=[(r.screened.intent.symbol, r.outcome, r.code) for r in results],
    )
    return results
