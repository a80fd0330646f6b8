"""Out-of-process control of the simulator under ``/sim/`` (not a Binance path).

``GET/POST/DELETE /sim/faults`` (body of POST: a ``Fault`` as JSON), ``DELETE
/sim/faults/{name}``, ``POST /sim/faults/campaign`` (``{"rate": 0.05}``), and ``GET
/sim/state`` for reconciliation checks (balances, orders, accepted client order ids, each
client order id's status, filled quantity and fills, REST requests seen and those sent while
told to back off).
"""

from __future__ import annotations

from collections.abc import Callable

import msgspec
from aiohttp import web

from peaktrade.venues.sim.decimals import fmt
from peaktrade.venues.sim.faults import CAMPAIGN, Fault, FaultController, FaultName
from peaktrade.venues.sim.gateway import json_response
from peaktrade.venues.sim.matching import Engine
from peaktrade.venues.sim.weights import RateLimiter


class Campaign(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    rate: float
    names: tuple[FaultName, ...] = CAMPAIGN


def _bad(exc: Exception) -> web.Response:
    return json_response({"error": str(exc)}, 400)


def routes(
    faults: FaultController,
    engine: Engine,
    crashed: Callable[[], bool],
    limiter: RateLimiter | None = None,
) -> list[web.RouteDef]:
    def listing() -> web.Response:
        return json_response(
            {
                "active": [msgspec.to_builtins(f) for f in faults.active()],
                "fired": dict(faults.fired),
                "clock_skew_ms": faults.clock_skew_ms,
            }
        )

    async def get_faults(_: web.Request) -> web.Response:
        return listing()

    async def set_fault(request: web.Request) -> web.Response:
        try:
            faults.set(msgspec.json.decode(await request.read(), type=Fault))
        except msgspec.ValidationError as exc:
            return _bad(exc)
        return listing()

    async def clear_faults(_: web.Request) -> web.Response:
        faults.clear()
        return listing()

    async def clear_fault(request: web.Request) -> web.Response:
        faults.clear(request.match_info["name"])
        return listing()

    async def campaign(request: web.Request) -> web.Response:
        try:
            body = msgspec.json.decode(await request.read(), type=Campaign)
        except msgspec.ValidationError as exc:
            return _bad(exc)
        faults.campaign(body.rate, body.names)
        return listing()

    async def state(_: web.Request) -> web.Response:
        b = engine.balances
        return json_response(
            {
                "crashed": crashed(),
                "prices": {s: fmt(m.last) for s, m in engine.markets.items()},
                "balances": {
                    a: {"free": fmt(b.free[a]), "locked": fmt(b.locked[a])} for a in b.free
                },
                "orders": len(engine.orders),
                "open_orders": len(engine.open),
                "fills": len(engine.fills),
                "accepted": dict(engine.accepted),
                "duplicates": sorted(c for c, n in engine.accepted.items() if n > 1),
                "by_client": _by_client(engine),
                "requests": {
                    "total": limiter.requests if limiter else 0,
                    "during_backoff": limiter.during_backoff if limiter else 0,
                },
            }
        )

    return [
        web.get("/sim/faults", get_faults),
        web.post("/sim/faults", set_fault),
        web.delete("/sim/faults", clear_faults),
        web.post("/sim/faults/campaign", campaign),
        web.delete("/sim/faults/{name}", clear_fault),
        web.get("/sim/state", state),
    ]


def _by_client(engine: Engine) -> dict[str, dict[str, object]]:
    """The latest order per client order id: status, filled quantity, its fills' trade ids."""
    fills: dict[int, list[int]] = {}
    for fill in engine.fills:
        fills.setdefault(fill.order_id, []).append(fill.id)
    out: dict[str, dict[str, object]] = {}
    for order in engine.orders.values():
        out[order.client_order_id] = {
            "symbol": order.symbol,
            "status": order.status,
            "executed_qty": fmt(order.executed_qty),
            "fills": fills.get(order.order_id, []),
        }
    return out
