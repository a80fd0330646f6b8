"""The systemd units: valid for this systemd, sandboxed to exposure <= 1.5, true to the daemon."""

from __future__ import annotations

import codecs
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from peaktrade.alerts.config import AlertsConfig
from peaktrade.cli import app as peaktrade_app
from peaktrade.config import DaemonConfig, Network
from peaktrade.credentials import read_credential
from peaktrade.daemon.app import EXIT_CONFIG
from peaktrade.daemon.arming import CONFIRM_CREDENTIAL
from tests.deploy.unitfile import (
    EXPOSURE_LIMIT,
    UNIT_DIR,
    UNITS,
    directives,
    os_root,
    security,
    values,
    verify,
)

# As operators start them: the template needs an instance name.
STARTED = ("peaktrade.service", "peaktrade@acct-1.service")
EXECUTABLE = "opt/peaktrade/venv/bin/peaktrade"


def unit_text(name: str) -> str:
    return (UNIT_DIR / name).read_text()


@pytest.fixture(scope="module")
def staged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A root holding the checkout's units, systemd's own units and the daemon's path."""
    root = os_root(tmp_path_factory.mktemp("units-root"))
    units = root / "etc/systemd/system"
    units.mkdir(parents=True)
    for name in UNITS:
        shutil.copy(UNIT_DIR / name, units / name)
    stub = root / EXECUTABLE
    stub.parent.mkdir(parents=True)
    stub.write_text("#!/bin/sh\n")
    stub.chmod(0o755)
    return root


@pytest.mark.parametrize("unit", STARTED)
def test_unit_passes_systemd_analyze_verify(staged: Path, unit: str) -> None:
    result = verify(staged, unit)
    assert result.returncode == 0, result.stderr
    assert result.stdout + result.stderr == ""  # warnings (e.g. a bad value) exit 0 too


@pytest.mark.parametrize("unit", STARTED)
def test_unit_exposure_is_at_most_1_5(staged: Path, unit: str) -> None:
    result, score = security(staged, unit)
    assert score <= EXPOSURE_LIMIT, result.stdout
    assert result.returncode == 0, result.stdout + result.stderr


def test_verify_reports_a_misspelled_setting(staged: Path) -> None:
    """The verify check above can fail: a typo in a unit is reported."""
    bad = staged / "etc/systemd/system/typo.service"
    bad.write_text(unit_text("peaktrade.service").replace("NoNewPrivileges=", "NoNewPrivilege="))
    result = verify(staged, "typo.service")
    assert "NoNewPrivilege" in result.stderr
    assert "Unknown key" in result.stderr


