"""Signals: SIGTERM/SIGINT stop gracefully with exit 0, a second one forces, SIGHUP reloads."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from peaktrade.control.protocol import Kill, Status
from tests.support import BASE_CONFIG, ROOT, DaemonProcess, wait_for


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_graceful_stop_exits_0(daemon: DaemonProcess, signum: int) -> None:
    daemon.signal(signum)
    assert daemon.wait_exit(timeout_s=10) == 0
    assert '"event": "daemon_stopped"' in daemon.log()


SLOW_DRAIN = """
import sys, anyio
from peaktrade.config import load_config
from peaktrade.daemon.app import Daemon
from pathlib import Path
loaded = load_config(sys.argv[1])
d = Daemon(loaded, Path(sys.argv[2]), Path(sys.argv[3]))
async def forever():
    print("DRAINING", flush=True)
    await anyio.sleep(3600)
d.drainers.append(forever)
print("READY", flush=True)
sys.exit(anyio.run(d.run))
"""


def test_second_signal_exits_at_once(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(BASE_CONFIG + "\n[daemon]\nshutdown_timeout_s = 60\n")
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_DRAIN, str(cfg), str(tmp_path / "s"), str(tmp_path / "x.sock")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "READY"
        wait_for(lambda: _answers(tmp_path / "x.sock"))
        proc.send_signal(signal.SIGTERM)
        while (line := proc.stdout.readline()) and line.strip() != "DRAINING":
            pass
        assert line.strip() == "DRAINING"  # stuck in a 60 s drain...
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=5) == 1  # ...but the second signal ends it now
    finally:
        proc.kill()
        proc.wait()


def _answers(path: Path) -> bool:
    from ctl.client import Unreachable, ask

    try:
        return ask(path, Status(), timeout_s=1).ok
    except Unreachable:
        return False


def test_reload_applies_a_good_config(daemon: DaemonProcess) -> None:
    daemon.config.write_text(
        daemon.config.read_text() + '\n[control.allow]\nkill = ["uid:54321"]\n'
    )
    daemon.signal(signal.SIGHUP)
    wait_for(lambda: '"event": "config_reloaded"' in daemon.log())
    refused = daemon.ask(Kill(reason="after reload"))
    assert refused.error is not None and refused.error.code == "peer.not_allowed"


def test_bad_reload_keeps_the_old_config_and_says_why(daemon: DaemonProcess) -> None:
    daemon.config.write_text(daemon.config.read_text() + "\nbogus_key = 1\n")
    daemon.signal(signal.SIGHUP)
    wait_for(lambda: '"event": "reload_refused"' in daemon.log())
    assert "control.bogus_key: unknown key" in daemon.log()
    assert daemon.ask(Kill(reason="still works")).ok


def test_reload_refuses_mode_change(daemon: DaemonProcess) -> None:
    daemon.config.write_text(daemon.config.read_text().replace('"paper"', '"shadow"'))
    daemon.signal(signal.SIGHUP)
    wait_for(lambda: '"event": "reload_refused"' in daemon.log())
    assert "run: changes only on restart" in daemon.log()
    reply = daemon.ask(Status())
    assert reply.mode == "paper"


def test_stop_after_requests_exits_0(daemon: DaemonProcess) -> None:
    for _ in range(20):
        daemon.ask(Status())
    daemon.signal(signal.SIGTERM)
    assert daemon.wait_exit(timeout_s=30) == 0  # how fast: bench/soak_stop.py, 100 runs


def test_each_network_has_its_own_database(make_daemon: Callable[..., DaemonProcess]) -> None:
    d = make_daemon(
        BASE_CONFIG.replace('mode = "paper"', 'mode = "shadow"').replace(
            'network = "sim"', 'network = "testnet"'
        )
    )
    d.start(wait=False)  # the real testnet is unreachable here: it never reconciles
    wait_for(lambda: _answers(d.socket))
    assert (d.state_dir / "peaktrade-testnet.sqlite3").exists()
    assert not (d.state_dir / "peaktrade-sim.sqlite3").exists()
    assert d.ask(Status()).network == "testnet"
