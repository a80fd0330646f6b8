"""Graceful stop, many times over: SIGTERM a trading daemon and time its exit.

    python bench/soak_stop.py [--runs 100] [--seed 1]

Each run starts a real daemon (paper on the embedded simulator, the rebalance strategy
trading every half second), waits until it is reconciled, lets it trade for a random 0-2 s,
sends SIGTERM, and times the exit. systemd's TimeoutStopSec is 10 s: a stop that takes longer
is a SIGKILL in production, so every run must exit 0 well within it. Prints FIGURE lines.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

from common import figure, pct

from peaktrade.drills.processes import DaemonProcess

CONFIG = """
[run]
mode = "paper"
network = "sim"
account_label = "stop-soak"
[logging]
level = "warning"
[strategy]
name = "rebalance"
interval_s = 0.5
[strategy.rebalance]
weights = { "BTC/USDT" = 0.05, "ETH/USDT" = 0.05 }
threshold_pct = 0.05
min_order_notional = 6.0
max_order_notional = 2000.0
"""
STOP_LIMIT_S = 10.0


def one_run(daemon: DaemonProcess, rng: random.Random) -> tuple[float, int]:
    """(seconds from SIGTERM to exit, exit code); a stop past 3x the limit is killed (-9)."""
    daemon.start(timeout_s=60)  # returns once reconciled, as systemd's READY=1
    time.sleep(rng.uniform(0, 2))
    sent = time.monotonic()
    code = daemon.stop(timeout_s=STOP_LIMIT_S * 3)
    return time.monotonic() - sent, code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    times: list[float] = []
    codes: list[int] = []
    with tempfile.TemporaryDirectory(prefix="pt-stop-soak-") as tmp:
        daemon = DaemonProcess(Path(tmp))
        daemon.config.write_text(CONFIG)
        for index in range(args.runs):
            seconds, code = one_run(daemon, rng)  # one state directory: each start resumes
            times.append(seconds)
            codes.append(code)
            if code != 0 or seconds > STOP_LIMIT_S:
                print(f"run {index}: exit {code} after {seconds:.2f} s", flush=True)
    clean = sum(1 for t, c in zip(times, codes, strict=True) if c == 0 and t <= STOP_LIMIT_S)
    figure("graceful_stop_clean_runs", clean, f"of {args.runs}", f"{args.runs} of {args.runs}")
    figure("graceful_stop_p50", pct(times, 50), "s")
    figure("graceful_stop_p99", pct(times, 99), "s", "<= 10 s")
    figure("graceful_stop_max", max(times), "s", "<= 10 s")
    return 0 if clean == args.runs else 1


if __name__ == "__main__":
    sys.exit(main())
