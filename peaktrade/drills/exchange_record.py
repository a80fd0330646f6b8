"""The exchange's own record of the account, as the invariants compare it with the journal.

Two ways to read it, one shape: from the matching engine when the simulator runs in process,
and over signed REST (``allOrders``, ``myTrades``) plus ``/sim/state`` (accepted client order
ids) when it runs as its own process. Plain Binance data, not our ccxt mapping.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.parse
import urllib.request
from typing import Any

from peaktrade.drills.invariants import ExchangeFill, ExchangeOrder, ExchangeRecord
from peaktrade.venues.sim.matching import Engine

_PAGE = 1000


def from_engine(engine: Engine) -> ExchangeRecord:
    """The in-process simulator's books."""

    def unified(symbol: str) -> str:
        spec = engine.markets[symbol].spec
        return f"{spec.base}/{spec.quote}"

    return ExchangeRecord(
        orders=[
            ExchangeOrder(
                client_order_id=o.client_order_id,
                order_id=str(o.order_id),
                symbol=unified(o.symbol),
                status=o.status,
                executed_qty=float(o.executed_qty),
            )
            for o in engine.orders.values()
        ],
        fills=[
            ExchangeFill(
                symbol=unified(f.symbol),
                trade_id=str(f.id),
                order_id=str(f.order_id),
                qty=float(f.qty),
            )
            for f in engine.fills
        ],
        accepted=dict(engine.accepted),
    )


def from_rest(
    rest_url: str, api_key: str, api_secret: str, symbols: tuple[str, ...]
) -> ExchangeRecord:
    """A simulator on loopback, read as any client reads Binance (symbols unified, ``A/B``)."""
    if not rest_url.startswith(("http://127.0.0.1:", "http://localhost:")):
        raise ValueError(f"not a loopback simulator: {rest_url}")
    orders: list[ExchangeOrder] = []
    fills: list[ExchangeFill] = []
    for symbol in symbols:
        market = symbol.replace("/", "")
        for raw in _paged(rest_url, api_key, api_secret, "allOrders", market, "orderId", "orderId"):
            orders.append(
                ExchangeOrder(
                    client_order_id=str(raw["clientOrderId"]),
                    order_id=str(raw["orderId"]),
                    symbol=symbol,
                    status=str(raw["status"]),
                    executed_qty=float(raw["executedQty"]),
                )
            )
        for raw in _paged(rest_url, api_key, api_secret, "myTrades", market, "fromId", "id"):
            fills.append(
                ExchangeFill(
                    symbol=symbol,
                    trade_id=str(raw["id"]),
                    order_id=str(raw["orderId"]),
                    qty=float(raw["qty"]),
                )
            )
    state = _get(f"{rest_url}/sim/state", {})
    accepted = {str(k): int(v) for k, v in state["accepted"].items()}
    return ExchangeRecord(orders=orders, fills=fills, accepted=accepted)


def _paged(
    url: str, key: str, secret: str, endpoint: str, symbol: str, cursor: str, id_field: str
) -> list[dict[str, Any]]:
    """Binance history paging: from an id upwards, a page at a time."""
    out: list[dict[str, Any]] = []
    start = 0
    while True:
        params = {"symbol": symbol, cursor: str(start), "limit": str(_PAGE)}
        params["timestamp"] = str(int(time.time() * 1000))
        query = urllib.parse.urlencode(params)
        signature = hmac.new(secret.encode(), query.encode(), hashlib.sha256).hexdigest()
        page: list[dict[str, Any]] = _get(
            f"{url}/api/v3/{endpoint}?{query}&signature={signature}", {"X-MBX-APIKEY": key}
        )
        out.extend(page)
        if len(page) < _PAGE:
            return out
        start = int(page[-1][id_field]) + 1


def _get(url: str, headers: dict[str, str]) -> Any:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - loopback, checked
    with urllib.request.urlopen(request, timeout=10.0) as response:  # noqa: S310
        return json.loads(response.read())
