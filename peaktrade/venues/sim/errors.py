"""Binance error codes and messages, as the simulator reports them.

The messages are Binance's own wording: ccxt maps some of them by exact text
(e.g. insufficient balance -> InsufficientFunds), so they must not be paraphrased.
"""

from __future__ import annotations


class BinanceError(Exception):
    """A request refused the way Binance refuses it: HTTP status plus ``{"code", "msg"}``."""

    def __init__(self, code: int, msg: str, status: int = 400) -> None:
        super().__init__(f"{code} {msg}")
        self.code = code
        self.msg = msg
        self.status = status

    def body(self) -> dict[str, object]:
        return {"code": self.code, "msg": self.msg}


INSUFFICIENT_BALANCE = "Account has insufficient balance for requested action."
DUPLICATE_ORDER = "Duplicate order sent."
WOULD_TAKE = "Order would immediately match and take."
WOULD_TRIGGER = "Stop price would trigger immediately."
BAD_OCO_PRICES = "The relationship of the prices for the orders is not correct."
UNKNOWN_ORDER = "Unknown order sent."
NO_SUCH_ORDER = "Order does not exist."
NO_SUCH_ORDER_LIST = "Order list does not exist."
TIMEOUT_1007 = (
    "Timeout waiting for response from backend server. Send status unknown; "
    "execution status unknown."
)
UNKNOWN_503 = "Unknown error, please check your request or try again later."


def mandatory(name: str) -> BinanceError:
    return BinanceError(
        -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed."
    )


def illegal(name: str, legal: str) -> BinanceError:
    return BinanceError(
        -1100, f"Illegal characters found in parameter '{name}'; legal range is '{legal}'."
    )


def not_required(name: str) -> BinanceError:
    return BinanceError(-1106, f"Parameter '{name}' sent when not required.")


def bad_symbol() -> BinanceError:
    return BinanceError(-1121, "Invalid symbol.")


def bad_combination() -> BinanceError:
    return BinanceError(-1128, "Combination of optional parameters invalid.")


def filter_failure(name: str) -> BinanceError:
    return BinanceError(-1013, f"Filter failure: {name}")


def rejected(msg: str) -> BinanceError:
    """NEW_ORDER_REJECTED: the matching engine refused the order."""
    return BinanceError(-2010, msg)


def cancel_rejected() -> BinanceError:
    return BinanceError(-2011, UNKNOWN_ORDER)


def no_such_order() -> BinanceError:
    return BinanceError(-2013, NO_SUCH_ORDER)


def bad_api_key_format() -> BinanceError:
    return BinanceError(-2014, "API-key format invalid.", status=401)


def rejected_api_key() -> BinanceError:
    return BinanceError(-2015, "Invalid API-key, IP, or permissions for action.", status=401)


def bad_signature() -> BinanceError:
    return BinanceError(-1022, "Signature for this request is not valid.")


def timestamp_ahead() -> BinanceError:
    return BinanceError(-1021, "Timestamp for this request was 1000ms ahead of the server's time.")


def timestamp_outside_window() -> BinanceError:
    return BinanceError(-1021, "Timestamp for this request is outside of the recvWindow.")


def recv_window_too_big() -> BinanceError:
    return BinanceError(-1131, "recvWindow must be less than 60000")


def unknown_listen_key() -> BinanceError:
    return BinanceError(-1125, "This listenKey does not exist.")


def weight_exceeded(limit: int) -> BinanceError:
    return BinanceError(
        -1003,
        f"Too much request weight used; current limit is {limit} request weight per 1 MINUTE. "
        "Please use WebSocket Streams for live updates to avoid polling the API.",
        status=429,
    )


def ip_banned(until_ms: int) -> BinanceError:
    return BinanceError(
        -1003,
        f"Way too much request weight used; IP banned until {until_ms}. "
        "Please use WebSocket Streams for live updates to avoid bans.",
        status=418,
    )


def timeout_1007() -> BinanceError:
    return BinanceError(-1007, TIMEOUT_1007, status=503)
