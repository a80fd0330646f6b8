"""``peaktrade sim-exchange``: the simulator as a standalone loopback exchange."""

from __future__ import annotations

import signal

import anyio

from peaktrade.venues.sim.server import serve_sim
from peaktrade.venues.sim.settings import SimSettings


def run_sim_exchange(
    host: str,
    port: int,
    seed: int,
    prices_file: str | None,
    api_key: str | None,
    api_secret: str | None,
) -> int:
    """Serve until SIGINT or SIGTERM, then exit 0; port 0 picks a free port."""
    defaults = SimSettings()
    settings = SimSettings(
        host=host,
        port=port,
        seed=seed,
        prices_file=prices_file,
        api_key=api_key or defaults.api_key,
        api_secret=api_secret or defaults.api_secret,
    )

    async def main() -> None:
        with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async with anyio.create_task_group() as tg:
                handle = await tg.start(serve_sim, settings)
                print(f"rest:       {handle.rest_url}", flush=True)
                print(f"websocket:  {handle.ws_url}", flush=True)
                print(f"ws-api:     {handle.ws_api_url}", flush=True)
                print(f"api key:    {handle.api_key}", flush=True)
                print(f"api secret: {handle.api_secret}", flush=True)
                async for _ in signals:
                    tg.cancel_scope.cancel()
                    break

    anyio.run(main, backend="asyncio", backend_options={"use_uvloop": True})
    return 0
