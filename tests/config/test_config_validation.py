"""Config is refused with one clear line per problem: file, key path, what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from peaktrade.config import ConfigError, Mode, Network, load_config, parse_config

ROOT = Path(__file__).resolve().parents[2]

GOOD = """
[run]
mode = "paper"
network = "sim"
"""


def problems_of(text: str, source: str = "cfg.toml") -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(text.encode(), source=source)
    return info.value.problems


def test_minimal_config_loads_with_defaults() -> None:
    loaded = parse_config(GOOD.encode(), source="cfg.toml")
    assert loaded.config.run.mode is Mode.PAPER
    assert loaded.config.run.network is Network.SIM
    assert loaded.config.live.armed is False
    assert len(loaded.digest) == 16


@pytest.mark.parametrize("name", ["config.toml", "testnet.example.toml", "live.example.toml"])
def test_shipped_configs_are_valid(name: str) -> None:
    loaded = load_config(ROOT / "config" / name)
    assert loaded.config.run.mode.value in {"paper", "testnet", "live"}


def test_unknown_key_names_file_and_key_path() -> None:
    (line,) = problems_of(GOOD + "\n[control]\nmax_conections = 3\n")
    assert line.startswith("cfg.toml: control.max_conections: unknown key")


def test_unknown_section_is_refused() -> None:
    (line,) = problems_of(GOOD + "\n[contrl]\nx = 1\n")
    assert line.startswith("cfg.toml: contrl: unknown")


def test_wrong_type_names_expected_type() -> None:
    (line,) = problems_of(GOOD + '\n[control]\nmax_connections = "many"\n')
    assert line == "cfg.toml: control.max_connections: expected `int`, got `str`"


def test_out_of_range_names_bound_and_value() -> None:
    (line,) = problems_of(GOOD + "\n[control]\nmax_connections = 0\n")
    assert line == "cfg.toml: control.max_connections: expected `int` >= 1, got 0"


def test_bad_enum_lists_the_choices() -> None:
    (line,) = problems_of('[run]\nmode = "lvie"\nnetwork = "sim"\n')
    assert "run.mode: expected one of 'shadow', 'paper', 'testnet', 'live', got 'lvie'" in line


def test_every_problem_is_reported_at_once() -> None:
    text = """
[run]
mode = "paper"
network = "moon"
[control]
max_connections = -5
idle_timeout_s = "soon"
typo = true
[live_risk]
max_order_notional = -1
"""
    problems = problems_of(text)
    keys = [p.split(": ")[1] for p in problems]
    assert keys == [
        "run.network",
        "control.max_connections",
        "control.idle_timeout_s",
        "control.typo",
        "live_risk.max_order_notional",
    ]


def test_nested_list_element_path() -> None:
    (line,) = problems_of(GOOD + '\n[exchange]\nsymbols = ["BTC/USDT", "btc-usdt"]\n')
    assert line.startswith("cfg.toml: exchange.symbols[1]: expected `str` matching regex")


def test_missing_mode_is_refused() -> None:
    (line,) = problems_of('[run]\nnetwork = "sim"\n')
    assert "run: missing required key: `mode`" in line


def test_missing_run_section_is_refused() -> None:
    (line,) = problems_of('profile = "dev"\n')
    assert "missing required key: `run`" in line


def test_toml_syntax_error_names_line() -> None:
    (line,) = problems_of("[run\nmode = 1\n")
    assert line.startswith("cfg.toml: not valid TOML:")
    assert "line 1" in line


def test_unreadable_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "missing.toml")
    assert "cannot read" in info.value.problems[0]


@pytest.mark.parametrize(
    ("mode", "network"),
    [("testnet", "mainnet"), ("live", "sim"), ("live", "testnet")],
)
def test_mode_network_matrix_is_enforced(mode: str, network: str) -> None:
    extra = "\n[live]\narmed = true\n" if mode == "live" else ""
    problems = problems_of(f'[run]\nmode = "{mode}"\nnetwork = "{network}"\n{extra}')
    assert any(f"mode {mode!r} cannot run on network {network!r}" in p for p in problems)


@pytest.mark.parametrize(
    ("mode", "network"),
    [
        ("shadow", "sim"),
        ("shadow", "testnet"),
        ("shadow", "mainnet"),
        ("paper", "sim"),
        ("paper", "testnet"),
        ("paper", "mainnet"),
        ("testnet", "sim"),
        ("testnet", "testnet"),
    ],
)
def test_allowed_mode_network_pairs_load(mode: str, network: str) -> None:
    loaded = parse_config(f'[run]\nmode = "{mode}"\nnetwork = "{network}"\n'.encode(), source="c")
    assert loaded.config.run.mode.value == mode


def test_live_without_arming_is_refused() -> None:
    problems = problems_of('[run]\nmode = "live"\nnetwork = "mainnet"\n')
    assert any("live.armed" in p for p in problems)


def test_arming_outside_live_mode_is_refused() -> None:
    problems = problems_of(GOOD + "\n[live]\narmed = true\n")
    assert any('only meaningful with mode "live"' in p for p in problems)
