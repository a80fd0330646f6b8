"""The fault campaign: many orders against a misbehaving simulator, then the invariants.

The daemon's own venue stack (real ccxt, real journal, real resolver and account sync) trades
against the embedded simulator with every fault type switched on at random. Afterwards the
faults stop, doubts are resolved, the journal is reconciled, and the campaign checks what must
hold: no order placed twice, no fill lost or invented, the journal equal to the exchange.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import anyio
import msgspec

from peaktrade.config import Config, parse_config
from peaktrade.core.events import DaemonEvent
from peaktrade.core.ids import is_ours
from peaktrade.core.model import OrderIntent, OrderType, Side
from peaktrade.core.orders import OrderState
from peaktrade.daemon.clock import now_ms
from peaktrade.daemon.trading import TradingSwitch
from peaktrade.daemon.venue_stack import VenueStack
from peaktrade.execution.reconcile import reconcile
from peaktrade.store import journal
from peaktrade.store.db import Database
from peaktrade.venues.sim import SimHandle
from peaktrade.venues.sim.matching import Engine

CAMPAIGN_CONFIG = """
[run]
mode = "testnet"
network = "sim"
account_label = "campaign"
[exchange]
symbols = ["BTC/USDT", "ETH/USDT", "SOL/USDT", "BNB/USDT", "XRP/USDT"]
timeout_s = 2.0
[execution]
resolve_interval_s = 0.2
not_found_grace_s = 1.0
resolve_bound_s = 30.0
[account_sync]
poll_interval_s = 1.0
quiet_after_s = 3.0
[market_data]
stale_after_s = 30.0
reconnect_base_s = 0.1
reconnect_cap_s = 1.0
[sim]
seed = {seed}
tick_interval_s = 0.05
ticker_interval_s = 0.2
volatility = 0.002
"""

# Per-fault rates: high enough that every kind fires many times in 500 orders, low enough that
# orders still get through. Tick faults roll 20 times a second, so theirs are small.
FAULTS: dict[str, dict[str, object]] = {
    "latency": {"rate": 0.2, "fixed_ms": 5, "jitter_ms": 40},
    "http_503": {"rate": 0.03, "scope": "order"},
    "http_503_committed": {"rate": 0.03, "scope": "order"},
    "reset": {"rate": 0.03, "scope": "order"},
    "reset_committed": {"rate": 0.03, "scope": "order"},
    "timeout_1007": {"rate": 0.03, "scope": "order"},
    "timeout_1007_committed": {"rate": 0.03, "scope": "order"},
    "http_429": {"rate": 0.004, "scope": "order", "seconds": 0.5},
    "http_418": {"rate": 0.002, "scope": "order", "seconds": 0.5},
    "ws_drop": {"rate": 0.01},
    "ws_freeze": {"rate": 0.01, "seconds": 0.5},
    "stale_prices": {"rate": 0.01, "seconds": 0.3},
    "price_gap": {"rate": 0.01, "pct": -1.0},
    "crash": {"rate": 0.004, "seconds": 0.5},
}


class CampaignReport(msgspec.Struct, frozen=True):
    submissions: int
    journaled: int
    accepted_by_exchange: int
    outcomes: dict[str, int]
    faults_fired: dict[str, int]
    duplicates: list[str]
    strays: list[str]
    lost_fills: list[str]
    invented_fills: list[str]
    state_mismatches: list[str]
    still_in_doubt: list[str]
    integrity: list[str]
    seconds: float

    @property
    def ok(self) -> bool:
        return not (
            self.duplicates
            or self.strays
            or self.lost_fills
            or self.invented_fills
            or self.state_mismatches
            or self.still_in_doubt
            or self.integrity
        )


def campaign_config(seed: int) -> Config:
    return parse_config(CAMPAIGN_CONFIG.format(seed=seed).encode(), source="campaign").config


async def run_campaign(submissions: int, seed: int, workdir: Path) -> CampaignReport:
    """Trade ``submissions`` times under faults, settle, and check the invariants."""
    config = campaign_config(seed)
    db = Database(workdir / "campaign.sqlite3")
    events: list[DaemonEvent] = []
    started = time.monotonic()
    try:
        switch = await TradingSwitch.load(db)
        stack = VenueStack(
            config=config,
            db=db,
            switch=switch,
            events=events.append,
            now_ms=now_ms,
            account_label="campaign",
        )
        async with anyio.create_task_group() as tg:
            await tg.start(stack.run)
            await stack.ready.wait()
            assert stack.sim is not None and stack.path is not None
            sim = stack.sim
            for name, options in FAULTS.items():
                sim.faults.set(name, **options)  # type: ignore[arg-type]
            outcomes = await _trade(stack, submissions, random.Random(seed))
            sim.faults.clear()
            await _settle(stack)
            report = await _check(stack, sim, submissions, outcomes, started)
            tg.cancel_scope.cancel()
        return report
    finally:
        db.close()


async def _trade(stack: VenueStack, submissions: int, rng: random.Random) -> dict[str, int]:
    path = stack.path
    assert path is not None and stack.sim is not None
    outcomes: dict[str, int] = {}
    sent = 0

    def count(key: str) -> None:
        outcomes[key] = outcomes.get(key, 0) + 1

    async def worker() -> None:
        nonlocal sent
        while sent < submissions:
            if rng.random() < 0.2:
                live = await path.db.call(journal.live_orders)
                open_ones = [o for o in live if o.state is OrderState.OPEN]
                if open_ones:
                    outcome, _, _ = await path.cancel(rng.choice(open_ones).client_order_id)
                    count(f"cancel:{outcome}")
                    continue
            (result,) = await path.submit([_random_intent(stack, rng)])
            if result.order is None:  # refused before the journal: not a submission
                count(f"refused:{result.code}")
                await anyio.sleep(0.02)
                continue
            sent += 1
            count(result.outcome)

    async with anyio.create_task_group() as tg:
        for _ in range(4):
            tg.start_soon(worker)
    return outcomes


def _random_intent(stack: VenueStack, rng: random.Random) -> OrderIntent:
    symbol = rng.choice(stack.symbols)
    quote = stack.quotes.get(symbol)
    mid = quote.mid if quote else 100.0
    side = rng.choice([Side.BUY, Side.SELL])
    qty = (
        round(rng.uniform(0.002, 0.02), 4)
        if symbol.startswith("BTC")
        else round(rng.uniform(0.02, 0.3), 3)
    )
    if rng.random() < 0.5:
        return OrderIntent(symbol=symbol, side=side, qty=qty, type=OrderType.MARKET, source="c")
    offset = rng.uniform(-0.004, 0.004)
    price = round(mid * (1 + offset), 2)
    return OrderIntent(
        symbol=symbol, side=side, qty=qty, type=OrderType.LIMIT, price=price, source="c"
    )


async def _settle(stack: VenueStack) -> None:
    """No faults now: resolve every doubt, reconcile, pull fills, as a restart would."""
    path, resolver, sync = stack.path, stack.resolver, stack.sync
    assert path is not None and resolver is not None and sync is not None
    deadline = time.monotonic() + 60
    while path.sending or await resolver.resolve_once():
        if time.monotonic() > deadline:
            break
        await anyio.sleep(0.2)
    await reconcile(path, resolver, stack.symbols)
    await sync.poll_once()
    # what the streams still carry: let the account sync apply it
    await anyio.sleep(0.5)
    await sync.poll_once()


_STATES = {
    "NEW": OrderState.OPEN,
    "PARTIALLY_FILLED": OrderState.PARTIALLY_FILLED,
    "FILLED": OrderState.FILLED,
    "CANCELED": OrderState.CANCELLED,
    "EXPIRED": OrderState.EXPIRED,
    "EXPIRED_IN_MATCH": OrderState.EXPIRED,
    "REJECTED": OrderState.REJECTED,
}


async def _check(
    stack: VenueStack,
    sim: SimHandle,
    submissions: int,
    outcomes: dict[str, int],
    started: float,
) -> CampaignReport:
    path = stack.path
    assert path is not None
    orders = {o.client_order_id: o for o in await path.db.call(journal.recent_orders, 10**9)}
    engine = sim.engine
    duplicates = [cid for cid in orders if sim.accepted_count(cid) > 1]
    strays = [
        o.client_order_id
        for o in engine.orders.values()
        if is_ours(o.client_order_id, path.ns) and o.client_order_id not in orders
    ]
    ours_xids = {
        int(o.exchange_order_id)
        for o in orders.values()
        if o.exchange_order_id and o.exchange_order_id.isdigit()
    }
    ours_xids |= {x.order_id for cid in orders for x in engine.orders_by_client_id(cid)}
    exchange_fills = {
        (_unified(engine, f.symbol), str(f.id)): f for f in engine.fills if f.order_id in ours_xids
    }
    journal_fills = {(f.symbol, f.trade_id): f for f in await path.db.call(journal.all_fills)}
    lost = sorted(f"{s}:{t}" for s, t in exchange_fills.keys() - journal_fills.keys())
    invented = sorted(f"{s}:{t}" for s, t in journal_fills.keys() - exchange_fills.keys())
    mismatches = []
    for cid, order in orders.items():
        placed = engine.orders_by_client_id(cid)
        if not placed:
            if order.state not in (OrderState.REJECTED, OrderState.EXPIRED):
                mismatches.append(f"{cid}: journal {order.state.value}, exchange has none")
            continue
        x = placed[-1]
        want = _STATES.get(x.status)
        filled = float(x.executed_qty)
        if want is not order.state or abs(filled - order.filled_qty) > 1e-9:
            mismatches.append(
                f"{cid}: journal {order.state.value} {order.filled_qty}, exchange {x.status} "
                f"{filled}"
            )
    doubt = [
        cid for cid, o in orders.items() if o.state in (OrderState.UNKNOWN, OrderState.PENDING)
    ]
    return CampaignReport(
        submissions=submissions,
        journaled=len(orders),
        accepted_by_exchange=sum(1 for cid in orders if sim.accepted_count(cid)),
        outcomes=dict(sorted(outcomes.items())),
        faults_fired=dict(sorted(sim.faults.fired.items())),
        duplicates=duplicates,
        strays=strays,
        lost_fills=lost,
        invented_fills=invented,
        state_mismatches=mismatches,
        still_in_doubt=doubt,
        integrity=await path.db.call(journal.integrity_problems),
        seconds=time.monotonic() - started,
    )


def _unified(engine: Engine, symbol: str) -> str:
    spec = engine.markets[symbol].spec
    return f"{spec.base}/{spec.quote}"
