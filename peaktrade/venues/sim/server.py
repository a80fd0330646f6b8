"""The simulator's lifecycle: listen, tick, inject tick faults, crash and come back, shut down.

``serve_sim`` runs inside the caller's anyio task group (the daemon embeds it on its own
loop): it reports a ``SimHandle`` once listening and serves until cancelled.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal

import anyio
import anyio.abc
from aiohttp import web

from peaktrade.venues.sim import admin, rest_market, rest_trade, ticks
from peaktrade.venues.sim.ccxt_options import ccxt_config
from peaktrade.venues.sim.faults import FaultController
from peaktrade.venues.sim.gateway import gateway, reset_transport
from peaktrade.venues.sim.matching import Engine
from peaktrade.venues.sim.orders import Fill, Order
from peaktrade.venues.sim.prices import load_price_script
from peaktrade.venues.sim.settings import SimSettings
from peaktrade.venues.sim.streams import StreamHub
from peaktrade.venues.sim.weights import RateLimiter
from peaktrade.venues.sim.wsapi import ws_api


class SimHandle:
    """What a running simulator offers its embedder: URLs, credentials, faults, state."""

    def __init__(
        self, settings: SimSettings, port: int, engine: Engine, hub: StreamHub, server: _Server
    ) -> None:
        host = settings.host
        self.settings = settings
        self.port = port
        self.rest_url = f"http://{host}:{port}"
        self.ws_url = f"ws://{host}:{port}/ws"
        self.ws_api_url = f"ws://{host}:{port}/ws-api/v3"
        self.api_key = settings.api_key
        self.api_secret = settings.api_secret
        self.faults: FaultController = server.faults
        self.engine = engine
        """Read access to the matching engine (orders, fills, balances, books, markets)."""
        self.hub = hub
        self._server = server

    @property
    def crashed(self) -> bool:
        return self._server.crashed

    def ccxt_config(self) -> dict[str, object]:
        return ccxt_config(self.rest_url, self.ws_url, self.api_key, self.api_secret)

    def orders_by_client_id(self, client_order_id: str) -> list[Order]:
        return self.engine.orders_by_client_id(client_order_id)

    def accepted_count(self, client_order_id: str) -> int:
        """Orders ever accepted with this clientOrderId (0 duplicates means at most 1)."""
        return self.engine.accepted[client_order_id]

    def balances(self) -> dict[str, tuple[Decimal, Decimal]]:
        b = self.engine.balances
        return {asset: (b.free[asset], b.locked[asset]) for asset in b.free}

    def trades(self) -> list[Fill]:
        return list(self.engine.fills)

    def last_price(self, symbol: str) -> Decimal:
        return self.engine.market(symbol).last


class _Server:
    """The listening socket and what a crash does to it."""

    def __init__(self, settings: SimSettings, faults: FaultController, hub: StreamHub) -> None:
        self.settings = settings
        self.faults = faults
        self.hub = hub
        self.crashed = False
        self.runner: web.AppRunner | None = None
        self.site: web.TCPSite | None = None
        self.port = settings.port

    async def listen(self) -> None:
        assert self.runner is not None
        self.site = web.TCPSite(self.runner, self.settings.host, self.port, reuse_address=True)
        await self.site.start()
        self.port = self.runner.addresses[-1][1]

    async def crash(self, seconds: float) -> None:
        """Drop every connection with a reset, refuse new ones for ``seconds``, come back."""
        assert self.runner is not None and self.runner.server is not None
        self.crashed = True
        try:
            if self.site is not None:
                await self.site.stop()
            for handler in self.runner.server.connections:
                reset_transport(handler.transport)
            self.hub.abort_all()
            await anyio.sleep(seconds)
            await self.listen()
        finally:
            self.crashed = False


async def serve_sim(
    settings: SimSettings,
    *,
    task_status: anyio.abc.TaskStatus[SimHandle] = anyio.TASK_STATUS_IGNORED,
) -> None:
    """Run the simulator until cancelled; ``task_status.started(handle)`` once listening."""
    faults = FaultController(settings.seed)

    def now_ms() -> int:
        return int(time.time() * 1000) + faults.clock_skew_ms

    script = load_price_script(settings.prices_file) if settings.prices_file else None
    engine = Engine(settings, now_ms, script)
    hub = StreamHub(engine, now_ms, settings.ticker_interval_s)
    limiter = RateLimiter(
        limit=settings.weight_limit,
        window_s=settings.weight_window_s,
        ban_after=settings.ban_after_violations,
        ban_base_s=settings.ban_base_s,
        ban_max_s=settings.ban_max_s,
    )
    server = _Server(settings, faults, hub)

    def flush() -> None:
        events, trades = engine.drain()
        hub.publish_user(events)
        hub.publish_trades(trades)

    app = web.Application(
        middlewares=[
            gateway(
                api_key=settings.api_key,
                api_secret=settings.api_secret,
                now_ms=now_ms,
                limiter=limiter,
                faults=faults,
                crashed=lambda: server.crashed,
                on_commit=flush,
            )
        ]
    )
    app.add_routes(rest_market.routes(engine, now_ms, settings.weight_limit))
    app.add_routes(rest_trade.routes(engine, hub))
    app.add_routes(admin.routes(faults, engine, lambda: server.crashed, limiter))
    app.router.add_get("/ws", hub.raw_stream)
    app.router.add_get("/ws/{name:.+}", hub.raw_stream)
    app.router.add_get("/stream", hub.combined_stream)
    app.router.add_get("/ws-api/v3", ws_api(hub, settings, now_ms, limiter))

    async def close_websockets(_: web.Application) -> None:
        hub.drop_all()

    app.on_shutdown.append(close_websockets)
    server.runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=1.0)
    await server.runner.setup()
    try:
        await server.listen()
        handle = SimHandle(settings, server.port, engine, hub, server)
        async with anyio.create_task_group() as tg:
            tg.start_soon(_tick_loop, settings, engine, hub, server, flush)
            task_status.started(handle)
    finally:
        with anyio.CancelScope(shield=True):
            await server.runner.cleanup()


async def _tick_loop(
    settings: SimSettings,
    engine: Engine,
    hub: StreamHub,
    server: _Server,
    flush: Callable[[], None],
) -> None:
    faults = server.faults
    interval = settings.tick_interval_s
    stale_until = 0.0
    deadline = anyio.current_time()
    while True:
        deadline = max(deadline + interval, anyio.current_time())
        await anyio.sleep_until(deadline)
        crash = faults.fire("crash")
        if crash is not None:
            await server.crash(crash.seconds)
            deadline = anyio.current_time()
            continue
        if faults.fire("ws_drop") is not None:
            hub.drop_all()
        freeze = faults.fire("ws_freeze")
        if freeze is not None:
            hub.freeze_all(freeze.seconds)
        feed_freeze = faults.fire("feed_freeze")
        if feed_freeze is not None:
            hub.freeze_all(feed_freeze.seconds, include_new=True)
        stale = faults.fire("stale_prices")
        if stale is not None:
            stale_until = max(stale_until, time.monotonic() + stale.seconds)
        gap = faults.fire("price_gap")
        if gap is not None:
            for symbol in [gap.symbol.upper()] if gap.symbol else list(engine.markets):
                if symbol in engine.markets:
                    ticks.gap(engine, symbol, gap.pct)
        ticks.tick(engine, interval, frozen=time.monotonic() < stale_until)
        hub.expire_listen_keys()
        flush()
        hub.corruption = faults.fire("corrupt_ticker")
        hub.on_tick()
        hub.corruption = None
