"""The one interface every executor implements: shadow, paper and exchange.

The order path above it is identical in every mode; only what ``submit`` does differs.
"""

from __future__ import annotations

from typing import Protocol

import msgspec

from peaktrade.core.model import Fill
from peaktrade.core.orders import ExchangeOrderReport, JournalOrder, Outcome


class VenueFill(msgspec.Struct, frozen=True):
    """A trade as a venue reports it; the journal maps the exchange order id to our id."""

    exchange_order_id: str
    client_order_id: str  # may be empty when the venue does not report it
    fill: Fill


class SubmitResult(msgspec.Struct, frozen=True):
    outcome: Outcome
    report: ExchangeOrderReport | None = None
    code: str = ""
    message: str = ""
    fills: tuple[VenueFill, ...] = ()  # immediate executions, when the venue reports them


class LookupResult(msgspec.Struct, frozen=True):
    """``found`` with a report, ``not_found`` (the venue answered: no such order) or an error."""

    found: bool
    report: ExchangeOrderReport | None = None
    not_found: bool = False
    code: str = ""
    message: str = ""


class CancelResult(msgspec.Struct, frozen=True):
    outcome: Outcome
    report: ExchangeOrderReport | None = None
    code: str = ""
    message: str = ""


class VenueUpdate(msgspec.Struct, frozen=True):
    """Something the venue told us on its own (stream or paper matching)."""

    report: ExchangeOrderReport | None = None
    fills: tuple[VenueFill, ...] = ()


class Executor(Protocol):
    """Where orders go after the journal."""

    name: str  # "shadow", "paper", "exchange"

    @property
    def native_oco(self) -> bool:
        """One request places both legs and the venue cancels the other on a fill."""
        ...

    async def submit(self, order: JournalOrder) -> SubmitResult: ...

    async def submit_oco(self, legs: list[JournalOrder]) -> list[SubmitResult]:
        """Native OCO (only called when ``native_oco``): one result per leg, in order."""
        ...

    async def cancel(self, order: JournalOrder) -> CancelResult: ...

    async def lookup(self, order: JournalOrder) -> LookupResult: ...

    async def cancel_all(self, symbol: str) -> list[ExchangeOrderReport]: ...

    async def open_orders(self, symbols: list[str]) -> list[ExchangeOrderReport]: ...

    async def fills_since(self, symbols: list[str], since_ms: int) -> list[VenueFill]: ...

    async def cancel_foreign(self, report: ExchangeOrderReport) -> bool:
        """Cancel an order the journal did not place (reconciliation's ``cancel`` policy)."""
        ...
