"""Test support: a real daemon in a subprocess, raw socket frames, polling with a deadline."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

import msgspec

from ctl.client import Unreachable, ask
from peaktrade.control.protocol import (
    HEADER,
    Reply,
    Request,
    Status,
    StatusResult,
    frame_length,
    reply_decoder,
)

ROOT = Path(__file__).resolve().parent.parent
SYSTEMD_VARS = ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "CREDENTIALS_DIRECTORY")
T = TypeVar("T")

BASE_CONFIG = """
profile = "dev"
[run]
mode = "paper"
network = "sim"
account_label = "test-account"
[control]
idle_timeout_s = 1.0
request_timeout_s = 2.0
"""


def wait_for(predicate: Callable[[], T], timeout: float = 15.0, interval: float = 0.02) -> T:
    """Poll until ``predicate`` returns something truthy; fail with a clear message otherwise."""
    deadline = time.monotonic() + timeout
    last: T = predicate()
    while not last:
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)
        last = predicate()
    return last


class DaemonProcess:
    """``peaktrade run`` as operators run it, in a temporary state directory."""

    def __init__(self, workdir: Path, config_text: str = BASE_CONFIG) -> None:
        self.workdir = workdir
        self.state_dir = workdir / "state"
        self.socket = workdir / "run" / "peaktrade.sock"
        self.config = workdir / "config.toml"
        self.config.write_text(config_text)
        self.log_path = workdir / "daemon.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(
        self,
        env: Mapping[str, str] | None = None,
        wait: bool = True,
        wrapper: Sequence[str] = (),
    ) -> DaemonProcess:
        """``wrapper`` runs the daemon under another program (e.g. fiu-run for disk faults)."""
        inherited = {k: v for k, v in os.environ.items() if k not in SYSTEMD_VARS}
        full_env = {**inherited, "PYTHONUNBUFFERED": "1", **(env or {})}
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [
                *wrapper,
                sys.executable,
                "-m",
                "peaktrade",
                "run",
                "--config",
                str(self.config),
                "--state-dir",
                str(self.state_dir),
                "--socket",
                str(self.socket),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=full_env,
            cwd=self.workdir,
            start_new_session=True,  # its own process group: see kill_group
        )
        log.close()
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 20.0) -> None:
        def answered() -> bool:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"daemon exited {self.proc.returncode}:\n{self.log()}")
            try:
                result = ask(self.socket, Status(), timeout_s=2.0).result
            except Unreachable:
                return False
            # ready as systemd would see it: journal and exchange reconciled
            return isinstance(result, StatusResult) and result.reconciled

        wait_for(answered, timeout=timeout)

    def ask(self, request: Request) -> Reply:
        return ask(self.socket, request, timeout_s=5.0)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def signal(self, signum: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(signum)

    def wait_exit(self, timeout: float = 15.0) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout=timeout)

    def stop(self) -> int:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.signal(signal.SIGTERM)
        try:
            return self.wait_exit()
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise

    def kill_group(self) -> None:
        """SIGKILL the daemon's whole process group: a wrapper such as faketime forks the
        daemon as its child, and killing only the wrapper would leave the daemon running."""
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)


def run_peaktrade(
    *args: str, env: Mapping[str, str] | None = None, cwd: Path | None = None, timeout: float = 30.0
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "peaktrade", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        timeout=timeout,
    )


def run_ptctl(
    *args: str, env: Mapping[str, str] | None = None, cwd: Path | None = None, timeout: float = 30.0
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ctl", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        timeout=timeout,
    )


class RawClient:
    """A deliberately dumb socket client for sending malformed frames."""

    def __init__(self, path: Path, timeout: float = 5.0) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(os.fspath(path))

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def frame(self, body: bytes) -> None:
        self.send(HEADER.pack(len(body)) + body)

    def message(self, obj: object) -> None:
        self.frame(msgspec.msgpack.encode(obj))

    def reply(self) -> Reply:
        header = self._exactly(HEADER.size)
        return reply_decoder.decode(self._exactly(frame_length(header)))

    def closed(self) -> bool:
        """True once the daemon has closed its end."""
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True

    def _exactly(self, n: int) -> bytes:
        data = bytearray()
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise EOFError("closed")
            data += chunk
        return bytes(data)

    def close(self) -> None:
        self.sock.close()
