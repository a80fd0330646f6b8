"""The exchange executor: real orders through ccxt, with the guards a live venue needs.

- every create carries our deterministic client order id;
- errors are classified (rejected / retryable / unknown), never retried blindly;
- a 429 or 418 puts the venue into a backed-off state for Retry-After: calls made during it
  fail fast as retryable without touching the network, so there is no retry storm;
- -1021 (timestamp outside recvWindow) resyncs the clock offset once and retries.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import ccxt.async_support as ccxt_errors

from peaktrade.core.events import DaemonEvent, EventSink
from peaktrade.core.model import Fill, OrderIntent, OrderType, Side
from peaktrade.core.orders import ExchangeOrderReport, JournalOrder, OrderState, Outcome
from peaktrade.log import get_logger
from peaktrade.redaction import redact_text
from peaktrade.venues.executor import CancelResult, LookupResult, SubmitResult, VenueFill
from peaktrade.venues.outcomes import Classified, classify, is_not_found

log = get_logger("peaktrade.venue")

_STATUS = {
    "closed": OrderState.FILLED,
    "canceled": OrderState.CANCELLED,
    "cancelled": OrderState.CANCELLED,
    "expired": OrderState.EXPIRED,
    "rejected": OrderState.REJECTED,
}
DEFAULT_BAN_S = 120.0


class VenueBackoff(Exception):
    """The venue is backed off after a rate limit; nothing was sent."""


class CcxtVenue:
    """One ccxt exchange instance, shared by market data, account sync and execution."""

    name = "exchange"

    def __init__(self, exchange: Any, events: EventSink, now_ms: Any = None) -> None:
        self.exchange = exchange
        self.events = events
        self._now_ms = now_ms or (lambda: time.time_ns() // 1_000_000)
        self.backoff_until = 0.0  # monotonic
        self.backoffs = 0
        self._backoff_codes: set[str] = set()  # rate-limit conditions open until a call succeeds
        self.clock_resyncs = 0
        self.request_latency_s: list[float] = []
        self.call_listeners: list[Callable[[bool, str], None]] = []  # (ok, reason code)

    # --- guards -------------------------------------------------------------------------

    @property
    def backed_off(self) -> bool:
        return time.monotonic() < self.backoff_until

    async def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """Every REST call goes through here: backoff first, timing, clock resync once."""
        if self.backed_off:
            raise VenueBackoff(f"backed off for {self.backoff_until - time.monotonic():.1f} s")
        for attempt in (0, 1):
            start = time.monotonic()
            try:
                result = await getattr(self.exchange, method)(*args, **kwargs)
            except (ccxt_errors.RateLimitExceeded, ccxt_errors.DDoSProtection) as exc:
                self._enter_backoff(exc)
                self._tell(ok=False, code="exchange.rate_limited")
                raise
            except Exception as exc:
                verdict = classify(exc)
                if attempt == 0 and verdict.code == "exchange.clock_skew":
                    await self.resync_clock()
                    continue
                # an answer that refuses an order is the exchange working, not failing
                self._tell(
                    ok=verdict.outcome is Outcome.REJECTED or is_not_found(exc), code=verdict.code
                )
                raise
            finally:
                self._record_latency(time.monotonic() - start)
            self._tell(ok=True, code="")
            if self._backoff_codes:
                self._backoff_over()
            return result
        raise AssertionError("unreachable")  # pragma: no cover

    def _tell(self, *, ok: bool, code: str) -> None:
        for listener in self.call_listeners:
            listener(ok, code)

    def _record_latency(self, seconds: float) -> None:
        self.request_latency_s.append(seconds)
        if len(self.request_latency_s) > 4096:
            del self.request_latency_s[:2048]

    async def resync_clock(self) -> None:
        offset = await self.exchange.load_time_difference()
        self.clock_resyncs += 1
        log.warning("clock_resynced", offset_ms=offset)
        self.events(
            DaemonEvent(
                code="exchange.clock_skew",
                level="WARNING",
                message=f"exchange clock offset resynced: {offset} ms",
                ts_ms=self._now_ms(),
                context={"offset_ms": int(offset or 0)},
                dedupe_key="exchange.clock_skew",
            )
        )

    def _enter_backoff(self, exc: Exception) -> None:
        headers = getattr(self.exchange, "last_response_headers", None) or {}
        retry_after = _retry_after(headers)
        banned = _http_status(exc) == 418
        if retry_after is None:
            retry_after = DEFAULT_BAN_S if banned else 60.0
        self.backoff_until = max(self.backoff_until, time.monotonic() + retry_after)
        self.backoffs += 1
        code = "exchange.banned" if banned else "exchange.rate_limited"
        self._backoff_codes.add(code)
        log.error("venue_backoff", code=code, retry_after_s=retry_after)
        self.events(
            DaemonEvent(
                code=code,
                level="CRITICAL" if banned else "WARNING",
                message=f"exchange {'ban' if banned else 'rate limit'}: backing off"
                f" {retry_after:g} s, no requests until then",
                ts_ms=self._now_ms(),
                context={"retry_after_s": retry_after},
                dedupe_key=code,
            )
        )

    def _backoff_over(self) -> None:
        """The first call answered after a back-off resolves its rate-limit or ban condition."""
        for code in sorted(self._backoff_codes):
            self.events(
                DaemonEvent(
                    code=code,
                    level="INFO",
                    message="exchange answers again after the back-off",
                    ts_ms=self._now_ms(),
                    dedupe_key=code,
                    resolved=True,
                )
            )
        self._backoff_codes.clear()

    # --- orders ---------------------------------------------------------------------------

    async def submit(self, order: JournalOrder) -> SubmitResult:
        intent = order.intent
        try:
            raw = await self.call(
                "create_order",
                intent.symbol,
                *_ccxt_order_args(self.exchange, intent, order.client_order_id),
            )
        except VenueBackoff as exc:
            return SubmitResult(Outcome.RETRYABLE, code="venue.backoff", message=str(exc))
        except Exception as exc:
            verdict = classify(exc)
            return SubmitResult(verdict.outcome, code=verdict.code, message=_clean(verdict))
        report = report_from_ccxt(raw, order)
        fills = tuple(
            fill_from_ccxt(
                {
                    **t,
                    "symbol": intent.symbol,
                    "side": intent.side.value,
                    "order": report.exchange_order_id,
                    "timestamp": t.get("timestamp") or report.ts_ms,
                }
            )
            for t in raw.get("trades") or []
            if t.get("id")
        )
        return SubmitResult(Outcome.ACCEPTED, report=report, fills=fills)

    @property
    def native_oco(self) -> bool:
        """Binance's orderList/oco: both legs in one request, the exchange cancels the other."""
        return bool(getattr(self.exchange, "id", "") == "binance")

    async def submit_oco(self, legs: list[JournalOrder]) -> list[SubmitResult]:
        by_role = {leg.role: leg for leg in legs}
        take, stop = by_role["take_profit"], by_role["stop_loss"]
        ex = self.exchange
        symbol = take.intent.symbol
        market = ex.market(symbol)
        sell = take.intent.side is Side.SELL
        limit_leg = {"Type": "LIMIT_MAKER", "Price": _price(ex, symbol, take.intent.price)}
        stop_leg = {
            "Type": "STOP_LOSS_LIMIT",
            "StopPrice": _price(ex, symbol, stop.intent.stop_price),
            "Price": _price(ex, symbol, stop.intent.price),
            "TimeInForce": "GTC",
        }
        above, below = (limit_leg, stop_leg) if sell else (stop_leg, limit_leg)
        above_leg, below_leg = (take, stop) if sell else (stop, take)
        params: dict[str, Any] = {
            "symbol": market["id"],
            "side": "SELL" if sell else "BUY",
            "quantity": ex.amount_to_precision(symbol, take.intent.qty),
            "listClientOrderId": take.group_id,
            "aboveClientOrderId": above_leg.client_order_id,
            "belowClientOrderId": below_leg.client_order_id,
            "newOrderRespType": "FULL",
            **{f"above{k}": v for k, v in above.items()},
            **{f"below{k}": v for k, v in below.items()},
        }
        try:
            raw = await self.call("private_post_orderlist_oco", params)
        except VenueBackoff as exc:
            return [SubmitResult(Outcome.RETRYABLE, code="venue.backoff", message=str(exc))] * 2
        except Exception as exc:
            verdict = classify(exc)
            return [SubmitResult(verdict.outcome, code=verdict.code, message=_clean(verdict))] * 2
        reports = {str(r.get("clientOrderId")): r for r in raw.get("orderReports") or []}
        out = []
        for leg in legs:
            found = reports.get(leg.client_order_id)
            if found is None:  # accepted as a list but this leg's report is missing
                out.append(SubmitResult(Outcome.UNKNOWN, code="exchange.oco_leg_unreported"))
                continue
            report = report_from_ccxt(ex.parse_order(found, market), leg)
            out.append(SubmitResult(Outcome.ACCEPTED, report=report))
        return out

    async def cancel(self, order: JournalOrder) -> CancelResult:
        params = {"clientOrderId": order.client_order_id}
        try:
            raw = await self.call(
                "cancel_order", order.exchange_order_id, order.intent.symbol, params
            )
        except VenueBackoff as exc:
            return CancelResult(Outcome.RETRYABLE, code="venue.backoff", message=str(exc))
        except Exception as exc:
            verdict = classify(exc)
            return CancelResult(verdict.outcome, code=verdict.code, message=_clean(verdict))
        return CancelResult(Outcome.ACCEPTED, report=report_from_ccxt(raw, order))

    async def lookup(self, order: JournalOrder) -> LookupResult:
        """Query by our client order id: the one way an UNKNOWN order is resolved."""
        try:
            raw = await self.call(
                "fetch_order",
                None,
                order.intent.symbol,
                {"origClientOrderId": order.client_order_id},
            )
        except VenueBackoff as exc:
            return LookupResult(found=False, code="venue.backoff", message=str(exc))
        except Exception as exc:
            if is_not_found(exc):
                return LookupResult(found=False, not_found=True, code="exchange.no_such_order")
            verdict = classify(exc)
            return LookupResult(found=False, code=verdict.code, message=_clean(verdict))
        return LookupResult(found=True, report=report_from_ccxt(raw, order))

    async def cancel_all(self, symbol: str) -> list[ExchangeOrderReport]:
        raw = await self.call("cancel_all_orders", symbol)
        return [report_from_ccxt(o) for o in raw or [] if isinstance(o, Mapping)]

    async def open_orders(self, symbols: list[str]) -> list[ExchangeOrderReport]:
        out: list[ExchangeOrderReport] = []
        for symbol in symbols:
            raw = await self.call("fetch_open_orders", symbol)
            out.extend(report_from_ccxt(o) for o in raw)
        return out

    async def fills_since(self, symbols: list[str], since_ms: int) -> list[VenueFill]:
        out: list[VenueFill] = []
        for symbol in symbols:
            raw = await self.call("fetch_my_trades", symbol, since_ms, 1000)
            out.extend(fill_from_ccxt(t) for t in raw)
            while len(raw) == 1000:
                # page on by trade id, not by time: the fills of one order walking the book
                # share a millisecond, and a page ending among them would skip the rest
                after = {"fromId": int(raw[-1]["id"]) + 1}
                raw = await self.call("fetch_my_trades", symbol, None, 1000, after)
                out.extend(fill_from_ccxt(t) for t in raw)
        return out

    async def cancel_foreign(self, report: ExchangeOrderReport) -> bool:
        try:
            await self.call("cancel_order", report.exchange_order_id, report.symbol)
        except Exception as exc:
            log.warning("cancel_foreign_failed", error=classify(exc).code)
            return False
        return True

    async def fetch_balances(self) -> dict[str, tuple[float, float]]:
        raw = await self.call("fetch_balance")
        free, used = raw.get("free", {}), raw.get("used", {})
        return {
            asset: (float(free.get(asset) or 0.0), float(used.get(asset) or 0.0))
            for asset in set(free) | set(used)
        }

    async def close(self) -> None:
        await self.exchange.close()


