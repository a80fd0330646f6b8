"""The divergence recorder: measures each fill against its intended price, as it happens.

Listeners (quotes, fills, orders) only queue, never block or raise; one task looks the order
up in the journal, computes the sample and keeps it in the state database, so the promotion
check covers the whole stage across restarts. See ``divergence`` for the definition.
"""

from __future__ import annotations

from collections.abc import Callable

import anyio
import msgspec
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from peaktrade.core.model import Fill, Quote
from peaktrade.core.orders import JournalOrder, OrderState
from peaktrade.log import get_logger
from peaktrade.stages import store
from peaktrade.stages.divergence import (
    QuoteTrail,
    Sample,
    intended_price,
    shadow_fill_price,
)
from peaktrade.store import journal
from peaktrade.store.db import Database

log = get_logger("peaktrade.divergence")

_BUFFER = 10_000


class _Job(msgspec.Struct, frozen=True):
    stage: str
    executor: str
    at_ms: int
    fill: Fill | None = None
    order: JournalOrder | None = None


class DivergenceRecorder:
    def __init__(
        self,
        db: Database,
        *,
        stage: Callable[[], tuple[str, str]],  # (stage, executor name) right now
        slippage_bps: Callable[[], float],
        now_ms: Callable[[], int],
    ) -> None:
        self.db = db
        self.stage = stage
        self.slippage_bps = slippage_bps
        self.now_ms = now_ms
        self.trail = QuoteTrail()
        self.recorded = 0
        self.dropped = 0
        send: MemoryObjectSendStream[_Job]
        receive: MemoryObjectReceiveStream[_Job]
        send, receive = anyio.create_memory_object_stream[_Job](max_buffer_size=_BUFFER)
        self._send, self._receive = send, receive

    # --- listeners (sync, on the event loop) --------------------------------------------

    def on_quote(self, quote: Quote) -> None:
        try:
            self.trail.record(quote.symbol, quote.bid, quote.ask, self.now_ms())
        except Exception:
            log.exception("divergence_quote_failed")

    def on_fill(self, fill: Fill) -> None:
        stage, executor = self.stage()
        self._queue(_Job(stage, executor, self.now_ms(), fill=fill))

    def on_order(self, order: JournalOrder) -> None:
        """Shadow orders never fill: the paper broker's fill on their quote is measured."""
        if order.executor == "shadow" and order.state is OrderState.EXPIRED:
            stage, executor = self.stage()
            self._queue(_Job(stage, executor, self.now_ms(), order=order))

    def _queue(self, job: _Job) -> None:
        try:
            self._send.send_nowait(job)
        except Exception:
            self.dropped += 1  # a full queue loses a sample, never a trade

    # --- the task -----------------------------------------------------------------------

    async def run(self) -> None:
        async with self._receive:
            async for job in self._receive:
                try:
                    sample = await self._sample(job)
                    if sample is not None:
                        self.recorded += await self.db.call(store.add_samples, [sample])
                except Exception:
                    log.exception("divergence_sample_failed")

    async def _sample(self, job: _Job) -> Sample | None:
        if job.fill is not None:
            order = await self.db.call(journal.get_order, job.fill.client_order_id)
            if order is None or order.executor != job.executor:
                return None  # an order of another stage, or not ours
            book = self.trail.at(order.intent.symbol, order.created_ms)
            mid = (book[0] + book[1]) / 2 if book else None
            intended = intended_price(order.intent, mid)
            if intended is None:
                return None
            fill = job.fill
            return Sample(
                key=f"{fill.symbol}:{fill.trade_id}",
                ts_ms=job.at_ms,
                stage=job.stage,
                client_order_id=order.client_order_id,
                symbol=fill.symbol,
                side=fill.side,
                qty=fill.qty,
                intended=intended,
                price=fill.price,
            )
        order = job.order
        assert order is not None
        book = self.trail.at(order.intent.symbol, order.created_ms)
        if book is None:
            return None
        bid, ask = book
        price = shadow_fill_price(order.intent, bid, ask, self.slippage_bps())
        intended = intended_price(order.intent, (bid + ask) / 2)
        if price is None or intended is None:
            return None
        return Sample(
            key=order.client_order_id,
            ts_ms=job.at_ms,
            stage=job.stage,
            client_order_id=order.client_order_id,
            symbol=order.intent.symbol,
            side=order.intent.side,
            qty=order.intent.qty,
            intended=intended,
            price=price,
        )
