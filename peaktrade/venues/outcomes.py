"""What an exchange error means for an order: rejected, retryable, or unknown.

The distinction is the whole safety story: only "retryable" may be sent again (nothing
happened), "unknown" must be resolved by looking the order up, "rejected" is final. ccxt's
exception classes are not precise enough alone (Binance's -1007 "execution status unknown"
arrives as a plain ExchangeError), so the exchange's own error code decides where present.
"""

from __future__ import annotations

import re

import ccxt.async_support as ccxt
import msgspec

from peaktrade.core.orders import Outcome


class Classified(msgspec.Struct, frozen=True):
    outcome: Outcome
    code: str  # stable reason code, e.g. "exchange.insufficient_funds"
    message: str


# Binance Spot error codes (docs: "Error codes for Binance"), grouped by what they mean for us.
_BINANCE_UNKNOWN = {-1000, -1001, -1006, -1007, -1008}
_BINANCE_RETRYABLE = {-1003, -1015, -1021, -1034}
_BINANCE_REJECTED_NAMES = {
    -1013: "exchange.filter_failure",
    -1100: "exchange.bad_parameter",
    -1102: "exchange.bad_parameter",
    -1111: "exchange.bad_precision",
    -1112: "exchange.no_depth",
    -1116: "exchange.bad_order_type",
    -1117: "exchange.bad_side",
    -1121: "exchange.bad_symbol",
    -2010: "exchange.order_refused",
    -2011: "exchange.cancel_refused",
    -2013: "exchange.no_such_order",
    -2014: "exchange.bad_api_key",
    -2015: "exchange.bad_api_key",
    -1022: "exchange.bad_signature",
}
_CODE = re.compile(r'"code"\s*:\s*(-?\d+)')


def exchange_code(exc: BaseException) -> int | None:
    """The exchange's numeric error code inside ccxt's message, when it has one."""
    match = _CODE.search(str(exc))
    return int(match.group(1)) if match else None


def classify(exc: BaseException) -> Classified:
    """Classify an exception raised by a ccxt call that would place or change an order."""
    message = f"{type(exc).__name__}: {exc}"[:500]
    code = exchange_code(exc)
    if code is not None:
        if code in _BINANCE_UNKNOWN:
            return Classified(Outcome.UNKNOWN, f"exchange.status_unknown_{-code}", message)
        if code in _BINANCE_RETRYABLE:
            name = "exchange.clock_skew" if code == -1021 else "exchange.rate_limited"
            return Classified(Outcome.RETRYABLE, name, message)
        if code in _BINANCE_REJECTED_NAMES:
            if code == -2010 and "insufficient balance" in str(exc).lower():
                return Classified(Outcome.REJECTED, "exchange.insufficient_funds", message)
            if code == -2010 and "duplicate" in str(exc).lower():
                # the same id is already open: the order exists; a lookup will show it
                return Classified(Outcome.UNKNOWN, "exchange.duplicate_id", message)
            return Classified(Outcome.REJECTED, _BINANCE_REJECTED_NAMES[code], message)
    return _by_class(exc, message)


def _by_class(exc: BaseException, message: str) -> Classified:
    if isinstance(exc, ccxt.DDoSProtection | ccxt.RateLimitExceeded):
        return Classified(Outcome.RETRYABLE, "exchange.rate_limited", message)
    if isinstance(exc, ccxt.InvalidNonce):
        return Classified(Outcome.RETRYABLE, "exchange.clock_skew", message)
    if isinstance(exc, ccxt.InsufficientFunds):
        return Classified(Outcome.REJECTED, "exchange.insufficient_funds", message)
    if isinstance(exc, ccxt.InvalidOrder | ccxt.BadSymbol | ccxt.BadRequest):
        return Classified(Outcome.REJECTED, "exchange.invalid_order", message)
    if isinstance(exc, ccxt.AuthenticationError | ccxt.PermissionDenied | ccxt.AccountSuspended):
        return Classified(Outcome.REJECTED, "exchange.auth", message)
    if isinstance(exc, ccxt.NotSupported | ccxt.ArgumentsRequired):
        return Classified(Outcome.REJECTED, "exchange.not_supported", message)
    if isinstance(exc, ccxt.RequestTimeout):
        return Classified(Outcome.UNKNOWN, "exchange.timeout", message)
    if isinstance(exc, ccxt.NetworkError):  # includes ExchangeNotAvailable, OnMaintenance
        return Classified(Outcome.UNKNOWN, "exchange.unavailable", message)
    # anything else, ExchangeError included: it may have happened
    return Classified(Outcome.UNKNOWN, "exchange.error", message)


def is_not_found(exc: BaseException) -> bool:
    """A lookup answered "no such order": the exchange does not have it (right now)."""
    return isinstance(exc, ccxt.OrderNotFound) or exchange_code(exc) == -2013
