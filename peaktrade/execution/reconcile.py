"""Start-up reconciliation: the journal and the exchange must agree before READY=1.

1. Orders in doubt (pending before a crash, unknown) are looked up by client order id.
2. The exchange's open orders are compared with the journal's; orders we did not place are
   adopted, cancelled or left alone, as configured.
3. Journal orders the exchange no longer lists as open are looked up for their final state.
4. Fills since the last known one are fetched; missing ones are applied.
What cannot be explained raises a critical event and sets REDUCING. Only the executor's own
book is held to its venue: another executor's orders and fills are not this venue's.
"""

from __future__ import annotations

import msgspec

from peaktrade.core import trading_state as ts
from peaktrade.core.events import DaemonEvent
from peaktrade.core.ids import is_ours
from peaktrade.core.orders import OrderState
from peaktrade.core.portfolio import balances_after
from peaktrade.core.trading_state import TradingState
from peaktrade.execution.config import UnknownOrderPolicy
from peaktrade.execution.engine import OrderPath
from peaktrade.execution.resolver import Resolver
from peaktrade.log import get_logger
from peaktrade.store import balances as balance_store
from peaktrade.store import journal
from peaktrade.venues.executor import VenueUpdate

log = get_logger("peaktrade.reconcile")


class ReconcileReport(msgspec.Struct, frozen=True):
    doubtful_before: int
    doubtful_after: int
    foreign_open: int
    foreign_action: str
    closed_while_away: int
    fills_applied: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems and self.doubtful_after == 0


_DUST = 1e-8  # quantities below this are rounding, not money


async def _check_balances(path: OrderPath) -> list[str]:
    """Exchange balances against the last baseline plus every fill since; then a new baseline.

    Only venues that report balances take part: the paper broker's balances are its fills.
    """
    fetch = getattr(path.executor, "fetch_balances", None)
    if fetch is None:
        return []
    raw: dict[str, tuple[float, float]] = await fetch()
    now_balances = {asset: free + used for asset, (free, used) in raw.items()}
    book = path.executor.name
    through = await path.db.call(journal.last_fill_ms, executor=book)
    previous = await path.db.call(balance_store.load)
    problems = []
    live = await path.db.call(journal.live_orders, executor=book)
    # an order on the book can fill between the fill fetch and the balance read: its assets
    # cannot be judged now (the next reconcile with nothing live judges them)
    moving = {asset for order in live for asset in _assets_of(order.intent.symbol)}
    if previous is not None:
        fills = await path.db.call(journal.all_fills, previous.fills_through_ms + 1, executor=book)
        expected = balances_after(previous.balances, fills)
        tolerance = path.config.balance_tolerance
        for asset in sorted((set(expected) | set(now_balances)) - moving):
            want, have = expected.get(asset, 0.0), now_balances.get(asset, 0.0)
            if abs(have - want) > max(_DUST, tolerance * max(abs(want), abs(have))):
                problems.append(
                    f"balance {asset}: exchange {have:g}, the journal explains {want:g}"
                    f" ({have - want:+g}): a deposit, withdrawal or trade outside the daemon"
                )
    # a new baseline only while nothing can fill: with orders live, a fill could land
    # between the balance read and the journal's cursor and be counted twice or never
    if not live:
        await path.db.call(
            balance_store.save,
            balance_store.Baseline(
                balances=now_balances, fills_through_ms=max(through, 0), at_ms=path.now_ms()
            ),
        )
    return problems


def _assets_of(symbol: str) -> tuple[str, ...]:
    """ "BTC/USDT" -> ("BTC", "USDT"); a derivative's settle currency ("...:USDT") as well."""
    base, _, rest = symbol.partition("/")
    quote, _, settle = rest.partition(":")
    return tuple(a for a in (base, quote, settle) if a)


async def reconcile(path: OrderPath, resolver: Resolver, symbols: list[str]) -> ReconcileReport:
    config = path.config
    problems: list[str] = []
    book = path.executor.name  # only this executor's journal rows are held to its venue
    doubtful = await path.db.call(
        journal.orders_in, [OrderState.PENDING, OrderState.UNKNOWN], executor=book
    )
    remaining = await resolver.resolve_once()

    exchange_open = await path.executor.open_orders(symbols)
    ours = {r.client_order_id: r for r in exchange_open if is_ours(r.client_order_id, path.ns)}
    foreign = [r for r in exchange_open if not is_ours(r.client_order_id, path.ns)]
    for cid, report in ours.items():
        if await path.db.call(journal.get_order, cid) is None:
            problems.append(f"exchange order {cid} carries our namespace but is not journaled")
            continue
        await path.apply_update(VenueUpdate(report=report), kind="reconcile")
    for other in foreign:
        policy = config.unknown_exchange_orders
        if policy is UnknownOrderPolicy.CANCEL and not await path.executor.cancel_foreign(other):
            problems.append(f"could not cancel foreign order {other.exchange_order_id}")
        elif policy is UnknownOrderPolicy.ADOPT:
            await path.db.call(journal.adopt, other, now_ms=path.now_ms())
        log.warning(
            "foreign_open_order",
            symbol=other.symbol,
            client_order_id=other.client_order_id,
            action=config.unknown_exchange_orders.value,
        )

    closed = 0
    for order in await path.db.call(
        journal.orders_in, [OrderState.OPEN, OrderState.PARTIALLY_FILLED], executor=book
    ):
        if order.client_order_id in ours:
            continue
        result = await path.executor.lookup(order)
        if result.found and result.report is not None:
            await path.apply_update(VenueUpdate(report=result.report), kind="reconcile")
            closed += 1
        else:
            problems.append(f"journal order {order.client_order_id} open, exchange has none")

    since = await path.db.call(journal.fill_cursor_ms, path.now_ms(), executor=book) - int(
        config.fill_lookback_s * 1000
    )
    applied = 0
    for vf in await path.executor.fills_since(symbols, since):
        applied += await path.apply_fill(vf)

    for problem in await path.db.call(journal.integrity_problems):
        problems.append(problem)
    problems.extend(await _check_balances(path))

    outcome = ReconcileReport(
        doubtful_before=len(doubtful),
        doubtful_after=remaining,
        foreign_open=len(foreign),
        foreign_action=config.unknown_exchange_orders.value,
        closed_while_away=closed,
        fills_applied=applied,
        problems=problems,
    )
    log.info("reconciled", **msgspec.structs.asdict(outcome))
    if not problems:
        path.events(
            DaemonEvent(
                code="reconcile.mismatch",
                level="CRITICAL",
                message="journal and exchange agree",
                ts_ms=path.now_ms(),
                dedupe_key="reconcile.mismatch",
                resolved=True,  # a mismatch raised before is over
            )
        )
    if problems:
        path.events(
            DaemonEvent(
                code="reconcile.mismatch",
                level="CRITICAL",
                message="reconciliation found what it cannot explain: " + "; ".join(problems[:5]),
                ts_ms=path.now_ms(),
                context={"problems": len(problems)},
                dedupe_key="reconcile.mismatch",
            )
        )
        if path.switch.state is TradingState.ACTIVE:
            actor = ts.Actor(source="reconcile")
            await path.switch.apply(
                lambda s: ts.reduce(
                    s, reason="reconciliation mismatch", actor=actor, now_ms=path.now_ms()
                )
            )
    return outcome
