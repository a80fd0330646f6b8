"""Request parameters the way Binance reads them.

Parameters come from the query string and the form body; a name sent in both takes the
query string's value. The raw strings are kept too: signatures are computed over them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from decimal import Decimal
from urllib.parse import parse_qsl

import msgspec
from aiohttp import web

from peaktrade.venues.sim.decimals import parse_decimal, parse_int
from peaktrade.venues.sim.errors import BinanceError, illegal, mandatory

_CLIENT_ID = re.compile(r"^[\.A-Z\:/a-z0-9_-]{1,36}$")
_CLIENT_ID_RANGE = "^[\\.A-Z\\:/a-z0-9_-]{1,36}$"


class Params:
    def __init__(self, values: dict[str, str], raw_query: str, raw_body: str) -> None:
        self.values = values
        self.raw_query = raw_query
        self.raw_body = raw_body

    def text(self, name: str, *, required: bool = False) -> str | None:
        value = self.values.get(name)
        if value is None or value == "":
            if required:
                raise mandatory(name)
            return None
        return value

    def required(self, name: str) -> str:
        value = self.text(name, required=True)
        assert value is not None
        return value

    def decimal(self, name: str, *, required: bool = False) -> Decimal | None:
        value = self.text(name, required=required)
        return None if value is None else parse_decimal(name, value)

    def integer(self, name: str, *, required: bool = False) -> int | None:
        value = self.text(name, required=required)
        return None if value is None else parse_int(name, value)

    def limit(self, default: int, maximum: int) -> int:
        """A ``limit`` parameter: default when absent, capped at the endpoint's maximum."""
        limit = self.integer("limit")
        if limit is None:
            return default
        if limit < 1:
            raise illegal("limit", f"1..{maximum}")
        return min(limit, maximum)

    def choice(
        self,
        name: str,
        allowed: Iterable[str],
        invalid: Callable[[], BinanceError],
        *,
        required: bool = False,
    ) -> str | None:
        value = self.text(name, required=required)
        if value is not None and value not in allowed:
            raise invalid()
        return value

    def client_id(self, name: str) -> str | None:
        value = self.text(name)
        if value is not None and not _CLIENT_ID.match(value):
            raise illegal(name, _CLIENT_ID_RANGE)
        return value

    def symbols(self) -> list[str] | None:
        """``symbols=["BTCUSDT","ETHUSDT"]``, the JSON array Binance takes."""
        raw = self.text("symbols")
        if raw is None:
            return None
        try:
            names = msgspec.json.decode(raw, type=list[str])
        except msgspec.DecodeError as exc:
            raise illegal("symbols", '^\\["[A-Z0-9]+"(,"[A-Z0-9]+")*\\]$') from exc
        return names


async def read_params(request: web.Request) -> Params:
    raw_query = request.rel_url.raw_query_string
    raw_body = (await request.text()) if request.can_read_body else ""
    values = dict(parse_qsl(raw_body, keep_blank_values=True))
    values.update(parse_qsl(raw_query, keep_blank_values=True))
    return Params(values, raw_query, raw_body)


PARAMS = web.RequestKey("sim.params", Params)
