"""Prices: a seeded walk that replays, and scripted paths that drive the whole simulator."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from peaktrade.venues.sim import SimSettings
from peaktrade.venues.sim.matching import Engine
from peaktrade.venues.sim.prices import RandomWalk, parse_price_script
from peaktrade.venues.sim.ticks import tick
from tests.sim.conftest import StartSim, eventually


def path(seed: int, ticks: int = 50) -> list[Decimal]:
    engine = Engine(SimSettings(seed=seed, history_minutes=5), lambda: 1_700_000_000_000)
    prices = []
    for _ in range(ticks):
        tick(engine, 0.2)
        prices.append(engine.markets["BTCUSDT"].last)
    return prices


def test_the_walk_replays_for_the_same_seed() -> None:
    assert path(11) == path(11)


def test_different_seeds_walk_differently() -> None:
    assert path(11) != path(12)


def test_each_symbol_walks_on_its_own_generator() -> None:
    a = RandomWalk(5, "BTCUSDT", 100.0, 0.01, 1.0)
    b = RandomWalk(5, "ETHUSDT", 100.0, 0.01, 1.0)
    assert [a.step() for _ in range(5)] != [b.step() for _ in range(5)]


def test_zero_volatility_holds_the_price() -> None:
    walk = RandomWalk(5, "BTCUSDT", 100.0, 0.0, 1.0)
    assert {walk.step() for _ in range(10)} == {100.0}


SCRIPT = """
# a drill: BTC drops 10 % in ten seconds, then holds
t_offset_s,symbol,price
0,BTCUSDT,65000
10,BTCUSDT,58500
5, ethusdt, 3000
"""


def test_scripted_path_interpolates_between_points_and_holds_outside() -> None:
    script = parse_price_script(SCRIPT)
    assert script.symbols == {"BTCUSDT", "ETHUSDT"}
    assert script.price_at("BTCUSDT", 5) == Decimal(61750)
    assert script.price_at("BTCUSDT", 60) == Decimal(58500)
    assert script.price_at("ETHUSDT", 0) == Decimal(3000)
    assert script.price_at("SOLUSDT", 1) is None


@pytest.mark.parametrize(
    "line", ["0,BTCUSDT", "x,BTCUSDT,1", "0,BTCUSDT,-5", "-1,BTCUSDT,5", "0,BTCUSDT,abc"]
)
def test_a_bad_script_line_is_reported_with_its_number(line: str) -> None:
    with pytest.raises(ValueError, match="line 2"):
        parse_price_script("0,BTCUSDT,65000\n" + line)


async def test_the_simulator_follows_a_prices_file(start_sim: StartSim, tmp_path: Path) -> None:
    script = tmp_path / "drop.csv"
    script.write_text("0,BTCUSDT,65000\n0.5,BTCUSDT,58500\n")
    sim = await start_sim(prices_file=str(script), volatility=0.001)
    await eventually(lambda: sim.last_price("BTCUSDT") == Decimal(58500))
    book = sim.engine.books["BTCUSDT"]
    assert book.best("bids")[0] < Decimal(58500) < book.best("asks")[0]  # type: ignore[index]
    assert sim.last_price("ETHUSDT") != Decimal(3200)  # unscripted symbols keep walking


async def test_klines_have_history_from_the_start(exchange: object) -> None:
    candles = await exchange.fetch_ohlcv("ETH/USDT", "1m", limit=100)  # type: ignore[attr-defined]
    assert len(candles) == 100
    assert candles[-1][4] == 3200
