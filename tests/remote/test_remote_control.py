"""ptctl --host ssh://...: on-call kills a daemon on another machine, through a real sshd."""

from __future__ import annotations

import os
import pwd
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from peaktrade.control.protocol import AuditQuery, AuditResult, Status, StatusResult
from tests.remote.sshd import PTCTL, Sshd
from tests.support import BASE_CONFIG, DaemonProcess, free_port, run_ptctl


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    server = Sshd(tmp_path_factory.mktemp("sshd")).start()
    yield server
    server.stop()


def remote(server: Sshd, key: Path, daemon: DaemonProcess | None, *args: str) -> list[str]:
    """ptctl's global options for the daemon behind ``server``, logging in with ``key``."""
    opts = ["--host", server.url, "--ssh-config", str(server.client_config(key))]
    opts += ["--remote-ptctl", PTCTL]
    if daemon is not None:
        opts += ["--socket", str(daemon.socket)]
    return [*opts, *args]


def state(daemon: DaemonProcess) -> str:
    result = daemon.ask(Status()).result
    assert isinstance(result, StatusResult)
    return result.state


def test_kill_over_ssh_halts_the_remote_daemon(sshd: Sshd, daemon: DaemonProcess) -> None:
    done = run_ptctl(*remote(sshd, sshd.full_key, daemon, "kill", "--reason", "on-call laptop"))
    assert done.returncode == 0, done.stderr
    assert "ACTIVE -> HALTED (durable)" in done.stdout
    assert done.stdout.startswith("peaktrade paper@sim")
    assert state(daemon) == "HALTED"


def test_remote_command_is_audited_as_the_ssh_login_user(sshd: Sshd, daemon: DaemonProcess) -> None:
    run_ptctl(*remote(sshd, sshd.full_key, daemon, "reduce", "--reason", "from afar"))
    entries = daemon.ask(AuditQuery(limit=1)).result
    assert isinstance(entries, AuditResult)
    (entry,) = entries.entries
    assert (entry.command, entry.outcome) == ("reduce", "ok")
    assert entry.uid == pwd.getpwnam(sshd.user).pw_uid
    assert entry.pid != os.getpid()  # the relay on the far side, not this process


def test_remote_peer_rules_apply_to_the_remote_user(
    sshd: Sshd, make_daemon: Callable[..., DaemonProcess]
) -> None:
    daemon = make_daemon(BASE_CONFIG + '\n[control.allow]\nkill = ["uid:54321"]\n').start()
    done = run_ptctl(*remote(sshd, sshd.full_key, daemon, "kill", "--reason", "not me"))
    assert done.returncode == 1
    assert "error peer.not_allowed" in done.stderr
    assert state(daemon) == "ACTIVE"


def test_read_commands_and_exit_codes_are_the_local_ones(sshd: Sshd, daemon: DaemonProcess) -> None:
    status = run_ptctl(*remote(sshd, sshd.full_key, daemon, "status", "--json"))
    assert status.returncode == 0 and '"state": "ACTIVE"' in status.stdout
    refused = run_ptctl(*remote(sshd, sshd.full_key, daemon, "release", "--reason", "nothing"))
    assert refused.returncode == 1 and "error state.already_active" in refused.stderr


def test_kill_only_key_can_kill(sshd: Sshd, daemon: DaemonProcess) -> None:
    sshd.restrict_kill_to(daemon.socket)
    done = run_ptctl(*remote(sshd, sshd.kill_key, None, "kill", "--reason", "paged at 3am"))
    assert done.returncode == 0, done.stderr
    assert state(daemon) == "HALTED"


def test_kill_only_key_cannot_release(sshd: Sshd, daemon: DaemonProcess) -> None:
    sshd.restrict_kill_to(daemon.socket)
    run_ptctl(*remote(sshd, sshd.kill_key, None, "kill", "--reason", "halt"))
    done = run_ptctl(*remote(sshd, sshd.kill_key, None, "release", "--reason", "re-arm"))
    assert done.returncode == 1
    assert "error relay.not_allowed" in done.stderr
    assert state(daemon) == "HALTED"


def _ssh(sshd: Sshd, key: Path, *command: str) -> subprocess.CompletedProcess[bytes]:
    config = sshd.client_config(key)
    return subprocess.run(
        ["ssh", "-F", str(config), "-p", str(sshd.port), f"{sshd.user}@127.0.0.1", *command],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=30,
    )


def test_kill_only_key_cannot_run_a_shell_command(sshd: Sshd, tmp_path: Path) -> None:
    allowed, forced = tmp_path / "by-oncall-key", tmp_path / "by-kill-key"
    assert _ssh(sshd, sshd.full_key, "touch", str(allowed)).returncode == 0
    done = _ssh(sshd, sshd.kill_key, "touch", str(forced))
    assert allowed.exists() and not forced.exists()
    assert done.returncode == 1  # the forced relay ran instead, and found no request


def test_unreachable_host_exits_3(sshd: Sshd) -> None:
    url = f"ssh://{sshd.user}@127.0.0.1:{free_port()}"
    args = ["--host", url, "--ssh-config", str(sshd.client_config(sshd.full_key)), "status"]
    done = run_ptctl(*args)
    assert done.returncode == 3
    assert "ssh could not reach" in done.stderr and "hint:" in done.stderr


def test_remote_daemon_down_exits_3(sshd: Sshd, tmp_path: Path) -> None:
    args = remote(sshd, sshd.full_key, None, "--socket", str(tmp_path / "none.sock"), "status")
    done = run_ptctl(*args)
    assert done.returncode == 3
    assert "no daemon socket at" in done.stderr
