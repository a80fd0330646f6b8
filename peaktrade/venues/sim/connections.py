"""One websocket connection: its subscriptions, a bounded send queue, and its fault state.

A connection's own task drains the queue, so pushing never waits on a slow reader (one that
falls too far behind is disconnected, as Binance does); closing goes through that task too.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import anyio
import msgspec
from aiohttp import WSCloseCode, WSMsgType, web

_QUEUE = 4096


class Connection:
    """One websocket: what it subscribed to, its send queue, and fault state."""

    def __init__(
        self, ws: web.WebSocketResponse, transport: asyncio.Transport | None, *, combined: bool
    ) -> None:
        self.ws = ws
        self._transport = transport
        self.combined = combined
        self.streams: set[str] = set()
        self.listen_keys: set[str] = set()
        self.subscription_id: int | None = None
        """WebSocket API user-data subscription, if any."""
        self.frozen_until = 0.0
        self._send, self._receive = anyio.create_memory_object_stream[bytes](_QUEUE)
        self._close_code: int | None = None
        self._closing = anyio.Event()

    @property
    def frozen(self) -> bool:
        return time.monotonic() < self.frozen_until

    def push(self, payload: bytes) -> None:
        if self.frozen or self._closing.is_set():
            return
        try:
            self._send.send_nowait(payload)
        except anyio.WouldBlock:
            self.close(WSCloseCode.POLICY_VIOLATION)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            pass  # the client went away between two ticks: its sender is gone, nothing to do

    def push_json(self, message: object) -> None:
        self.push(msgspec.json.encode(message))

    def close(self, code: int = WSCloseCode.GOING_AWAY) -> None:
        """Ask the connection's own task to close it (sends a close frame)."""
        self._close_code = code
        self._closing.set()

    def abort(self) -> None:
        """Tear the TCP connection down without a close frame, as a crash would."""
        if self._transport is not None:
            self._transport.abort()
        self._closing.set()

    async def serve(self, on_text: Callable[[str], Awaitable[None]]) -> None:
        """Run until the peer leaves or the hub closes us: read, answer pings, send."""

        async def pump() -> None:
            try:
                async with self._receive:
                    async for payload in self._receive:
                        await self.ws.send_frame(payload, WSMsgType.TEXT)
            except ConnectionError:
                tg.cancel_scope.cancel()

        async def closer() -> None:
            await self._closing.wait()
            if self._close_code is not None and not self.ws.closed:
                with anyio.move_on_after(2):
                    await self.ws.close(code=self._close_code)
            tg.cancel_scope.cancel()

        async with anyio.create_task_group() as tg:
            tg.start_soon(pump)
            tg.start_soon(closer)
            try:
                async for msg in self.ws:
                    if msg.type == WSMsgType.TEXT:
                        await on_text(msg.data)
                    elif msg.type == WSMsgType.PING and not self.frozen:
                        await self.ws.pong(msg.data)
            except ConnectionError:
                pass
            tg.cancel_scope.cancel()
