"""Test support: a real daemon in a subprocess, raw socket frames, polling with a deadline."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

import msgspec

from peaktrade.control.protocol import (
    HEADER,
    Reply,
    frame_length,
    reply_decoder,
)
from peaktrade.drills.processes import DaemonProcess as DaemonProcess  # shared with drills

ROOT = Path(__file__).resolve().parent.parent
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


def free_port() -> int:
    """A loopback TCP port free now (the caller binds it right away)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def listening(port: int) -> bool:
    """True once something accepts connections on loopback ``port``."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


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
