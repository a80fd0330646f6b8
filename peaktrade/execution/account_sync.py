"""Keeping the journal in step with the venue: stream updates in, REST polling as the net.

Updates from the private stream (or the paper broker) are applied in arrival order by one
task. When the stream is off, has been quiet too long, or has just reconnected (what happened
while it was down is never replayed), live orders are polled and recent fills fetched over
REST, so neither a silent stream nor a dropped one can hide a fill.
"""

from __future__ import annotations

import time

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from peaktrade.core.orders import OrderState
from peaktrade.execution.engine import OrderPath
from peaktrade.log import get_logger
from peaktrade.store import journal
from peaktrade.venues.config import AccountSyncConfig
from peaktrade.venues.executor import VenueUpdate
from peaktrade.venues.streams import StreamHealth

log = get_logger("peaktrade.account_sync")

_BUFFER = 10_000


class UpdateChannel:
    """Where stream readers and the paper broker put what the venue told them; never blocks."""

    def __init__(self) -> None:
        send: MemoryObjectSendStream[VenueUpdate]
        receive: MemoryObjectReceiveStream[VenueUpdate]
        send, receive = anyio.create_memory_object_stream[VenueUpdate](max_buffer_size=_BUFFER)
        self.send, self.receive = send, receive
        self.overflowed = False

    def publish(self, update: VenueUpdate) -> None:
        try:
            self.send.send_nowait(update)
        except anyio.WouldBlock:
            self.overflowed = True  # the next poll re-reads everything from REST
            log.error("account_updates_overflow", buffer=_BUFFER)


class AccountSync:
    def __init__(
        self,
        path: OrderPath,
        channel: UpdateChannel,
        config: AccountSyncConfig,
        symbols: list[str],
        lookback_s: float,
        stream_health: StreamHealth | None = None,
    ) -> None:
        self.path = path
        self.channel = channel
        self.config = config
        self.symbols = symbols
        self.lookback_s = lookback_s
        self.stream_health = stream_health
        self.polls = 0
        self.last_poll = 0.0

    async def run(self) -> None:
        async with anyio.create_task_group() as tg:
            tg.start_soon(self._consume)
            tg.start_soon(self._poll_loop)

    async def _consume(self) -> None:
        async with self.channel.receive:
            async for update in self.channel.receive:
                try:
                    await self.path.apply_update(update, kind="stream")
                except Exception:
                    log.exception("account_update_failed")

    async def _poll_loop(self) -> None:
        while True:
            await anyio.sleep(self.config.poll_interval_s)
            if self._needs_poll():
                try:
                    await self.poll_once()
                except Exception as exc:
                    log.warning("account_poll_failed", error=type(exc).__name__)

    def _needs_poll(self) -> bool:
        if (
            self.channel.overflowed
            or not self.config.use_private_stream
            or self.stream_health is None
        ):
            return True
        health = self.stream_health
        if health.recent_reconnects and (
            time.monotonic() - health.recent_reconnects[-1] < self.config.quiet_after_s
        ):
            return True  # a reconnect is a gap the stream never replays: REST fills it
        return health.quiet_for() >= self.config.quiet_after_s

    async def poll_once(self) -> int:
        """Look up every open order and fetch recent fills; returns fills newly applied."""
        self.channel.overflowed = False
        path = self.path
        book = path.executor.name  # the venue is asked about its own orders only
        open_orders = await path.db.call(
            journal.orders_in, [OrderState.OPEN, OrderState.PARTIALLY_FILLED], executor=book
        )
        for order in open_orders:
            result = await path.executor.lookup(order)
            if result.found and result.report is not None:
                await path.apply_update(VenueUpdate(report=result.report), kind="poll")
        since = await path.db.call(journal.fill_cursor_ms, path.now_ms(), executor=book) - int(
            self.lookback_s * 1000
        )
        symbols = sorted({o.intent.symbol for o in open_orders} | set(self.symbols))
        new = 0
        for vf in await path.executor.fills_since(symbols, since):
            new += await path.apply_fill(vf)
        self.polls += 1
        self.last_poll = time.monotonic()
        return new
