"""Exchange simulator costs: ``python bench/bench_sim.py`` prints the figures against the targets.

Targets (the simulator shares the daemon's event loop, so it must stay cheap): a price tick with
200 resting orders over the five default symbols <= 2 ms (1 % of the 0.2 s tick); a signed REST
order placement on loopback p50 <= 5 ms. Printed, not asserted.
"""

from __future__ import annotations

import hashlib
import hmac
import sys
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp
import anyio

from bench.common import figure, median, pct
from peaktrade.venues.sim import SimSettings, serve_sim
from peaktrade.venues.sim.matching import Engine
from peaktrade.venues.sim.order_rules import NewOrder
from peaktrade.venues.sim.ticks import tick

RESTING = 200


def tick_cost() -> list[float]:
    engine = Engine(SimSettings(volatility=0.0005), lambda: int(time.time() * 1000))
    for i in range(RESTING):
        symbol = ("ETHUSDT", "SOLUSDT")[i % 2]
        last = engine.markets[symbol].last
        price = (last * Decimal("0.9")).quantize(Decimal("0.01")) - i % 50
        engine.place(
            NewOrder(
                symbol=symbol,
                side="BUY",
                type="LIMIT",
                quantity=Decimal("0.01") if symbol == "ETHUSDT" else Decimal("0.1"),
                price=price,
                time_in_force="GTC",
            )
        )
    costs = []
    for _ in range(2000):
        started = time.perf_counter()
        tick(engine, 0.2)
        engine.drain()
        costs.append(time.perf_counter() - started)
    return costs


async def order_latency() -> list[float]:
    settings = SimSettings(history_minutes=60)
    latencies = []
    async with anyio.create_task_group() as tg:
        sim = await tg.start(serve_sim, settings)
        async with aiohttp.ClientSession() as session:
            for i in range(500):
                params = {
                    "symbol": "BTCUSDT",
                    "side": "BUY",
                    "type": "LIMIT",
                    "timeInForce": "GTC",
                    "quantity": "0.001",
                    "price": "50000",
                    "newClientOrderId": f"bench-{i}",
                    "timestamp": int(time.time() * 1000),
                }
                query = urlencode(params)
                sig = hmac.new(sim.api_secret.encode(), query.encode(), hashlib.sha256).hexdigest()
                started = time.perf_counter()
                async with session.post(
                    sim.rest_url + "/api/v3/order",
                    data=f"{query}&signature={sig}",
                    headers={
                        "X-MBX-APIKEY": sim.api_key,
                        "Content-Type": "application/x-www-form-urlencoded",
                    },
                ) as response:
                    await response.read()
                    assert response.status == 200
                latencies.append(time.perf_counter() - started)
        tg.cancel_scope.cancel()
    return latencies


def main() -> None:
    costs = tick_cost()
    figure("sim.tick_200_resting_p50", median(costs) * 1e3, "ms", "<= 2 ms")
    figure("sim.tick_200_resting_p99", pct(costs, 99) * 1e3, "ms")
    latencies = anyio.run(order_latency, backend_options={"use_uvloop": True})
    figure("sim.rest_order_p50", median(latencies) * 1e3, "ms", "<= 5 ms")
    figure("sim.rest_order_p99", pct(latencies, 99) * 1e3, "ms")


if __name__ == "__main__":
    main()
