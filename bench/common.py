"""Shared by the benchmark scripts: percentiles, a daemon in a temp dir, a figure printer."""

from __future__ import annotations

import statistics
import sys
import tempfile
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


@contextmanager
def running_daemon(config: str = DAEMON_CONFIG) -> Iterator[Path]:
    """A real `peaktrade run` in a temporary directory, ready; yields its socket path."""
    from peaktrade.drills.processes import DaemonProcess

    with tempfile.TemporaryDirectory(prefix="pt-bench-") as tmp:
        daemon = DaemonProcess(Path(tmp), config)
        try:
            yield daemon.start().socket
        finally:
            daemon.stop(timeout_s=20)
