"""`peaktrade check-config FILE` validates without starting: exit 0/1, effective values."""

from __future__ import annotations

from pathlib import Path

import msgspec

from tests.support import ROOT, run_peaktrade


def test_good_config_exits_0_and_prints_effective_values(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('profile = "tiny-live"\n[run]\nmode = "paper"\nnetwork = "sim"\n')
    result = run_peaktrade("check-config", str(cfg))
    assert result.returncode == 0, result.stderr
    assert "ok (profile tiny-live, mode paper, network sim" in result.stdout
    body = "\n".join(line for line in result.stdout.splitlines() if not line.startswith("#"))
    effective = msgspec.toml.decode(body.encode())
    assert effective["live_risk"]["max_order_notional"] == 25.0  # from the profile
    assert effective["control"]["max_connections"] == 64  # a default


def test_bad_config_exits_1_with_one_line_per_problem(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text(
        '[run]\nmode = "paper"\nnetwork = "sim"\n[control]\nbogus = 1\nmax_connections = 0\n'
    )
    result = run_peaktrade("check-config", str(cfg))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[0] == f"{cfg}: control.bogus: unknown key (not a setting here; check the spelling)"
    assert lines[1] == f"{cfg}: control.max_connections: expected `int` >= 1, got 0"
    assert lines[2] == f"{cfg}: 2 problem(s); the daemon would not start"


def test_daemon_refuses_to_start_with_bad_config(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text('[run]\nmode = "paper"\nnetwork = "nowhere"\n')
    result = run_peaktrade(
        "run",
        "--config",
        str(cfg),
        "--state-dir",
        str(tmp_path / "s"),
        "--socket",
        str(tmp_path / "s.sock"),
    )
    assert result.returncode == 78
    assert (
        "run.network: expected one of 'sim', 'testnet', 'mainnet', got 'nowhere'" in result.stderr
    )
    assert not (tmp_path / "s.sock").exists()


def test_default_config_checks_ok() -> None:
    result = run_peaktrade("check-config", "--quiet", str(ROOT / "config" / "config.toml"))
    assert result.returncode == 0, result.stderr
