"""The [strategy] section: typed, validated, every problem named by its key."""

from __future__ import annotations

import msgspec
import pytest

from peaktrade.config import ConfigError, parse_config
from peaktrade.strategy.bars import Timeframe
from peaktrade.strategy.config import StrategyConfig

HEAD = """
[run]
mode = "paper"
network = "sim"
"""


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config((HEAD + text).encode(), source="t.toml")
    return caught.value.problems


def test_default_is_operator_driven_only() -> None:
    config = parse_config(HEAD.encode(), source="t.toml").config
    assert config.strategy == StrategyConfig(name="none")


def test_strategy_section_is_read_with_its_parameters() -> None:
    text = """
[strategy]
name = "ma_cross"
interval_s = 2.5
timeframe = "5m"
[strategy.ma_cross]
fast = 3
slow = 9
qty = { "BTC/USDT" = 0.01 }
"""
    config = parse_config((HEAD + text).encode(), source="t.toml").config.strategy
    assert (config.name, config.interval_s, config.timeframe) == ("ma_cross", 2.5, Timeframe.M5)
    assert (config.ma_cross.fast, config.ma_cross.slow) == (3, 9)
    assert config.ma_cross.qty == {"BTC/USDT": 0.01}


def test_unknown_key_in_a_strategy_table_is_refused() -> None:
    (line,) = problems('[strategy.rebalance]\nweigths = { "BTC/USDT" = 0.1 }\n')
    assert "strategy.rebalance.weigths" in line and "unknown key" in line


def test_fast_not_below_slow_is_refused() -> None:
    (line,) = problems("[strategy.ma_cross]\nfast = 20\nslow = 10\n")
    assert "strategy.ma_cross" in line and "fast (20) must be less than slow (10)" in line


def test_weights_out_of_range_are_refused() -> None:
    (line,) = problems('[strategy.rebalance]\nweights = { "BTC/USDT" = 1.5 }\n')
    assert "strategy.rebalance.weights" in line


def test_unknown_strategy_name_is_refused() -> None:
    (line,) = problems('[strategy]\nname = "moonshot"\n')
    assert "strategy.name" in line and "strategy.unknown" in line


def test_chosen_strategy_with_nothing_to_trade_is_refused() -> None:
    (line,) = problems('[strategy]\nname = "rebalance"\n')
    assert "strategy.rebalance.weights: empty" in line


def test_interval_below_the_floor_is_refused() -> None:
    with pytest.raises(msgspec.ValidationError, match="interval_s"):
        msgspec.convert({"interval_s": 0.01}, StrategyConfig)