def _ccxt_order_args(exchange: Any, intent: OrderIntent, cid: str) -> tuple[Any, ...]:
    """(type, side, amount, price, params) for ccxt's create_order."""
    amount = float(exchange.amount_to_precision(intent.symbol, intent.qty))
    price = (
        float(exchange.price_to_precision(intent.symbol, intent.price))
        if intent.price is not None
        else None
    )
    params: dict[str, Any] = {"clientOrderId": cid, "newOrderRespType": "FULL"}
    side = intent.side.value
    if intent.type is OrderType.MARKET:
        return ("market", side, amount, None, params)
    if intent.type is OrderType.LIMIT:
        if intent.post_only:
            params["postOnly"] = True
        else:
            params["timeInForce"] = intent.tif.value
        return ("limit", side, amount, price, params)
    assert intent.stop_price is not None
    params["stopPrice"] = float(exchange.price_to_precision(intent.symbol, intent.stop_price))
    params["timeInForce"] = intent.tif.value
    kind = "STOP_LOSS_LIMIT" if intent.type is OrderType.STOP_LOSS_LIMIT else "TAKE_PROFIT_LIMIT"
    return (kind, side, amount, price, params)


def report_from_ccxt(
    raw: Mapping[str, Any], order: JournalOrder | None = None
) -> ExchangeOrderReport:
    """ccxt's unified order -> our report."""
    status = str(raw.get("status") or "open")
    filled = float(raw.get("filled") or 0.0)
    state = _STATUS.get(status)
    if state is None:
        state = OrderState.PARTIALLY_FILLED if filled > 0 else OrderState.OPEN
    # a cancel's reply carries the cancel request's own id as clientOrderId: when we know the
    # order, trust that; else (cancel-all) the order's own id is Binance's origClientOrderId
    info = raw.get("info") or {}
    cid = (
        order.client_order_id
        if order
        else str(info.get("origClientOrderId") or raw.get("clientOrderId") or "")
    )
    ts = raw.get("lastUpdateTimestamp") or raw.get("timestamp") or 0
    return ExchangeOrderReport(
        client_order_id=cid,
        exchange_order_id=str(raw.get("id") or ""),
        symbol=str(raw.get("symbol") or (order.intent.symbol if order else "")),
        state=state,
        filled_qty=filled,
        avg_fill_price=float(raw["average"]) if raw.get("average") else None,
        ts_ms=int(ts),
        side=str(raw.get("side") or ""),
        qty=float(raw.get("amount") or 0.0),
        price=float(raw["price"]) if raw.get("price") else None,
        type=str(raw.get("type") or ""),
    )


