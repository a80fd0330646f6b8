"""deploy/install.sh, run for real into staging roots: layout, modes, upgrades, refusals."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from peaktrade.config import load_config
from tests.deploy.unitfile import EXPOSURE_LIMIT, UNIT_DIR, UNITS, os_root, security, verify
from tests.support import ROOT

INSTALL = ROOT / "deploy" / "install.sh"
ACCOUNT = "acct-1"
EDIT = "# edited by the operator\n"


def install(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(INSTALL), *args], capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL
    )


def current(root: Path) -> str:
    return os.readlink(root / "opt/peaktrade/venv")


def releases(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "opt/peaktrade/releases").iterdir())


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@dataclass(frozen=True)
class History:
    """One staging root taken through install, upgrade, and a refused upgrade."""

    root: Path
    first: subprocess.CompletedProcess[str]
    first_release: str
    upgrade: subprocess.CompletedProcess[str]
    upgrade_release: str
    after_upgrade: list[str]
    refused: subprocess.CompletedProcess[str]
    after_refusal_release: str
    after_refusal: list[str]


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> History:
    root = tmp_path_factory.mktemp("staging")
    first = install("--root", str(root), "--instance", ACCOUNT)
    assert first.returncode == 0, first.stdout + first.stderr
    first_release = current(root)

    etc = root / "etc/peaktrade"
    with (etc / "config.toml").open("a") as config:
        config.write(EDIT)
    loose = etc / "credentials/testnet-api-key"
    loose.write_text("not-a-real-key")
    loose.chmod(0o644)
    upgrade = install("--root", str(root))
    assert upgrade.returncode == 0, upgrade.stdout + upgrade.stderr
    upgrade_release, after_upgrade = current(root), releases(root)

    (etc / "broken.toml").write_text("bogus = 1\n")
    refused = install("--root", str(root))
    (etc / "broken.toml").unlink()
    os_root(root)  # what a real system adds: systemd's own units and /bin/kill
    return History(
        root=root,
        first=first,
        first_release=first_release,
        upgrade=upgrade,
        upgrade_release=upgrade_release,
        after_upgrade=after_upgrade,
        refused=refused,
        after_refusal_release=current(root),
        after_refusal=releases(root),
    )


LAYOUT = (
    "opt/peaktrade/venv/bin/peaktrade",
    "opt/peaktrade/venv/bin/ptctl",
    "opt/peaktrade/docs/INSTALL.md",
    "opt/peaktrade/examples/live.example.toml",
    "etc/peaktrade/config.toml",
    f"etc/peaktrade/{ACCOUNT}.toml",
    f"etc/peaktrade/credentials/{ACCOUNT}",
    "etc/systemd/system/peaktrade.service",
    "etc/systemd/system/peaktrade@.service",
)


@pytest.mark.parametrize("path", LAYOUT)
def test_install_lays_out_the_documented_tree(history: History, path: str) -> None:
    assert (history.root / path).exists()


MODES = {
    "etc/peaktrade": 0o750,
    "etc/peaktrade/config.toml": 0o640,
    f"etc/peaktrade/{ACCOUNT}.toml": 0o640,
    "etc/peaktrade/credentials": 0o700,
    f"etc/peaktrade/credentials/{ACCOUNT}": 0o700,
    "etc/systemd/system/peaktrade.service": 0o644,
    "etc/systemd/system/peaktrade@.service": 0o644,
    "opt/peaktrade/releases": 0o755,
}


@pytest.mark.parametrize(("path", "expected"), MODES.items())
def test_install_sets_the_documented_mode(history: History, path: str, expected: int) -> None:
    assert oct(mode(history.root / path)) == oct(expected)


@pytest.mark.parametrize("unit", UNITS)
def test_installed_unit_is_the_checkouts(history: History, unit: str) -> None:
    installed = history.root / "etc/systemd/system" / unit
    assert installed.read_bytes() == (UNIT_DIR / unit).read_bytes()


def test_installed_units_pass_systemd_analyze_verify(history: History) -> None:
    """Inside the root: ExecStart= must find the installed venv's peaktrade."""
    result = verify(history.root, "peaktrade.service", f"peaktrade@{ACCOUNT}.service")
    assert result.returncode == 0, result.stderr
    assert result.stdout + result.stderr == ""


@pytest.mark.parametrize("unit", ["peaktrade.service", f"peaktrade@{ACCOUNT}.service"])
def test_installed_unit_exposure_is_at_most_1_5(history: History, unit: str) -> None:
    result, score = security(history.root, unit)
    assert score <= EXPOSURE_LIMIT, result.stdout
    assert result.returncode == 0


