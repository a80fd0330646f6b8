"""Numbers the Binance way: exact ``Decimal`` inside, eight-decimal strings on the wire."""

from __future__ import annotations

import re
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from peaktrade.venues.sim.errors import illegal

EIGHT = Decimal("0.00000001")
ZERO = Decimal(0)
_DECIMAL = re.compile(r"^([0-9]{1,20})(\.[0-9]{1,20})?$")
_DECIMAL_RANGE = "^([0-9]{1,20})(\\.[0-9]{1,20})?$"
_INTEGER = re.compile(r"^-?[0-9]{1,20}$")
_INTEGER_RANGE = "^-?[0-9]{1,20}$"


def fmt(value: Decimal) -> str:
    """``Decimal("0.001")`` -> ``"0.00100000"``, as Binance prints prices and quantities."""
    quantized = value.quantize(EIGHT, rounding=ROUND_HALF_UP)
    if quantized.is_zero():
        return "0.00000000"
    return f"{quantized:f}"


def round8(value: Decimal) -> Decimal:
    """Round to the eight decimals balances and commissions are kept in."""
    return value.quantize(EIGHT, rounding=ROUND_HALF_UP)


def floor_to(value: Decimal, step: Decimal) -> Decimal:
    """Largest multiple of ``step`` not above ``value`` (for quantities bought with quote)."""
    return (value / step).to_integral_value(rounding=ROUND_DOWN) * step


def round_to(value: Decimal, step: Decimal) -> Decimal:
    return (value / step).to_integral_value(rounding=ROUND_HALF_UP) * step


def is_multiple(value: Decimal, step: Decimal) -> bool:
    return step.is_zero() or (value % step).is_zero()


def parse_decimal(name: str, raw: str) -> Decimal:
    if not _DECIMAL.match(raw):
        raise illegal(name, _DECIMAL_RANGE)
    return Decimal(raw)


def parse_int(name: str, raw: str) -> int:
    if not _INTEGER.match(raw):
        raise illegal(name, _INTEGER_RANGE)
    return int(raw)