def fill_from_ccxt(raw: Mapping[str, Any]) -> VenueFill:
    fee = raw.get("fee") or {}
    info = raw.get("info") or {}
    return VenueFill(
        exchange_order_id=str(raw.get("order") or ""),
        client_order_id=str(info.get("c") or raw.get("clientOrderId") or ""),
        fill=Fill(
            symbol=str(raw["symbol"]),
            side=Side(str(raw["side"])),
            qty=float(raw["amount"]),
            price=float(raw["price"]),
            fee=float(fee.get("cost") or 0.0),
            fee_currency=str(fee.get("currency") or ""),
            ts_ms=int(raw.get("timestamp") or 0),
            trade_id=str(raw["id"]),
            client_order_id=str(info.get("c") or raw.get("clientOrderId") or ""),
        ),
    )


def _price(exchange: Any, symbol: str, price: float | None) -> str:
    assert price is not None
    return str(exchange.price_to_precision(symbol, price))


def _http_status(exc: Exception) -> int | None:
    """ccxt puts the HTTP status right after the exchange id: ``binance 418 ...``."""
    parts = str(exc).split(maxsplit=2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


def _retry_after(headers: Mapping[str, Any]) -> float | None:
    for key, value in headers.items():
        if str(key).lower() == "retry-after":
            try:
                return max(0.0, float(value))
            except (TypeError, ValueError):
                return None
    return None


def _clean(verdict: Classified) -> str:
    return redact_text(verdict.message)
