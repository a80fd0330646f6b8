"""The daemon soak: a strategy trading on the simulator at 2,000 quote updates a second.

    python bench/soak_daemon.py [--events N] [--max-minutes M]

A standalone simulator process streams twenty markets fast; a real daemon (paper mode, the
rebalance strategy with a hair-trigger threshold, dashboard and /metrics on) takes every
quote. Every 10 s the soak reads the daemon's RSS and file descriptors from /proc and its
task count, loop lag and quote count from /metrics. It prints FIGURE lines: steady RSS and
its growth after warm-up, descriptor and task drift, loop-lag p99, events processed, and any
unhandled task exception seen in the log.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from common import ROOT, figure

from peaktrade.drills.processes import DaemonProcess

# Twenty markets: the five defaults and fifteen walkers cloned from ETH. Many markets at a
# moderate tick, not few at a frantic one: ccxt keeps only the newest top per market between
# two wake-ups of the watcher, so the feed rate counts only when markets differ.
EXTRA = [f"Q{i:02d}" for i in range(15)]
SIM = """
import sys, anyio, msgspec
from peaktrade.venues.sim import SimSettings, serve_sim
from peaktrade.venues.sim.settings import DEFAULT_SYMBOLS
eth = DEFAULT_SYMBOLS[1]
extra = [msgspec.structs.replace(eth, symbol=f"{b}USDT", base=b) for b in sys.argv[1:]]
settings = msgspec.convert({"port": 0, "tick_interval_s": 0.008, "ticker_interval_s": 1.0,
                            "volatility": 0.0005, "seed": 3}, SimSettings)
settings = msgspec.structs.replace(settings, symbols=(*DEFAULT_SYMBOLS, *extra))
async def main():
    async with anyio.create_task_group() as tg:
        handle = await tg.start(serve_sim, settings)
        print(handle.rest_url, flush=True)
anyio.run(main, backend_options={"use_uvloop": True})
"""

CONFIG = """
[run]
mode = "paper"
network = "sim"
account_label = "soak"
[exchange]
symbols = {symbols}
sim_url = "{sim_url}"
[logging]
level = "info"
[dashboard]
port = 0
[metrics]
enabled = true
[portfolio]
snapshot_interval_s = 1.0
[live_risk]
max_order_notional = 5000
max_orders_per_minute = 600
[strategy]
name = "rebalance"
interval_s = 1.0
[strategy.rebalance]
weights = {{ "BTC/USDT" = 0.05, "ETH/USDT" = 0.05, "SOL/USDT" = 0.05 }}
threshold_pct = 0.05
min_order_notional = 6.0
max_order_notional = 2000.0
"""

SYMBOLS = ["BTC/USDT", "ETH/USDT", "SOL/USDT", "BNB/USDT", "XRP/USDT"] + [
    f"{b}/USDT" for b in EXTRA
]
ORDERS = r"^peaktrade_orders_total{[^}]*} ([0-9.]+)$"
WARM_UP_S = 120.0
SAMPLE_S = 10.0


def metric(text: str, name: str) -> float:
    match = re.search(rf"^{name}(?:_total)?(?:{{[^}}]*}})? ([0-9.eE+-]+)$", text, re.M)
    return float(match.group(1)) if match else float("nan")


def proc_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--max-minutes", type=float, default=15.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pt-soak-") as tmp:
        work = Path(tmp)
        sim = subprocess.Popen(
            [sys.executable, "-c", SIM, *EXTRA], stdout=subprocess.PIPE, text=True, cwd=ROOT
        )
        assert sim.stdout is not None
        sim_url = sim.stdout.readline().strip()
        config = CONFIG.format(sim_url=sim_url, symbols=json.dumps(SYMBOLS))
        daemon = DaemonProcess(work, config)
        try:
            daemon.start(timeout_s=60)
            assert daemon.proc is not None
            return soak(daemon.proc, daemon.log_path, args.events, args.max_minutes * 60)
        finally:
            daemon.stop(timeout_s=30)
            sim.terminate()
            sim.wait(timeout=10)


def soak(daemon: subprocess.Popen[bytes], log_path: Path, events: int, budget_s: float) -> int:
    url = _metrics_url(log_path)
    started = time.monotonic()
    samples: list[dict[str, float]] = []
    while True:
        time.sleep(SAMPLE_S)
        if daemon.poll() is not None:
            print(log_path.read_text()[-4000:])
            raise RuntimeError(f"the daemon exited {daemon.returncode}")
        text = urllib.request.urlopen(url, timeout=10).read().decode()
        sample = {
            "t": time.monotonic() - started,
            "rss_mb": proc_rss_mb(daemon.pid),
            "fds": float(len(os.listdir(f"/proc/{daemon.pid}/fd"))),
            "tasks": metric(text, "peaktrade_asyncio_tasks"),
            "lag_p99_s": metric(text, "peaktrade_event_loop_lag_p99_seconds"),
            "quotes": metric(text, "peaktrade_quote_updates"),
            "orders": sum(float(v) for v in re.findall(ORDERS, text, re.M)),
        }
        samples.append(sample)
        print(json.dumps({k: round(v, 4) for k, v in sample.items()}), flush=True)
        if sample["quotes"] + sample["orders"] >= events or sample["t"] >= budget_s:
            break
    return report(samples, log_path, events)


def report(samples: list[dict[str, float]], log_path: Path, events: int) -> int:
    steady = [s for s in samples if s["t"] >= WARM_UP_S] or samples
    first, last = steady[0], steady[-1]
    elapsed = last["t"] - samples[0]["t"] + SAMPLE_S
    processed = last["quotes"] + last["orders"]
    growth = (last["rss_mb"] - first["rss_mb"]) / first["rss_mb"] * 100
    log = log_path.read_text(errors="replace")
    unhandled = len(re.findall(r"Task exception was never retrieved|Unhandled exception", log))
    figure("soak_events_processed", processed, "events", f">= {events}")
    figure("soak_quote_rate", last["quotes"] / max(elapsed, 1), "quotes/s", ">= 2000")
    figure("soak_orders", last["orders"], "orders")
    figure("soak_rss_steady", last["rss_mb"], "MB", "<= 200 MB")
    figure("soak_rss_growth_after_warmup", growth, "%", "<= 5 %")
    figure("soak_fd_drift", last["fds"] - first["fds"], "fds", "flat")
    figure("soak_task_drift", last["tasks"] - first["tasks"], "tasks", "flat")
    figure("soak_loop_lag_p99", max(s["lag_p99_s"] for s in steady) * 1000, "ms")
    figure("soak_unhandled_task_exceptions", unhandled, "", "0")
    ok = processed >= events and growth <= 5 and last["rss_mb"] <= 200 and unhandled == 0
    return 0 if ok else 1


def _metrics_url(log_path: Path) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for line in log_path.read_text(errors="replace").splitlines():
            if '"dashboard_listening"' in line:
                return str(json.loads(line)["url"]) + "metrics"
        time.sleep(0.2)
    raise RuntimeError("the daemon never said where /metrics is")


if __name__ == "__main__":
    sys.exit(main())
