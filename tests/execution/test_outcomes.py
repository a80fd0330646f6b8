"""Exchange errors map to rejected (final), retryable (nothing happened) or unknown."""

from __future__ import annotations

import ccxt.async_support as ccxt
import pytest

from peaktrade.core.orders import Outcome
from peaktrade.venues.outcomes import classify, is_not_found


def binance(exc: type[Exception], code: int, msg: str) -> Exception:
    return exc(f'binance {{"code":{code},"msg":"{msg}"}}')


@pytest.mark.parametrize(
    ("exc", "outcome", "code"),
    [
        (
            binance(ccxt.ExchangeError, -1007, "Timeout waiting for response"),
            Outcome.UNKNOWN,
            "exchange.status_unknown_1007",
        ),
        (
            binance(ccxt.BadResponse, -1006, "unexpected response"),
            Outcome.UNKNOWN,
            "exchange.status_unknown_1006",
        ),
        (
            binance(ccxt.InvalidOrder, -2010, "Account has insufficient balance"),
            Outcome.REJECTED,
            "exchange.insufficient_funds",
        ),
        (
            binance(ccxt.InvalidOrder, -2010, "Duplicate order sent."),
            Outcome.UNKNOWN,
            "exchange.duplicate_id",
        ),
        (
            binance(ccxt.ExchangeError, -1013, "Filter failure: LOT_SIZE"),
            Outcome.REJECTED,
            "exchange.filter_failure",
        ),
        (
            binance(ccxt.BadRequest, -1021, "Timestamp outside recvWindow"),
            Outcome.RETRYABLE,
            "exchange.clock_skew",
        ),
        (
            binance(ccxt.RateLimitExceeded, -1003, "Too much request weight"),
            Outcome.RETRYABLE,
            "exchange.rate_limited",
        ),
        (ccxt.DDoSProtection("418 banned"), Outcome.RETRYABLE, "exchange.rate_limited"),
        (ccxt.RequestTimeout("timed out"), Outcome.UNKNOWN, "exchange.timeout"),
        (ccxt.ExchangeNotAvailable("503 Unknown error"), Outcome.UNKNOWN, "exchange.unavailable"),
        (ccxt.NetworkError("connection reset"), Outcome.UNKNOWN, "exchange.unavailable"),
        (ccxt.AuthenticationError("bad key"), Outcome.REJECTED, "exchange.auth"),
        (ccxt.ExchangeError("something odd"), Outcome.UNKNOWN, "exchange.error"),
        (RuntimeError("a bug"), Outcome.UNKNOWN, "exchange.error"),
    ],
)
def test_classification(exc: Exception, outcome: Outcome, code: str) -> None:
    verdict = classify(exc)
    assert (verdict.outcome, verdict.code) == (outcome, code)


def test_not_found_by_class_and_by_code() -> None:
    assert is_not_found(ccxt.OrderNotFound("nope"))
    assert is_not_found(binance(ccxt.ExchangeError, -2013, "Order does not exist."))
    assert not is_not_found(ccxt.RequestTimeout("slow"))
