"""Observability figures: ``python bench/bench_observability.py``.

Targets (issue 6): with the dashboard open (a live SSE stream) and ``/metrics`` scraped every
second, the control-socket round-trip p99 rises by at most 10 % against the same daemon with
dashboard and metrics off. Both daemons run at once and requests alternate between them, so
noise on a shared machine hits both alike.
Report generation for a synthetic run of 100,000 events: time and output size, printed.
"""

from __future__ import annotations

import contextlib
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from bench_control import recv_exactly
from common import DAEMON_CONFIG, figure, pct, running_daemon

from peaktrade.control.protocol import HEADER, Status, encode_frame, frame_length, reply_decoder

N_PAIRS = 20_000
N_EVENTS = 100_000
SNAPSHOT_EVERY_MS = 5_000  # the portfolio monitor's default interval


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def observed(port: int) -> str:
    return DAEMON_CONFIG + (
        f"\n[dashboard]\nenabled = true\nport = {port}\n[metrics]\nenabled = true\n"
    )


WATCHER = """
import sys, threading, time, urllib.request
port = int(sys.argv[1])
views, scrapes, stop = [0], [], threading.Event()
def stream():
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/stream", timeout=30) as r:
        while not stop.is_set():
            if r.readline().startswith(b"data: "):
                views[0] += 1
def scrape():
    while True:
        start = time.perf_counter()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
            r.read()
        scrapes.append(time.perf_counter() - start)
        if stop.wait(1.0):
            return
threading.Thread(target=stream, daemon=True).start()
scraper = threading.Thread(target=scrape)
scraper.start()
while not (views[0] and scrapes):
    time.sleep(0.05)
print("READY", flush=True)
sys.stdin.readline()
stop.set()
scraper.join()
print(views[0], sorted(scrapes)[len(scrapes) // 2], flush=True)
"""


