"""Live starts only with config arming AND a matching confirmation from outside the config."""

from __future__ import annotations

from pathlib import Path

import pytest

from peaktrade.config import parse_config
from peaktrade.daemon.arming import LiveRefused, check_live_arming
from tests.support import run_peaktrade

LIVE = """
[run]
mode = "live"
network = "mainnet"
account_label = "binance-main"
[live]
armed = true
"""


def live_config(text: str = LIVE):  # type: ignore[no-untyped-def]
    return parse_config(text.encode(), source="live.toml").config


def test_armed_and_confirmed_by_environment_passes() -> None:
    check_live_arming(live_config(), {"PEAKTRADE_LIVE_CONFIRM": "binance-main"})


def test_armed_and_confirmed_by_systemd_credential_passes(tmp_path: Path) -> None:
    (tmp_path / "live-confirm").write_text("binance-main\n")
    check_live_arming(live_config(), {"CREDENTIALS_DIRECTORY": str(tmp_path)})


def test_armed_without_confirmation_is_refused() -> None:
    with pytest.raises(LiveRefused, match="not confirmed"):
        check_live_arming(live_config(), {})


def test_confirmation_for_another_account_is_refused() -> None:
    with pytest.raises(LiveRefused, match="does not match the account label"):
        check_live_arming(live_config(), {"PEAKTRADE_LIVE_CONFIRM": "binance-other"})


def test_non_live_modes_need_no_confirmation() -> None:
    paper = parse_config(b'[run]\nmode = "paper"\nnetwork = "mainnet"\n', source="p").config
    check_live_arming(paper, {})


def test_daemon_refuses_unconfirmed_live_before_touching_anything(tmp_path: Path) -> None:
    cfg = tmp_path / "live.toml"
    cfg.write_text(LIVE)
    result = run_peaktrade(
        "run",
        "--config",
        str(cfg),
        "--state-dir",
        str(tmp_path / "state"),
        "--socket",
        str(tmp_path / "s.sock"),
        env={"PEAKTRADE_LIVE_CONFIRM": ""},
    )
    assert result.returncode == 78
    assert "live is armed but not confirmed" in result.stderr
    assert not (tmp_path / "state").exists() and not (tmp_path / "s.sock").exists()


def test_daemon_refuses_live_with_unarmed_config(tmp_path: Path) -> None:
    cfg = tmp_path / "live.toml"
    cfg.write_text(LIVE.replace("armed = true", "armed = false"))
    result = run_peaktrade(
        "run",
        "--config",
        str(cfg),
        "--state-dir",
        str(tmp_path / "state"),
        env={"PEAKTRADE_LIVE_CONFIRM": "binance-main"},
    )
    assert result.returncode == 78
    assert 'mode "live" needs live.armed = true' in result.stderr


def test_a_typo_cannot_start_live(tmp_path: Path) -> None:
    cfg = tmp_path / "live.toml"
    cfg.write_text(LIVE.replace('mode = "live"', 'mode = "Live"'))
    result = run_peaktrade("check-config", str(cfg))
    assert result.returncode == 1
    assert "run.mode: expected one of" in result.stderr
