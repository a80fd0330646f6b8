"""Strategies by name: the built-ins, then third-party ones from the ``peaktrade.strategies``
entry-point group.

A plugin package declares, in its own ``pyproject.toml``::

    [project.entry-points."peaktrade.strategies"]
    my_strategy = "my_package.module:plugin"

where ``plugin`` is a ``StrategyPlugin``. Its parameters come from
``[strategy.plugins.my_strategy]`` and are validated by ``plugin.params``. A built-in name
cannot be taken by a plugin.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from importlib import metadata
from typing import Any

import msgspec

from peaktrade.redaction import redact_text
from peaktrade.strategy import ma_cross, none, rebalance
from peaktrade.strategy.base import Strategy, StrategyError, StrategySetup
from peaktrade.strategy.config import MaCrossParams, RebalanceParams, StrategyConfig

ENTRY_POINT_GROUP = "peaktrade.strategies"


class StrategyPlugin(msgspec.Struct, frozen=True, kw_only=True):
    """How to build one strategy: a factory and the struct its parameters must convert to."""

    make: Callable[[StrategySetup], Strategy]
    params: type[msgspec.Struct] | None = None  # None: takes no parameters
    summary: str = ""


BUILTINS: dict[str, StrategyPlugin] = {
    "none": StrategyPlugin(make=none.make, summary="operator-driven only"),
    "rebalance": StrategyPlugin(
        make=rebalance.make, params=RebalanceParams, summary="target weights of equity"
    ),
    "ma_cross": StrategyPlugin(
        make=ma_cross.make, params=MaCrossParams, summary="moving-average cross"
    ),
}


def installed() -> list[str]:
    """Names of the third-party strategies installed (entry points, not yet imported)."""
    return sorted({ep.name for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)})


def find_plugin(name: str) -> StrategyPlugin:
    """The plugin for ``name``; raises StrategyError with a stable code."""
    if name in BUILTINS:
        return BUILTINS[name]
    found = [ep for ep in metadata.entry_points(group=ENTRY_POINT_GROUP) if ep.name == name]
    if not found:
        known = ", ".join([*BUILTINS, *installed()])
        raise StrategyError("strategy.unknown", f"no strategy named {name!r}; known: {known}")
    if len({ep.value for ep in found}) > 1:
        where = ", ".join(sorted({ep.value for ep in found}))
        raise StrategyError("strategy.ambiguous", f"strategy {name!r} is installed twice: {where}")
    try:
        plugin = found[0].load()
    except Exception as exc:
        raise StrategyError(
            "strategy.load_failed",
            redact_text(f"strategy {name!r} ({found[0].value}) failed to import: {exc!r}"),
        ) from None
    if not isinstance(plugin, StrategyPlugin):
        raise StrategyError(
            "strategy.bad_plugin",
            f"{found[0].value} is a {type(plugin).__name__}, not a StrategyPlugin",
        )
    return plugin


def params_of(config: StrategyConfig, plugin: StrategyPlugin) -> Any:
    """The validated parameters: a built-in's typed sub-table, or a plugin's converted table."""
    if config.name in BUILTINS:
        return getattr(config, config.name) if plugin.params is not None else None
    raw = config.plugins.get(config.name, {})
    if plugin.params is None:
        if raw:
            raise StrategyError(
                "strategy.bad_params", f"strategy {config.name!r} takes no parameters"
            )
        return None
    try:
        return msgspec.convert(raw, plugin.params)
    except msgspec.ValidationError as exc:
        raise StrategyError(
            "strategy.bad_params", f"strategy.plugins.{config.name}: {exc}"
        ) from None


def load_strategy(
    config: StrategyConfig, *, symbols: Sequence[str], quote_currency: str
) -> Strategy:
    """Build the configured strategy; raises StrategyError (never half-built)."""
    plugin = find_plugin(config.name)
    setup = StrategySetup(
        name=config.name,
        symbols=tuple(symbols),
        quote_currency=quote_currency,
        params=params_of(config, plugin),
    )
    try:
        return plugin.make(setup)
    except StrategyError:
        raise
    except Exception as exc:
        raise StrategyError(
            "strategy.load_failed", redact_text(f"strategy {config.name!r}: {exc!r}")
        ) from None


def strategy_problems(config: StrategyConfig, symbols: Sequence[str]) -> list[str]:
    """Config-time checks (``check-config`` and start-up): one line per problem."""
    try:
        plugin = find_plugin(config.name)
        params_of(config, plugin)
    except StrategyError as exc:
        return [f"strategy.name: {exc} ({exc.code})"]
    tables = {
        "rebalance": ("weights", config.rebalance.weights),
        "ma_cross": ("qty", config.ma_cross.qty),
    }
    if config.name not in tables:
        return []
    key, table = tables[config.name]
    where = f"strategy.{config.name}.{key}"
    if not table:
        return [f"{where}: empty, so {config.name} would never trade"]
    missing = sorted(set(table) - set(symbols))
    if missing:
        return [f"{where}: {', '.join(missing)} not in exchange.symbols (not streamed or traded)"]
    return []