@contextlib.contextmanager
def watched(port: int) -> Iterator[list[float]]:
    """A dashboard page (its live stream open) and a Prometheus scraping /metrics every
    second, in a process of their own so they take no time from the measuring loop.
    Yields [views streamed, scrape p50 s], filled in when the block ends."""
    deadline = time.monotonic() + 30
    while not _listening(port):  # the listener starts just after the control socket
        if time.monotonic() > deadline:
            raise RuntimeError(f"nothing listening on {port}")
        time.sleep(0.05)
    proc = subprocess.Popen(
        [sys.executable, "-c", WATCHER, str(port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdin is not None and proc.stdout is not None
    assert proc.stdout.readline().strip() == "READY"
    stats: list[float] = []
    try:
        yield stats
    finally:
        proc.stdin.write("\n")
        proc.stdin.flush()
        views, scrape = proc.stdout.readline().split()
        stats += [float(views), float(scrape)]
        proc.wait(timeout=10)


def interleaved(a: Path, b: Path, frame: bytes, n: int) -> tuple[list[float], list[float]]:
    """Alternate one request to each daemon, so noise on a shared machine hits both alike."""
    out_a, out_b = [], []
    with socket.socket(socket.AF_UNIX) as sa, socket.socket(socket.AF_UNIX) as sb:
        sa.connect(os.fspath(a))
        sb.connect(os.fspath(b))
        for _ in range(n):
            for sock, out in ((sa, out_a), (sb, out_b)):
                start = time.perf_counter()
                sock.sendall(frame)
                body = recv_exactly(sock, frame_length(recv_exactly(sock, HEADER.size)))
                reply_decoder.decode(body)
                out.append(time.perf_counter() - start)
    return out_a, out_b


def control_overhead() -> None:
    frame = encode_frame(Status())
    port = free_port()
    with running_daemon() as plain, running_daemon(observed(port)) as observed_sock:
        interleaved(plain, observed_sock, frame, 500)  # warm-up
        with watched(port) as stats:
            off, on = interleaved(plain, observed_sock, frame, N_PAIRS)
    ms = 1000.0
    figure("control_rtt_p50_observability_off", pct(off, 50) * ms, "ms")
    figure("control_rtt_p50_dashboard_and_metrics_on", pct(on, 50) * ms, "ms")
    figure("control_rtt_p99_observability_off", pct(off, 99) * ms, "ms")
    figure("control_rtt_p99_dashboard_and_metrics_on", pct(on, 99) * ms, "ms")
    figure(
        "control_rtt_p99_rise_with_observability",
        (pct(on, 99) / pct(off, 99) - 1) * 100,
        "%",
        "<= 10 %",
    )
    figure("dashboard_views_streamed", stats[0], "views")
    figure("metrics_scrape_p50", stats[1] * ms, "ms")


def synthetic_run(state_dir: Path) -> str:
    """A day-long run of N_EVENTS typed events (and its portfolio history) written straight
    into a state database."""
    import msgspec

    from peaktrade.core.portfolio import LivePortfolioSnapshot, LivePositionSnapshot, PositionSide
    from peaktrade.core.risk_violations import Violation
    from peaktrade.runlog import events as ev
    from peaktrade.store import portfolio_history, runs, violations
    from peaktrade.store.db import Database, db_path

    rng = random.Random(6)
    start = 1_800_000_000_000
    day = 86_400_000
    run_id = "20270115T000000Z-bench1"
    symbols = [f"C{i:02d}/USDT" for i in range(12)]
    db = Database(db_path(state_dir, "sim"))
    conn = db.conn
    meta = ev.LiveRunMetadata(
        run_id=run_id, version="0.1.0", git_commit="0" * 40, config_digest="bench",
        config_path="bench.toml", mode="paper", network="sim", account="bench",
        strategy="bench", pid=1, started_ms=start,
    )  # fmt: skip
    runs.start_run(conn, meta)
    encode = msgspec.json.encode
    rows: list[runs.EventRow] = []
    for seq in range(1, N_EVENTS + 1):
        ts = start + seq * day // N_EVENTS
        roll = rng.random()
        symbol = rng.choice(symbols)
        cid = f"pt-bench-{seq // 2}"
        body: ev.RunEventBody
        if roll < 0.40:
            body = ev.OrderChanged(
                client_order_id=cid, symbol=symbol, side="buy", type="limit", qty=1.0,
                price=100.0, state=rng.choice(["open", "filled", "cancelled", "rejected"]),
                filled_qty=1.0, avg_fill_price=100.0, reason="", source="strategy",
                exchange_order_id=str(seq),
            )  # fmt: skip
        elif roll < 0.70:
            body = ev.FillRecorded(
                client_order_id=cid, symbol=symbol, side=rng.choice(["buy", "sell"]),
                qty=rng.random(), price=100 + rng.random(), fee=0.01, fee_currency="USDT",
                trade_id=str(seq), trade_ts_ms=ts,
            )  # fmt: skip
        elif roll < 0.80:
            body = ev.RiskDecision(
                code="risk.order_violation", level="WARNING", message="refused", symbol=symbol,
                allowed=False, rule="risk.max_order_notional", resolved=False,
            )  # fmt: skip
        elif roll < 0.85:
            body = ev.AlertRaised(
                alert_id=f"a-{seq}", level=rng.choice(["INFO", "WARNING", "CRITICAL"]),
                code="data.stale", title="Market data stale", message="stale", source="bench",
                resolved=False, routed=["log"],
            )  # fmt: skip
        elif roll < 0.852:
            body = ev.KillEngaged(
                previous="ACTIVE", reason="bench", source="risk", uid=-1, pid=-1,
                cancel_open=True, flatten=False,
            )  # fmt: skip
        else:
            body = ev.DaemonNotice(
                code="exchange.disconnected", level="WARNING", message="disconnected",
                context={"reconnects": seq}, resolved=False,
            )  # fmt: skip
        rows.append((run_id, seq, ts, ev.kind_of(body), encode(body).decode()))
    for i in range(0, len(rows), 5000):
        runs.append_events(conn, run_id, rows[i : i + 5000], 0)
    equity = 100_000.0
    held = 3
    for ts in range(start, start + day, SNAPSHOT_EVERY_MS):
        equity += rng.gauss(0, 20)
        if rng.random() < 0.01:  # positions open and close now and then
            held = max(0, min(len(symbols), held + rng.choice((-1, 1))))
        positions = tuple(
            LivePositionSnapshot(s, PositionSide.LONG, 10.0, 100.0, 100.0, 1000.0 * (1 + k), 0.0,
                                 0.0, 100)
            for k, s in enumerate(symbols[:held])
        )  # fmt: skip
        portfolio_history.record(
            conn,
            LivePortfolioSnapshot(
                ts_ms=ts, quote_currency="USDT", cash=equity, free_quote=equity, equity=equity,
                total_exposure=sum(p.notional for p in positions), realized_pnl=0.0,
                unrealized_pnl=0.0, daily_pnl=equity - 100_000, day_key="2027-01-15",
                day_start_equity=100_000, peak_equity=100_000, drawdown_pct=0.0,
                positions=positions, max_mark_age_ms=100, unpriced=(),
            ),
        )  # fmt: skip
    violations.record(
        conn,
        [
            Violation(
                at_ms=start + i * 60_000, rule="max_order_notional", code="risk.max_order_notional",
                symbol="C00/USDT", limit=1000.0, value=1500.0, subject="order", detail="{}",
                action="blocked",
            )
            for i in range(1000)
        ],
    )  # fmt: skip
    runs.stop_run(conn, run_id, stopped_ms=start + day, exit_reason="signal SIGTERM", lost=0)
    db.close()
    return run_id


def report_generation() -> None:
    from peaktrade.report.cli import report_command

    with tempfile.TemporaryDirectory(prefix="pt-bench-report-") as tmp:
        state = Path(tmp) / "state"
        run_id = synthetic_run(state)
        out = Path(tmp) / "report.html"
        start = time.perf_counter()
        assert report_command(run_id, str(out), str(state), "sim") == 0
        elapsed = time.perf_counter() - start
        figure("report_100k_events_time", elapsed, "s")
        figure("report_100k_events_size", out.stat().st_size / 1e6, "MB")


def main() -> None:
    control_overhead()
    report_generation()


if __name__ == "__main__":
    main()
