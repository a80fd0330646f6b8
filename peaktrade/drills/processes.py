"""The real processes a drill runs: a standalone simulator, the daemon, a webhook receiver.

The simulator is its own process (``peaktrade sim-exchange --port 0``) so it outlives a daemon
crash; the daemon is ``peaktrade run`` exactly as systemd starts it; alerts land on loopback
HTTP receivers that can be switched to failing, as an operator's webhook would.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from ctl.client import Unreachable, ask
from peaktrade.control.protocol import Reply, Request, Status, StatusResult

# never inherit a deployment's systemd hand-over, socket, state or credentials
_DROPPED = ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS", "LISTEN_PID")
_DROPPED_DIRS = ("CREDENTIALS_DIRECTORY", "STATE_DIRECTORY", "RUNTIME_DIRECTORY")


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in _DROPPED + _DROPPED_DIRS and not k.startswith("PEAKTRADE_")
    }
    return {**env, "PYTHONUNBUFFERED": "1", **(extra or {})}


class DrillError(Exception):
    """The drill's own machinery failed (a process would not start): the drill fails."""


class SimProcess:
    """``peaktrade sim-exchange --port 0``; the URLs and credentials are read from its output."""

    def __init__(self, workdir: Path, prices: Path | None = None) -> None:
        self.workdir = workdir
        self.prices = prices
        self.proc: subprocess.Popen[str] | None = None
        self.rest_url = ""
        self.api_key = ""
        self.api_secret = ""

    def start(self, timeout_s: float = 15.0) -> None:
        args = [sys.executable, "-m", "peaktrade", "sim-exchange", "--port", "0"]
        if self.prices is not None:
            args += ["--prices", str(self.prices)]
        with (self.workdir / "sim.log").open("ab") as log:
            self.proc = subprocess.Popen(
                args, stdout=subprocess.PIPE, stderr=log, text=True, env=clean_env()
            )
        printed = self._read_banner(timeout_s)
        self.rest_url = printed["rest"]
        self.api_key, self.api_secret = printed["api key"], printed["api secret"]

    def _read_banner(self, timeout_s: float) -> dict[str, str]:
        """The banner lines, read on a thread so a silent simulator cannot hang the drill."""
        assert self.proc is not None and self.proc.stdout is not None
        stdout = self.proc.stdout
        lines: queue.Queue[str] = queue.Queue()

        def pump() -> None:
            for line in stdout:
                lines.put(line)

        threading.Thread(target=pump, daemon=True).start()
        printed: dict[str, str] = {}
        deadline = time.monotonic() + timeout_s
        while "api secret" not in printed:
            try:
                line = lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise DrillError(
                    f"the simulator did not start (see {self.workdir}/sim.log)"
                ) from None
            key, _, value = line.partition(":")
            printed[key.strip()] = value.strip()
        return printed

    def stop(self) -> None:
        _terminate(self.proc)

    # --- the admin API (/sim/...) ------------------------------------------------------------

    def _call(self, method: str, path: str, body: object | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        return _loopback(method, self.rest_url + path, data, {"Content-Type": "application/json"})

    def signed_post(self, path: str, params: dict[str, str]) -> Any:
        """A signed (TRADE) request straight to the exchange, as another client would send it."""
        query = urllib.parse.urlencode({**params, "timestamp": str(int(time.time() * 1000))})
        signature = hmac.new(self.api_secret.encode(), query.encode(), hashlib.sha256)
        url = f"{self.rest_url}{path}?{query}&signature={signature.hexdigest()}"
        return _loopback("POST", url, None, {"X-MBX-APIKEY": self.api_key})

    def fault(self, name: str, **options: object) -> None:
        self._call("POST", "/sim/faults", {"name": name, **options})

    def clear(self, name: str | None = None) -> None:
        self._call("DELETE", "/sim/faults" + (f"/{name}" if name else ""))

    def faults(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/sim/faults")
        return result

    def fired(self, name: str) -> int:
        return int(self.faults()["fired"].get(name, 0))

    def state(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/sim/state")
        return result

    def price(self, symbol: str) -> float:
        return float(self.state()["prices"][symbol.replace("/", "")])


class DaemonProcess:
    """``peaktrade run`` exactly as systemd starts it, in a directory of its own; observed and
    driven through its socket. The one wrapper for drills, campaigns, benchmarks and tests.

    ``config_text`` is written at once; without it the caller writes ``config`` before the
    first start. It runs in a process group of its own, so ``kill_group`` also reaches a
    daemon started under a wrapper program (faketime, fiu-run) that forked it.
    """

    def __init__(
        self, workdir: Path, config_text: str | None = None, env: Mapping[str, str] | None = None
    ) -> None:
        self.workdir = workdir
        self.state_dir = workdir / "state"
        self.socket = workdir / "run" / "peaktrade.sock"
        self.config = workdir / "config.toml"
        self.log_path = workdir / "daemon.log"
        if config_text is not None:
            self.config.write_text(config_text)
        self.env = dict(env or {})
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(
        self,
        env: Mapping[str, str] | None = None,
        wait: bool = True,
        wrapper: Sequence[str] = (),
        timeout_s: float = 30.0,
    ) -> DaemonProcess:
        """``env`` adds to the constructor's; ``wrapper`` runs the daemon under another
        program; ``wait`` returns once it is ready (see ``wait_ready``)."""
        with self.log_path.open("ab") as log:
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
                env=clean_env({**self.env, **(env or {})}),
                cwd=self.workdir,
                start_new_session=True,
            )
        self.starts += 1
        if wait:
            self.wait_ready(timeout_s)
        return self

    def wait_ready(self, timeout_s: float = 30.0) -> None:
        """Ready as systemd sees it: answering, with journal and exchange reconciled."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                code = self.proc.returncode if self.proc is not None else None
                tail = "\n".join(self.log().splitlines()[-40:])
                raise DrillError(f"the daemon exited {code} ({self.log_path}):\n{tail}")
            status = self.status()
            if status is not None and status.reconciled:
                return
            time.sleep(0.05)
        raise DrillError(f"the daemon was not ready within {timeout_s:g} s ({self.log_path})")

    def ask(self, request: Request, timeout_s: float = 5.0) -> Reply:
        return ask(self.socket, request, timeout_s=timeout_s)

    def status(self) -> StatusResult | None:
        try:
            result = self.ask(Status(), timeout_s=2.0).result
        except Unreachable:
            return None
        return result if isinstance(result, StatusResult) else None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def ptctl(self, *args: str, timeout_s: float = 20.0) -> tuple[int, Any]:
        """The real client, as an operator types it (``--json`` added): (exit code, reply)."""
        done = subprocess.run(
            [sys.executable, "-m", "ctl", "--socket", str(self.socket), *args, "--json"],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            env=clean_env(),
        )
        try:
            return done.returncode, json.loads(done.stdout)
        except json.JSONDecodeError:
            return done.returncode, {"stdout": done.stdout, "stderr": done.stderr[-500:]}

    def ptctl_background(self, *args: str) -> subprocess.Popen[str]:
        """A ptctl call left running (an order that will be in flight when something happens)."""
        return subprocess.Popen(
            [sys.executable, "-m", "ctl", "--socket", str(self.socket), *args, "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=clean_env(),
        )

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def signal(self, signum: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(signum)

    def wait_exit(self, timeout_s: float = 15.0) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout=timeout_s)

    def stop(self, timeout_s: float = 15.0) -> int:
        """SIGTERM and wait, the graceful stop systemd does; SIGKILL past ``timeout_s``."""
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def kill_group(self) -> None:
        """SIGKILL the whole process group: killing only a wrapper such as faketime would
        leave the daemon it forked running."""
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()


def _loopback(method: str, url: str, data: bytes | None, headers: dict[str, str]) -> Any:
    if not url.startswith(("http://127.0.0.1:", "http://localhost:", "http://[::1]:")):
        raise DrillError(f"not a loopback URL: {url}")
    request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310
    with urllib.request.urlopen(request, timeout=5.0) as response:  # noqa: S310 - loopback only
        return json.loads(response.read())


def _terminate(proc: subprocess.Popen[Any] | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class Receiver:
    """A loopback alert endpoint: records what it is sent; ``failing`` makes it answer 500."""

    def __init__(self, path: str = "/drill-hook") -> None:
        received: list[tuple[float, str]] = []
        self.received = received
        self.failing = False
        self.refused = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length).decode(errors="replace")
                if receiver.failing:
                    receiver.refused += 1
                    self.send_response(500)
                else:
                    received.append((time.monotonic(), body))
                    self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}{path}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def payloads(self) -> list[dict[str, Any]]:
        """The JSON bodies received (the generic webhook's: ``code``, ``status``, ``context``)."""
        out = []
        for _, body in list(self.received):
            try:
                parsed = json.loads(body)
            except json.JSONDecodeError:
                continue
            if isinstance(parsed, dict):
                out.append(parsed)
        return out

    def mentions(self, text: str) -> int:
        """How many bodies mention ``text`` (any sink's format)."""
        return sum(1 for _, body in list(self.received) if text in body)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
