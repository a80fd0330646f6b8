"""ptctl: commands, --json everywhere, socket selection, exit codes 0/1/2/3, lean imports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import ROOT, DaemonProcess, run_ptctl


def sock(daemon: DaemonProcess) -> list[str]:
    return ["--socket", str(daemon.socket)]


def test_health_exit_0_and_names_mode_and_network(daemon: DaemonProcess) -> None:
    result = run_ptctl(*sock(daemon), "health")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("peaktrade paper@sim\nhealth: healthy")
    assert "event_loop" in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["health"],
        ["status"],
        ["kill", "--reason", "json test"],
        ["reduce", "--reason", "json test"],
        ["audit", "--limit", "5"],
    ],
)
def test_every_command_has_json_output(daemon: DaemonProcess, args: list[str]) -> None:
    result = run_ptctl(*sock(daemon), *args, "--json")
    data = json.loads(result.stdout)
    assert (data["mode"], data["network"]) == ("paper", "sim")
    assert "ok" in data


def test_kill_then_status_then_release(daemon: DaemonProcess) -> None:
    killed = run_ptctl(*sock(daemon), "kill", "--reason", "drill", "--cancel-open", "--flatten")
    assert killed.returncode == 0
    assert "ACTIVE -> HALTED [cancel-open, flatten] (durable)" in killed.stdout
    status = run_ptctl(*sock(daemon), "status")
    assert "trading state: HALTED (drill)" in status.stdout
    released = run_ptctl(*sock(daemon), "release", "--reason", "drill over")
    assert released.returncode == 0 and "HALTED -> ACTIVE" in released.stdout
    audit = run_ptctl(*sock(daemon), "audit")
    assert audit.stdout.count(" ok ") == 2


def test_refused_command_exits_1_with_the_reason(daemon: DaemonProcess) -> None:
    result = run_ptctl(*sock(daemon), "release", "--reason", "nothing to release")
    assert result.returncode == 1
    assert "error state.already_active" in result.stderr


def test_unhealthy_exits_1(daemon: DaemonProcess) -> None:
    # a config file broken on disk after start is a FAIL check: a restart would refuse to start
    daemon.config.write_text(daemon.config.read_text() + "\nno_such_key = 1\n")
    result = run_ptctl(*sock(daemon), "health")
    assert result.returncode == 1
    assert "UNHEALTHY" in result.stdout + result.stderr
    assert "no_such_key" in result.stdout


def test_socket_from_environment(daemon: DaemonProcess) -> None:
    result = run_ptctl("status", env={"PEAKTRADE_SOCKET": str(daemon.socket)})
    assert result.returncode == 0 and "trading state: ACTIVE" in result.stdout


def test_usage_error_exits_2() -> None:
    assert run_ptctl("kill").returncode == 2  # --reason is required
    assert run_ptctl("no-such-command").returncode == 2
    assert run_ptctl("audit", "--limit", "0").returncode == 2


def test_unreachable_daemon_exits_3_with_a_hint(tmp_path: Path) -> None:
    result = run_ptctl("--socket", str(tmp_path / "none.sock"), "health")
    assert result.returncode == 3
    assert "cannot reach the daemon: no daemon socket at" in result.stderr
    assert "hint:" in result.stderr


def test_dead_socket_exits_3(tmp_path: Path) -> None:
    import socket

    path = tmp_path / "dead.sock"
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(path))
    s.close()
    result = run_ptctl("--socket", str(path), "status")
    assert result.returncode == 3
    assert "nothing is listening" in result.stderr


def test_ptctl_imports_neither_ccxt_nor_aiohttp(daemon: DaemonProcess) -> None:
    code = (
        "import sys\n"
        "from ctl.main import app\n"
        "try:\n"
        f"    app(['--socket', {str(daemon.socket)!r}, 'health'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('ccxt', 'aiohttp', 'anyio', 'structlog', 'uvloop', 'sqlite3'))\n"
        "print('HEAVY', heavy)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=30
    )
    assert "health: healthy" in result.stdout
    assert "HEAVY []" in result.stdout, result.stdout
