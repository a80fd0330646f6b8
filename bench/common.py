"""Shared by the benchmark scripts: percentiles, a daemon in a temp dir, a figure printer."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DAEMON_CONFIG = """
[run]
mode = "paper"
network = "sim"
account_label = "bench"
[logging]
level = "warning"
"""


def pct(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) by nearest rank."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def figure(name: str, value: float, unit: str, target: str = "") -> None:
    """One line per figure, greppable: `FIGURE name = value unit (target ...)`."""
    suffix = f"  (target {target})" if target else ""
    print(f"FIGURE {name} = {value:.4g} {unit}{suffix}", flush=True)


def spawn_daemon(work: Path, config: str) -> subprocess.Popen[bytes]:
    """`peaktrade run` on ``config`` in ``work`` (socket ``run/peaktrade.sock``, log ``log``)."""
    (work / "c.toml").write_text(config)
    env = {k: v for k, v in os.environ.items() if k != "NOTIFY_SOCKET"}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "peaktrade",
            "run",
            "--config",
            str(work / "c.toml"),
            "--state-dir",
            str(work / "state"),
            "--socket",
            str(work / "run" / "peaktrade.sock"),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(work / "log").open("wb"),
    )


@contextmanager
def running_daemon(config: str = DAEMON_CONFIG) -> Iterator[Path]:
    """A real `peaktrade run` in a temporary directory; yields its socket path."""
    from ctl.client import Unreachable, ask
    from peaktrade.control.protocol import Health

    with tempfile.TemporaryDirectory(prefix="pt-bench-") as tmp:
        work = Path(tmp)
        sock = work / "run" / "peaktrade.sock"
        proc = spawn_daemon(work, config)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if ask(sock, Health(), timeout_s=2).ok:
                        break
                except Unreachable:
                    pass
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError((work / "log").read_text())
                time.sleep(0.05)
            yield sock
        finally:
            proc.terminate()
            proc.wait(timeout=20)