def per_account(single: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """What peaktrade.service becomes as a per-account template."""
    out = []
    for section, key, value in single:
        if key == "RuntimeDirectoryPreserve":
            continue  # the shared /run/peaktrade is kept for the instances beneath it
        if key == "Description":
            value += " (account %i)"
        elif key == "ExecStart":
            value = value.replace("/etc/peaktrade/config.toml", "/etc/peaktrade/%i.toml")
        elif key in ("StateDirectory", "RuntimeDirectory"):
            value += "/%i"
        elif key == "LoadCredential":
            value = value.replace("/etc/peaktrade/credentials/", "/etc/peaktrade/credentials/%i/")
        out.append((section, key, value))
    return out


def test_template_differs_only_in_per_account_paths() -> None:
    single = directives(unit_text("peaktrade.service"))
    assert directives(unit_text("peaktrade@.service")) == per_account(single)


def daemon_credentials() -> set[str]:
    """Every credential name the daemon reads by default."""
    alerts = AlertsConfig()
    sinks = {
        getattr(alerts, field).credential
        for field in alerts.__struct_fields__
        if hasattr(getattr(alerts, field), "credential")
    }
    networks = [n.value for n in Network if n is not Network.SIM]
    api = {f"{network}-api-{part}" for network in networks for part in ("key", "secret")}
    return {CONFIRM_CREDENTIAL, *sinks, *api}


@pytest.mark.parametrize("unit", UNITS)
def test_unit_loads_every_credential_the_daemon_reads(unit: str) -> None:
    loaded = {v.split(":", 1)[0] for v in values(unit_text(unit), "LoadCredential")}
    assert loaded == daemon_credentials()


@pytest.mark.parametrize("unit", UNITS)
def test_unit_loads_credentials_from_the_root_only_store(unit: str) -> None:
    store = "/etc/peaktrade/credentials/%i/" if "@" in unit else "/etc/peaktrade/credentials/"
    for value in values(unit_text(unit), "LoadCredential"):
        name, path = value.split(":", 1)
        assert path == store + name


@pytest.mark.parametrize("unit", UNITS)
def test_absent_credential_file_reads_as_not_provided(unit: str, tmp_path: Path) -> None:
    """Each credential's SetCredential= fallback is what the daemon reads as "none given"."""
    text = unit_text(unit)
    fallbacks = dict(v.split(":", 1) for v in values(text, "SetCredential"))
    assert set(fallbacks) == {v.split(":", 1)[0] for v in values(text, "LoadCredential")}
    for name, escaped in fallbacks.items():
        (tmp_path / name).write_text(codecs.decode(escaped, "unicode_escape"))
        assert read_credential(name, {"CREDENTIALS_DIRECTORY": str(tmp_path)}) is None


@pytest.mark.parametrize("unit", UNITS)
def test_bad_config_exit_code_is_not_restarted(unit: str) -> None:
    text = unit_text(unit)
    assert values(text, "Restart") == ["on-failure"]
    assert str(EXIT_CONFIG) in values(text, "RestartPreventExitStatus")[0].split()


@pytest.mark.parametrize("unit", UNITS)
def test_unit_is_notify_with_watchdog_and_reload(unit: str) -> None:
    text = unit_text(unit)
    assert values(text, "Type") == ["notify"]
    assert values(text, "NotifyAccess") == ["main"]
    assert values(text, "WatchdogSec") == ["30s"]
    assert values(text, "ExecReload") == ["/bin/kill -HUP $MAINPID"]


@pytest.mark.parametrize("unit", UNITS)
def test_stop_timeout_outlasts_the_graceful_drain(unit: str) -> None:
    (timeout,) = values(unit_text(unit), "TimeoutStopSec")
    assert timeout.endswith("s")
    assert float(timeout[:-1]) > DaemonConfig().shutdown_timeout_s + 2


@pytest.mark.parametrize("unit", UNITS)
def test_execstart_is_a_valid_peaktrade_run(unit: str, monkeypatch: pytest.MonkeyPatch) -> None:
    (command,) = values(unit_text(unit), "ExecStart")
    program, *args = command.split()
    assert program == "/" + EXECUTABLE
    called: list[tuple[object, ...]] = []

    def run_daemon(*args: object) -> int:
        called.append(args)
        return 0

    monkeypatch.setattr("peaktrade.daemon.app.run_daemon", run_daemon)
    result = CliRunner().invoke(peaktrade_app, args)
    assert result.exit_code == 0, result.output
    config = "/etc/peaktrade/%i.toml" if "@" in unit else "/etc/peaktrade/config.toml"
    assert called == [(config, None, None)]


@pytest.mark.parametrize("unit", UNITS)
def test_unit_reaches_only_unix_and_internet_sockets(unit: str) -> None:
    assert values(unit_text(unit), "RestrictAddressFamilies") == ["AF_UNIX AF_INET AF_INET6"]


@pytest.mark.parametrize("unit", UNITS)
def test_unit_runs_as_peaktrade_without_capabilities(unit: str) -> None:
    text = unit_text(unit)
    assert (values(text, "User"), values(text, "Group")) == (["peaktrade"], ["peaktrade"])
    assert values(text, "CapabilityBoundingSet") == [""]
    assert values(text, "NoNewPrivileges") == ["yes"]
