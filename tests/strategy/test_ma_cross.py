"""ma_cross: golden cross goes long, death cross goes flat (or short), history only primes."""

from __future__ import annotations

import pytest

from peaktrade.strategy.base import Targets
from peaktrade.strategy.config import MaCrossParams
from peaktrade.strategy.ma_cross import Cross, MaCross, cross_at
from tests.strategy.support import bars, context

FALLING = [10.0, 9.0, 8.0, 7.0, 6.0]
RISING = [6.0, 7.0, 8.0, 9.0, 10.0]


def strategy(**params: object) -> MaCross:
    values = {"fast": 2, "slow": 4, "qty": {"BTC/USDT": 0.5}, **params}
    return MaCross(MaCrossParams(**values))  # type: ignore[arg-type]


def targets(
    s: MaCross, held: dict[str, float] | None = None, own: dict[str, float] | None = None
) -> dict[str, float]:
    decision = s.decide(context({"BTC/USDT": 100.0}, held, own=own))
    assert isinstance(decision, Targets)
    return decision.positions


def feed(s: MaCross, closes: list[float]) -> None:
    for bar in bars("BTC/USDT", closes):
        s.on_bar(bar)


def test_golden_cross_is_the_fast_average_rising_through_the_slow() -> None:
    assert cross_at([*FALLING, 20.0], fast=2, slow=4) is Cross.GOLDEN


def test_death_cross_is_the_fast_average_falling_through_the_slow() -> None:
    assert cross_at([*RISING, 1.0], fast=2, slow=4) is Cross.DEATH


def test_no_cross_while_the_trend_holds() -> None:
    assert cross_at([*RISING, 11.0], fast=2, slow=4) is None


def test_no_cross_before_slow_plus_one_closes() -> None:
    assert cross_at([1.0, 2.0, 3.0, 50.0], fast=2, slow=4) is None


def test_golden_cross_targets_the_configured_qty() -> None:
    s = strategy()
    s.warm_up(bars("BTC/USDT", FALLING))
    feed(s, [20.0])
    assert targets(s) == {"BTC/USDT": 0.5}


def test_death_cross_targets_flat_on_spot() -> None:
    s = strategy()
    s.warm_up(bars("BTC/USDT", FALLING))
    feed(s, [20.0, 21.0, 1.0])
    assert targets(s) == {"BTC/USDT": 0.0}


def test_death_cross_targets_short_when_allowed() -> None:
    s = strategy(allow_short=True)
    s.warm_up(bars("BTC/USDT", RISING))
    feed(s, [1.0])
    assert targets(s) == {"BTC/USDT": -0.5}


def test_crosses_in_the_warm_up_history_do_not_act() -> None:
    s = strategy()
    s.warm_up(bars("BTC/USDT", [*FALLING, 20.0]))  # a golden cross, but in history
    assert targets(s) == {}


def test_position_is_left_alone_until_the_first_live_cross() -> None:
    s = strategy()
    s.warm_up(bars("BTC/USDT", RISING))
    feed(s, [11.0, 12.0])
    assert targets(s) == {}


def test_target_is_asserted_at_every_decision_after_a_cross() -> None:
    s = strategy()
    s.warm_up(bars("BTC/USDT", FALLING))
    feed(s, [20.0, 21.0, 22.0])
    assert targets(s) == targets(s) == {"BTC/USDT": 0.5}


def test_coins_held_besides_the_strategys_are_kept_on_a_golden_cross() -> None:
    s = strategy()
    s.warm_up(bars("BTC/USDT", FALLING))
    feed(s, [20.0])
    assert targets(s, held={"BTC/USDT": 2.0}) == {"BTC/USDT": 2.5}


def test_death_cross_sells_only_what_the_strategy_bought() -> None:
    s = strategy()
    s.warm_up(bars("BTC/USDT", RISING))
    feed(s, [1.0])
    assert targets(s, held={"BTC/USDT": 2.5}, own={"BTC/USDT": 0.5}) == {"BTC/USDT": 2.0}


def test_flat_on_spot_never_sells_below_zero() -> None:
    s = strategy()
    s.warm_up(bars("BTC/USDT", RISING))
    feed(s, [1.0])
    # the operator already sold part of what the strategy bought
    assert targets(s, held={"BTC/USDT": 0.2}, own={"BTC/USDT": 0.5}) == {"BTC/USDT": 0.0}


def test_symbols_without_a_qty_are_not_traded() -> None:
    s = strategy()
    s.warm_up(bars("ETH/USDT", FALLING))
    for bar in bars("ETH/USDT", [20.0]):
        s.on_bar(bar)
    assert targets(s) == {}


def test_history_wanted_is_slow_plus_one() -> None:
    assert strategy(fast=3, slow=7).history_bars == 8


def test_fast_must_be_shorter_than_slow() -> None:
    with pytest.raises(ValueError, match="fast"):
        MaCrossParams(fast=5, slow=5)
