"""The fault campaign: many orders against a misbehaving simulator, then the invariants.

The daemon's own venue stack (real ccxt, real journal, real resolver and account sync) trades
against the embedded simulator with every fault type switched on at random. Afterwards the
faults stop, open orders are cancelled, doubts are resolved, the journal is reconciled, and the
campaign checks what must hold: no order placed twice, no fill lost or invented, the journal
equal to the exchange (``peaktrade.drills.invariants``).
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import anyio
import msgspec

from peaktrade.config import Config, parse_config
from peaktrade.core.events import DaemonEvent
from peaktrade.core.model import OrderIntent, OrderType, Side
from peaktrade.core.orders import OrderState
from peaktrade.daemon.clock import now_ms
from peaktrade.daemon.trading import TradingSwitch
from peaktrade.daemon.venue_stack import VenueStack
from peaktrade.drills.exchange_record import from_engine
from peaktrade.drills.invariants import Violations, compare
from peaktrade.execution.kill_actions import cancel_open
from peaktrade.execution.reconcile import reconcile
from peaktrade.store import journal
from peaktrade.store.db import Database
from peaktrade.venues.sim import SimHandle

# Exchange-failure kill triggers and order-rate limits are off: they would (rightly) halt
# trading under this much failure, and the campaign is about what the order path does through
# it. A short simulator ban keeps a 418 from parking the campaign for minutes.
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
not_found_grace_s = 0.5
resolve_bound_s = 30.0
[account_sync]
poll_interval_s = 2.0
quiet_after_s = 5.0
[market_data]
stale_after_s = 30.0
reconnect_base_s = 0.1
reconnect_cap_s = 1.0
[live_risk]
max_orders_per_second = 0
max_orders_per_minute = 0
[live_risk.kill]
max_consecutive_exchange_failures = 0
max_exchange_error_rate = 0
[logging]
level = "warning"
[sim]
seed = {seed}
tick_interval_s = 0.05
ticker_interval_s = 0.2
volatility = 0.002
ban_base_s = 1.0
ban_max_s = 2.0
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
    "ws_drop": {"rate": 0.005},
    "ws_freeze": {"rate": 0.005, "seconds": 0.5},
    "feed_freeze": {"rate": 0.002, "seconds": 0.5},
    "stale_prices": {"rate": 0.01, "seconds": 0.3},
    "price_gap": {"rate": 0.01, "pct": -1.0},
    "corrupt_ticker": {"rate": 0.01},
    "crash": {"rate": 0.002, "seconds": 0.5},
}
CLOCK_SKEW_MS = -30_000
"""``clock_skew`` is a state, not a roll: the campaign switches it on and off at random."""
WORKERS = 8
"""Concurrent submitters: enough to keep orders in flight while others wait on a doubt."""
SECONDS_PER_ORDER = 0.2
"""A campaign that cannot place its orders at this pace (at least 4 minutes) stops and reports
what it managed: a wedge shows as a short count, not as a hang."""


class CampaignReport(msgspec.Struct, frozen=True):
    submissions: int  # asked for
    journaled: int  # orders in the journal at the end
    accepted_by_exchange: int
    outcomes: dict[str, int]
    faults_fired: dict[str, int]  # includes clock_skew: how often it was switched on
    violations: Violations
    integrity: list[str]
    state_after_trading: str
    seconds: float

    @property
    def ok(self) -> bool:
        return self.violations.ok and not self.integrity


def campaign_config(seed: int) -> Config:
    return parse_config(CAMPAIGN_CONFIG.format(seed=seed).encode(), source="campaign").config


async def run_campaign(submissions: int, seed: int, workdir: Path) -> CampaignReport:
    """Trade ``submissions`` times under faults, settle, and check the invariants.

    The soak runs the same with 10,000 and more (``bench/soak_campaigns.py``).
    """
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
            rng = random.Random(seed)
            skews = 0
            async with anyio.create_task_group() as trading:

                async def skew_clock() -> None:
                    nonlocal skews
                    while True:
                        await anyio.sleep(rng.uniform(2.0, 4.0))
                        sim.faults.skew_clock(CLOCK_SKEW_MS)
                        skews += 1
                        await anyio.sleep(rng.uniform(0.2, 0.6))
                        sim.faults.skew_clock(0)
                        if sim.faults.fired["price_gap"]:  # gaps both ways: prices stay put
                            gap = {**FAULTS["price_gap"], "pct": rng.choice((-1.0, 1.0))}
                            sim.faults.set("price_gap", **gap)

                trading.start_soon(skew_clock)
                outcomes = await _trade(stack, submissions, rng)
                trading.cancel_scope.cancel()
            state = stack.switch.state.value
            sim.faults.clear()
            await _settle(stack)
            report = await _check(stack, sim, submissions, outcomes, started, skews, state)
            tg.cancel_scope.cancel()
        return report
    finally:
        db.close()


async def _trade(stack: VenueStack, submissions: int, rng: random.Random) -> dict[str, int]:
    path, sim = stack.path, stack.sim
    assert path is not None and sim is not None
    outcomes: dict[str, int] = {}
    sent = 0
    deadline = time.monotonic() + max(240.0, submissions * SECONDS_PER_ORDER)

    def count(key: str) -> None:
        outcomes[key] = outcomes.get(key, 0) + 1

    async def worker() -> None:
        nonlocal sent
        while (sent < submissions or _unfired(sim)) and time.monotonic() < deadline:
            if sent >= submissions * 3 // 4:
                _force_unfired(sim)
            if rng.random() < 0.1:
                live = await path.db.call(journal.live_orders, executor="exchange")
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
            if result.code == "venue.backoff":  # as a strategy would: no hammering meanwhile
                await _backoff_over(stack)

    async with anyio.create_task_group() as tg:
        for _ in range(WORKERS):
            tg.start_soon(worker)
    return outcomes


def _unfired(sim: SimHandle) -> list[str]:
    return [name for name in FAULTS if not sim.faults.fired[name]]


def _force_unfired(sim: SimHandle) -> None:
    """Late in the campaign, a fault that has not fired yet gets one sure shot."""
    for name in _unfired(sim):
        if not any(f.name == name and f.count == 1 for f in sim.faults.active()):
            sim.faults.set(name, **{**FAULTS[name], "rate": 1.0, "count": 1})  # type: ignore[arg-type]


async def _backoff_over(stack: VenueStack) -> None:
    venue = stack.venue
    assert venue is not None
    while venue.backed_off:  # noqa: ASYNC110 - the venue has no event for it; poll briefly
        await anyio.sleep(0.05)


def _random_intent(stack: VenueStack, rng: random.Random) -> OrderIntent:
    symbol = rng.choice(stack.symbols)
    quote = stack.quotes.get(symbol)
    mid = quote.mid if quote else 100.0
    side = rng.choice([Side.BUY, Side.SELL])
    qty = (
        round(rng.uniform(0.002, 0.02), 4)
        if symbol.startswith("BTC")
        else round(rng.uniform(0.02, 0.3), 3)
        if not symbol.startswith("XRP")
        else round(rng.uniform(20, 200), 1)
    )
    if rng.random() < 0.5:
        return OrderIntent(symbol=symbol, side=side, qty=qty, type=OrderType.MARKET, source="c")
    offset = rng.uniform(-0.004, 0.004)
    price = round(mid * (1 + offset), 4 if symbol.startswith("XRP") else 2)
    return OrderIntent(
        symbol=symbol, side=side, qty=qty, type=OrderType.LIMIT, price=price, source="c"
    )


async def _settle(stack: VenueStack) -> None:
    """No faults now: cancel what rests, resolve every doubt, reconcile, pull fills.

    Cancelling first makes the exchange side still: nothing of ours can fill while checking.
    """
    path, resolver, sync, venue = stack.path, stack.resolver, stack.sync, stack.venue
    assert path is not None and resolver is not None and sync is not None and venue is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        await _backoff_over(stack)  # a 429/418 from the campaign: wait out its Retry-After
        try:
            if path.sending or await resolver.resolve_once():
                await anyio.sleep(0.2)
                continue
            await cancel_open(path)
            if await path.db.call(journal.count_live, executor="exchange"):
                await anyio.sleep(0.2)
                continue
            await reconcile(path, resolver, stack.symbols)
            await sync.poll_once()
        except Exception:  # a straggling fault effect (a ban, a dropped stream): try again
            await anyio.sleep(0.2)
            continue
        # what the streams still carry: let the account sync apply it, then poll once more
        await anyio.sleep(0.5)
        await sync.poll_once()
        return


async def _check(
    stack: VenueStack,
    sim: SimHandle,
    submissions: int,
    outcomes: dict[str, int],
    started: float,
    skews: int,
    state: str,
) -> CampaignReport:
    path = stack.path
    assert path is not None
    orders = await path.db.call(journal.recent_orders, 10**9)
    fills = await path.db.call(journal.all_fills, executor="exchange")
    fired = dict(sim.faults.fired)
    if skews:
        fired["clock_skew"] = skews
    return CampaignReport(
        submissions=submissions,
        journaled=len(orders),
        accepted_by_exchange=sum(1 for o in orders if sim.accepted_count(o.client_order_id)),
        outcomes=dict(sorted(outcomes.items())),
        faults_fired=dict(sorted(fired.items())),
        violations=compare(orders, fills, from_engine(sim.engine), path.ns),
        integrity=await path.db.call(journal.integrity_problems),
        state_after_trading=state,
        seconds=time.monotonic() - started,
    )
