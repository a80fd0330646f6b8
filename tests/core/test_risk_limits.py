"""Effective limits: explicit keys, risk profiles relative to equity, exchange presets, display."""

from __future__ import annotations

import pytest

from peaktrade.config import ConfigError, parse_config
from peaktrade.core.risk_config import LiveRiskConfig, RiskProfile, SymbolRiskConfig
from peaktrade.core.risk_limits import render_limits, resolve_limits

BASE = '[run]\nmode = "paper"\nnetwork = "sim"\n'
SYMBOLS = ("BTC/USDT", "ETH/USDT")


def resolve(config: LiveRiskConfig, equity: float = 10_000.0, exchange: str = "binance"):  # type: ignore[no-untyped-def]
    return resolve_limits(config, exchange_id=exchange, symbols=SYMBOLS, equity=equity)


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config((BASE + text).encode(), source="c.toml")
    return info.value.problems


def test_absent_limit_means_no_limit() -> None:
    assert resolve(LiveRiskConfig()).max_order_notional is None


def test_explicit_zero_means_no_limit() -> None:
    config = LiveRiskConfig(risk_profile=RiskProfile.CONSERVATIVE, max_order_notional=0)
    assert resolve(config).max_order_notional is None


def test_profile_presets_limits_relative_to_equity() -> None:
    limits = resolve(LiveRiskConfig(risk_profile=RiskProfile.CONSERVATIVE), equity=50_000.0)
    assert limits.max_order_notional == pytest.approx(500.0)
    assert limits.sources["max_order_notional"] == "profile conservative"


def test_profiles_get_looser_from_conservative_to_aggressive() -> None:
    order = [
        resolve(LiveRiskConfig(risk_profile=p)).max_total_exposure_notional for p in RiskProfile
    ]
    assert order == sorted(order)


def test_explicit_value_overrides_the_profile() -> None:
    config = LiveRiskConfig(risk_profile=RiskProfile.AGGRESSIVE, max_order_notional=42)
    limits = resolve(config)
    assert (limits.max_order_notional, limits.sources["max_order_notional"]) == (42.0, "config")


def test_exchange_preset_fills_the_order_rate() -> None:
    limits = resolve(LiveRiskConfig(), exchange="kraken")
    assert limits.max_orders_per_second == 1
    assert limits.sources["max_orders_per_second"] == "preset kraken"


def test_unknown_exchange_gets_the_default_preset() -> None:
    assert resolve(LiveRiskConfig(), exchange="nowhere").max_quote_age_s == 30.0


def test_tighter_of_profile_and_preset_wins() -> None:
    limits = resolve(LiveRiskConfig(risk_profile=RiskProfile.CONSERVATIVE), exchange="binance")
    assert limits.price_band_pct == 1.0  # profile 1 % vs preset 5 %


def test_symbol_override_inherits_unset_keys() -> None:
    config = LiveRiskConfig(
        max_order_notional=100,
        max_symbol_exposure_notional=1000,
        symbols={"BTC/USDT": SymbolRiskConfig(max_order_notional=10)},
    )
    btc = resolve(config).for_symbol("BTC/USDT")
    assert (btc.max_order_notional, btc.max_symbol_exposure_notional) == (10.0, 1000.0)


def test_render_shows_value_and_source_per_limit() -> None:
    config = LiveRiskConfig(risk_profile=RiskProfile.CONSERVATIVE, max_daily_loss_abs=200)
    lines = render_limits(config, exchange_id="binance", symbols=SYMBOLS, equity=10_000.0)
    assert "max_order_notional = 100 (1% of equity)  [profile conservative]" in lines
    assert "max_daily_loss_abs = 200  [config]" in lines
    assert "max_run_trades = none  [no limit]" in lines


def test_render_without_equity_shows_the_share() -> None:
    config = LiveRiskConfig(risk_profile=RiskProfile.MODERATE)
    lines = render_limits(config, exchange_id="binance", symbols=SYMBOLS, equity=None)
    assert "max_order_notional = 2.5% of equity  [profile moderate]" in lines


def test_config_file_accepts_nested_risk_tables() -> None:
    text = (
        '[live_risk]\nrisk_profile = "moderate"\nmax_orders_per_minute = 30\n'
        '[live_risk.symbols."BTC/USDT"]\nmax_order_notional = 250\n'
        '[live_risk.actions]\nmax_total_exposure_notional = "halt_cancel_open"\n'
        '[live_risk.trading_day]\nstart = "08:00"\nzone = "Europe/Berlin"\n'
        "[live_risk.kill]\nmax_market_data_gap_min = 2\n"
        "[live_risk.reopen]\nsteps = [0.25, 1.0]\n"
    )
    risk = parse_config((BASE + text).encode(), source="c.toml").config.live_risk
    assert risk.symbols["BTC/USDT"].max_order_notional == 250
    assert risk.trading_day.zone == "Europe/Berlin"
    assert risk.reopen.steps == (0.25, 1.0)


def test_unknown_time_zone_is_a_config_problem() -> None:
    (line,) = problems('[live_risk.trading_day]\nzone = "Mars/Olympus"\n')
    assert "live_risk.trading_day" in line and "Mars/Olympus" in line


def test_reopen_steps_must_end_at_full_size() -> None:
    (line,) = problems("[live_risk.reopen]\nsteps = [0.5, 0.75]\n")
    assert "must end with 1.0" in line


def test_bad_symbol_key_is_a_config_problem() -> None:
    (line,) = problems('[live_risk.symbols."btc-usdt"]\nmax_order_notional = 1\n')
    assert "btc-usdt" in line and "matching regex" in line


def test_unknown_action_lists_the_choices() -> None:
    (line,) = problems('[live_risk.actions]\nmax_daily_loss_abs = "panic"\n')
    assert "'alert', 'reduce', 'halt', 'halt_cancel_open'" in line
