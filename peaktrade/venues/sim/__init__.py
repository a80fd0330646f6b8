"""The built-in Binance Spot exchange simulator (REST, market streams, user data, faults).

``serve_sim(settings)`` runs it inside an anyio task group and reports a ``SimHandle``;
``ccxt_config(...)`` points ccxt's binance class at it. The names load lazily, so importing
``peaktrade.venues.sim.settings`` (the config does) does not pull in aiohttp.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from peaktrade.venues.sim.ccxt_options import ccxt_config
    from peaktrade.venues.sim.server import SimHandle, serve_sim
    from peaktrade.venues.sim.settings import SimSettings, SymbolSettings

_HOMES = {
    "ccxt_config": "peaktrade.venues.sim.ccxt_options",
    "SimHandle": "peaktrade.venues.sim.server",
    "serve_sim": "peaktrade.venues.sim.server",
    "SimSettings": "peaktrade.venues.sim.settings",
    "SymbolSettings": "peaktrade.venues.sim.settings",
}
__all__ = ["SimHandle", "SimSettings", "SymbolSettings", "ccxt_config", "serve_sim"]


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
