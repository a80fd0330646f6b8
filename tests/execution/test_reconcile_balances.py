"""Reconciliation checks balances: the last baseline plus the journal's fills must explain them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal

from peaktrade.core.model import OrderIntent, OrderType, Side
from peaktrade.core.trading_state import TradingState
from peaktrade.execution.reconcile import reconcile
from peaktrade.store import balances as balance_store
from peaktrade.venues.ccxt_venue import CcxtVenue
from peaktrade.venues.sim import SimHandle
from tests.execution.conftest import SYMBOLS, Harness

MakePath = Callable[..., Awaitable[Harness]]


async def test_fills_explain_the_balances(make_path: MakePath, venue: CcxtVenue) -> None:
    h = await make_path(venue, venue)
    first = await reconcile(h.path, h.resolver, SYMBOLS)
    assert first.problems == [] and await h.db.call(balance_store.load) is not None
    await h.path.submit(
        [OrderIntent(symbol="BTC/USDT", side=Side.BUY, qty=0.01, type=OrderType.MARKET)]
    )
    second = await reconcile(h.path, h.resolver, SYMBOLS)
    assert second.problems == []
    assert h.path.switch.state is TradingState.ACTIVE


async def test_a_change_behind_the_daemons_back_is_a_mismatch(
    make_path: MakePath, venue: CcxtVenue, sim: SimHandle
) -> None:
    h = await make_path(venue, venue)
    await reconcile(h.path, h.resolver, SYMBOLS)
    sim.engine.balances.free["USDT"] += Decimal("1000")  # a deposit the journal cannot know
    found = await reconcile(h.path, h.resolver, SYMBOLS)
    (problem,) = found.problems
    assert problem.startswith("balance USDT:") and "+1000" in problem
    assert h.path.switch.state is TradingState.REDUCING
    mismatch = [e for e in h.events if e.code == "reconcile.mismatch" and not e.resolved]
    assert mismatch and mismatch[0].level == "CRITICAL"
    # with nothing live the new balances became the baseline: the next run agrees again
    again = await reconcile(h.path, h.resolver, SYMBOLS)
    assert again.problems == []
    assert any(e.code == "reconcile.mismatch" and e.resolved for e in h.events)


async def test_assets_of_a_live_order_are_not_judged_while_it_can_fill(
    make_path: MakePath, venue: CcxtVenue, sim: SimHandle
) -> None:
    h = await make_path(venue, venue)
    await reconcile(h.path, h.resolver, SYMBOLS)
    resting = OrderIntent(
        symbol="BTC/USDT", side=Side.BUY, qty=0.01, type=OrderType.LIMIT, price=30_000.0
    )
    (sent,) = await h.path.submit([resting])
    assert sent.order is not None
    # as if it filled between the fill fetch and the balance read: the journal cannot know yet
    sim.engine.balances.free["BTC"] += Decimal("0.01")
    sim.engine.balances.free["ETH"] += Decimal("2")  # and a deposit in an asset nothing moves
    found = await reconcile(h.path, h.resolver, SYMBOLS)
    (problem,) = found.problems
    assert problem.startswith("balance ETH:")
