"""The shadow executor: orders are risk-checked and journaled, then go nowhere.

It answers like a venue that expires every order at once, so the order path stays uniform.
"""

from __future__ import annotations

from collections.abc import Callable

from peaktrade.core.orders import ExchangeOrderReport, JournalOrder, OrderState, Outcome
from peaktrade.venues.executor import CancelResult, LookupResult, SubmitResult, VenueFill

NOT_SENT = "shadow.journal_only"


class ShadowExecutor:
    name = "shadow"
    native_oco = False  # the daemon emulates OCO and brackets here

    def __init__(self, now_ms: Callable[[], int]) -> None:
        self.now_ms = now_ms

    async def submit(self, order: JournalOrder) -> SubmitResult:
        return SubmitResult(Outcome.ACCEPTED, report=self._expired(order), code=NOT_SENT)

    async def cancel(self, order: JournalOrder) -> CancelResult:
        return CancelResult(Outcome.ACCEPTED, report=self._expired(order), code=NOT_SENT)

    async def lookup(self, order: JournalOrder) -> LookupResult:
        return LookupResult(found=True, report=self._expired(order), code=NOT_SENT)

    async def cancel_all(self, symbol: str) -> list[ExchangeOrderReport]:
        return []

    async def open_orders(self, symbols: list[str]) -> list[ExchangeOrderReport]:
        return []

    async def fills_since(self, symbols: list[str], since_ms: int) -> list[VenueFill]:
        return []

    async def submit_oco(self, legs: list[JournalOrder]) -> list[SubmitResult]:
        raise NotImplementedError("emulated by the daemon (native_oco is False)")

    async def cancel_foreign(self, report: ExchangeOrderReport) -> bool:
        return False

    def _expired(self, order: JournalOrder) -> ExchangeOrderReport:
        return ExchangeOrderReport(
            client_order_id=order.client_order_id,
            exchange_order_id=f"shadow-{order.seq}",
            symbol=order.intent.symbol,
            state=OrderState.EXPIRED,
            filled_qty=0.0,
            avg_fill_price=None,
            ts_ms=self.now_ms(),
        )