@pytest.mark.parametrize("name", ["config", ACCOUNT])
def test_installed_peaktrade_accepts_the_starter_config(history: History, name: str) -> None:
    peaktrade = history.root / "opt/peaktrade/venv/bin/peaktrade"
    config = history.root / f"etc/peaktrade/{name}.toml"
    result = subprocess.run(
        [str(peaktrade), "check-config", "--quiet", str(config)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_starter_config_is_paper_trading_on_the_simulator(history: History) -> None:
    run = load_config(history.root / "etc/peaktrade/config.toml").config.run
    assert (run.mode.value, run.network.value) == ("paper", "sim")


def test_instance_starter_config_names_its_account(history: History) -> None:
    config = load_config(history.root / f"etc/peaktrade/{ACCOUNT}.toml").config
    assert config.run.account_label == ACCOUNT


def test_starter_config_lets_the_peaktrade_group_read_and_kill(history: History) -> None:
    control = load_config(history.root / "etc/peaktrade/config.toml").config.control
    assert control.group == "peaktrade"
    assert "group:peaktrade" in control.allow.read
    assert "group:peaktrade" in control.allow.kill
    assert "group:peaktrade" not in control.allow.trade


@pytest.mark.parametrize("program", ["ptctl", "peaktrade"])
def test_program_is_on_path_through_the_venv_link(history: History, program: str) -> None:
    link = history.root / "usr/local/bin" / program
    assert os.readlink(link) == f"/opt/peaktrade/venv/bin/{program}"
    staged = history.root / "opt/peaktrade/venv/bin" / program
    assert subprocess.run([str(staged), "--help"], capture_output=True).returncode == 0


def test_first_install_tells_how_to_start(history: History) -> None:
    assert "systemctl enable --now peaktrade" in history.first.stdout


def test_upgrade_keeps_the_edited_config(history: History) -> None:
    assert (history.root / "etc/peaktrade/config.toml").read_text().endswith(EDIT)


def test_upgrade_switches_to_a_new_release_and_keeps_the_previous(history: History) -> None:
    assert history.upgrade_release != history.first_release
    names = sorted(p.rsplit("/", 1)[-1] for p in (history.first_release, history.upgrade_release))
    assert history.after_upgrade == names


def test_upgrade_says_running_daemons_need_a_restart(history: History) -> None:
    assert "systemctl try-restart" in history.upgrade.stdout


def test_upgrade_tightens_a_loose_credential(history: History) -> None:
    assert oct(mode(history.root / "etc/peaktrade/credentials/testnet-api-key")) == oct(0o600)


def test_config_rejected_by_the_new_release_stops_the_upgrade(history: History) -> None:
    assert history.refused.returncode == 1
    assert "broken.toml" in history.refused.stderr
    assert history.after_refusal_release == history.upgrade_release
    assert history.after_refusal == history.after_upgrade


def test_dry_run_into_a_root_writes_nothing(tmp_path: Path) -> None:
    result = install("--dry-run", "--root", str(tmp_path), "--instance", ACCOUNT)
    assert result.returncode == 0, result.stderr
    assert list(tmp_path.iterdir()) == []
    assert f"+ install -d -m 0700 {tmp_path}/etc/peaktrade/credentials/{ACCOUNT}" in result.stdout


def test_dry_run_on_the_system_plans_user_and_daemon_reload() -> None:
    had_opt = Path("/opt/peaktrade").exists()
    result = install("--dry-run")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith("+ useradd --system") for line in lines) or (
        "= user peaktrade exists" in lines
    )
    assert "+ systemctl daemon-reload" in result.stdout
    assert Path("/opt/peaktrade").exists() == had_opt


def test_refuses_an_interpreter_the_service_cannot_see(tmp_path: Path) -> None:
    """ProtectHome=yes hides /home and /root: a venv based there would not start."""
    fake = tmp_path / "python3"
    fake.write_text('#!/bin/sh\ncase "$2" in *base_prefix*) echo /home/op/.pyenv ;; esac\n')
    fake.chmod(0o755)
    result = install("--dry-run", "--root", str(tmp_path / "r"), "--python", str(fake))
    assert result.returncode == 1
    assert "ProtectHome" in result.stderr


def test_rejects_an_instance_name_that_is_not_an_account_label(tmp_path: Path) -> None:
    result = install("--dry-run", "--root", str(tmp_path), "--instance", "../etc")
    assert result.returncode == 1
    assert "--instance ../etc" in result.stderr


def test_install_script_is_shellcheck_clean() -> None:
    shellcheck = shutil.which("shellcheck")
    assert shellcheck, "shellcheck is missing: apt-get install shellcheck"
    result = subprocess.run([shellcheck, str(INSTALL)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
