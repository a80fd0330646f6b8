"""Loading strategies by name: built-ins, and third-party ones through a real entry point."""

from __future__ import annotations

import importlib
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from peaktrade.strategy.base import StrategyError, Targets
from peaktrade.strategy.config import MaCrossParams, RebalanceParams, StrategyConfig
from peaktrade.strategy.ma_cross import MaCross
from peaktrade.strategy.none import NoStrategy
from peaktrade.strategy.rebalance import Rebalance
from peaktrade.strategy.registry import installed, load_strategy, strategy_problems
from tests.strategy.support import context

SYMBOLS = ("BTC/USDT", "ETH/USDT")

PLUGIN_MODULE = """
import msgspec
from peaktrade.strategy.base import Targets
from peaktrade.strategy.registry import StrategyPlugin


class Params(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    qty: float


class Always:
    history_bars = 0

    def __init__(self, qty, symbols):
        self.qty, self.symbols = qty, symbols

    def warm_up(self, bars): pass
    def on_bar(self, bar): pass
    def on_quote(self, quote): pass
    def on_fill(self, fill): pass

    def decide(self, context):
        return Targets(positions={s: self.qty for s in self.symbols})


plugin = StrategyPlugin(
    make=lambda setup: Always(setup.params.qty, setup.symbols), params=Params, summary="test"
)
not_a_plugin = object()
"""

Install = Callable[..., None]


@pytest.fixture
def install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Install:
    """Install a distribution with ``peaktrade.strategies`` entry points onto sys.path."""

    def make(entry_points: dict[str, str], dist: str = "fake_strategies") -> None:
        root = tmp_path / dist
        info = root / f"{dist}-1.0.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
        lines = "".join(f"{name} = {target}\n" for name, target in entry_points.items())
        (info / "entry_points.txt").write_text(f"[peaktrade.strategies]\n{lines}")
        (root / f"{dist}_mod.py").write_text(textwrap.dedent(PLUGIN_MODULE))
        monkeypatch.syspath_prepend(str(root))
        importlib.invalidate_caches()

    return make


def load(config: StrategyConfig) -> object:
    return load_strategy(config, symbols=SYMBOLS, quote_currency="USDT")


def test_builtins_load_by_name() -> None:
    assert isinstance(load(StrategyConfig(name="none")), NoStrategy)
    rebalance = StrategyConfig(
        name="rebalance", rebalance=RebalanceParams(weights={"BTC/USDT": 0.1})
    )
    assert isinstance(load(rebalance), Rebalance)
    ma = StrategyConfig(name="ma_cross", ma_cross=MaCrossParams(qty={"BTC/USDT": 0.1}))
    assert isinstance(load(ma), MaCross)


def test_unknown_name_is_refused_with_a_code() -> None:
    with pytest.raises(StrategyError) as caught:
        load(StrategyConfig(name="no_such_strategy"))
    assert caught.value.code == "strategy.unknown"


def test_third_party_strategy_loads_from_its_entry_point(install: Install) -> None:
    install({"always": "fake_strategies_mod:plugin"})
    assert "always" in installed()
    config = StrategyConfig(name="always", plugins={"always": {"qty": 0.25}})
    strategy = load_strategy(config, symbols=SYMBOLS, quote_currency="USDT")
    decision = strategy.decide(context({"BTC/USDT": 1.0}))
    assert decision == Targets(positions={"BTC/USDT": 0.25, "ETH/USDT": 0.25})


def test_plugin_parameters_are_validated_by_the_plugin(install: Install) -> None:
    install({"always": "fake_strategies_mod:plugin"})
    config = StrategyConfig(name="always", plugins={"always": {"qty": "lots"}})
    with pytest.raises(StrategyError) as caught:
        load(config)
    assert caught.value.code == "strategy.bad_params"


def test_entry_point_that_is_not_a_plugin_is_refused(install: Install) -> None:
    install({"odd": "fake_strategies_mod:not_a_plugin"})
    with pytest.raises(StrategyError) as caught:
        load(StrategyConfig(name="odd"))
    assert caught.value.code == "strategy.bad_plugin"


def test_plugin_that_fails_to_import_is_refused(install: Install) -> None:
    install({"broken": "fake_strategies_missing_mod:plugin"})
    with pytest.raises(StrategyError) as caught:
        load(StrategyConfig(name="broken"))
    assert caught.value.code == "strategy.load_failed"


def test_a_plugin_cannot_take_a_builtin_name(install: Install) -> None:
    install({"none": "fake_strategies_mod:plugin"})
    assert isinstance(load(StrategyConfig(name="none")), NoStrategy)


def test_config_problems_name_an_unknown_strategy() -> None:
    (problem,) = strategy_problems(StrategyConfig(name="nope"), SYMBOLS)
    assert problem.startswith("strategy.name:") and "strategy.unknown" in problem


def test_config_problems_name_a_strategy_that_would_never_trade() -> None:
    (problem,) = strategy_problems(StrategyConfig(name="ma_cross"), SYMBOLS)
    assert problem.startswith("strategy.ma_cross.qty: empty")


def test_config_problems_name_symbols_that_are_not_traded() -> None:
    config = StrategyConfig(name="rebalance", rebalance=RebalanceParams(weights={"SOL/USDT": 0.1}))
    (problem,) = strategy_problems(config, SYMBOLS)
    assert "SOL/USDT not in exchange.symbols" in problem


def test_config_problems_are_none_for_a_sound_config() -> None:
    config = StrategyConfig(name="ma_cross", ma_cross=MaCrossParams(qty={"BTC/USDT": 0.1}))
    assert strategy_problems(config, SYMBOLS) == []
