"""Observability figures: ``python bench/bench_observability.py``.

Targets (issue 6): with the dashboard open (a live SSE stream) and ``/metrics`` scraped every
second, the control-socket round-trip p99 rises by at most 10 % against the same run without
them (see ``control_overhead`` for how noise is kept out of the comparison; against a daemon
with both disabled is printed as info).
Report generation for a synthetic run of 100,000 events: time and output size, printed.
"""

from __future__ import annotations

import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_control import recv_exactly
from common import DAEMON_CONFIG, figure, pct, running_daemon

from peaktrade.control.protocol import HEADER, Status, encode_frame, frame_length, reply_decoder
from tests.support import free_port, listening

PHASES = 40
PHASE_REQUESTS = 5_000  # pairs, about 1.3 s: each watched phase has one or two scrapes
N_EVENTS = 100_000
SNAPSHOT_EVERY_MS = 5_000  # the portfolio monitor's default interval


def observed(port: int) -> str:
    return DAEMON_CONFIG + (
        f"\n[dashboard]\nenabled = true\nport = {port}\n[metrics]\nenabled = true\n"
    )


WATCHER = """
import sys, threading, time, urllib.request
port = int(sys.argv[1])
views, scrapes = [0], []
def stream(stop):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/stream", timeout=30) as r:
        while not stop.is_set():  # a view or a heartbeat arrives at least every few seconds
            if r.readline().startswith(b"data: "):
                views[0] += 1
def scrape(stop):
    while True:
        start = time.perf_counter()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
            r.read()
        scrapes.append(time.perf_counter() - start)
        if stop.wait(1.0):
            return
for line in sys.stdin:
    if line.strip() == "on":
        stop = threading.Event()
        seen = views[0], len(scrapes)
        workers = [threading.Thread(target=f, args=(stop,)) for f in (stream, scrape)]
        for w in workers:
            w.start()
        while views[0] == seen[0] or len(scrapes) == seen[1]:
            time.sleep(0.01)
        print("on", flush=True)
    elif line.strip() == "off":
        stop.set()
        for w in workers:
            w.join()
        print("off", flush=True)
print(views[0], sorted(scrapes)[len(scrapes) // 2], len(scrapes), flush=True)
"""


class Watcher:
    """A dashboard page (its live stream open) and a Prometheus scraping /metrics every
    second, in a process of their own so they take no time from the measuring loop; switched
    on and off between phases."""

    def __init__(self, port: int) -> None:
        deadline = time.monotonic() + 30
        while not listening(port):  # the listener starts just after the control socket
            if time.monotonic() > deadline:
                raise RuntimeError(f"nothing listening on {port}")
            time.sleep(0.05)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", WATCHER, str(port)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def switch(self, word: str) -> None:
        """Returns once the page has its first view and the first scrape is done (on), or
        both have stopped (off)."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(word + "\n")
        self.proc.stdin.flush()
        assert self.proc.stdout.readline().strip() == word

    def close(self) -> tuple[int, float, int]:
        """(views streamed, scrape p50 s, scrapes)."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.close()
        views, scrape, scrapes = self.proc.stdout.readline().split()
        self.proc.wait(timeout=10)
        return int(views), float(scrape), int(scrapes)


def control_overhead() -> None:
    """Two daemons, both with dashboard and metrics enabled, requests alternating between
    them; in each phase one of them is watched (dashboard open, /metrics scraped every
    second), and the two take turns. Alternating requests puts both under the same moment's
    noise; taking turns cancels what the scheduler's placement of each process (beside the
    client's core or across, worth more than 10 % of a p99 on its own) does to one of them."""
    frame = encode_frame(Status())
    ports = free_port(), free_port()
    off: list[float] = []
    on: list[float] = []
    with running_daemon(observed(ports[0])) as a, running_daemon(observed(ports[1])) as b:
        watchers = Watcher(ports[0]), Watcher(ports[1])
        interleaved(a, b, frame, 500)  # warm-up
        for phase in range(PHASES):
            watched = phase % 2
            watchers[watched].switch("on")
            samples = interleaved(a, b, frame, PHASE_REQUESTS)
            watchers[watched].switch("off")
            on += samples[watched]
            off += samples[1 - watched]
        closed = [w.close() for w in watchers]
    views, scrapes = sum(c[0] for c in closed), sum(c[2] for c in closed)
    ms = 1000.0
    figure("control_rtt_p50_unwatched", pct(off, 50) * ms, "ms")
    figure("control_rtt_p50_dashboard_and_metrics_on", pct(on, 50) * ms, "ms")
    figure("control_rtt_p99_unwatched", pct(off, 99) * ms, "ms")
    figure("control_rtt_p99_dashboard_and_metrics_on", pct(on, 99) * ms, "ms")
    figure(
        "control_rtt_p99_rise_with_observability",
        (pct(on, 99) / pct(off, 99) - 1) * 100,
        "%",
        "<= 10 %",
    )
    figure("dashboard_views_streamed", views, "views")
    figure("metrics_scrapes", scrapes, "scrapes")
    figure("metrics_scrape_p50", statistics.median(c[1] for c in closed) * ms, "ms")


def interleaved(a: Path, b: Path, frame: bytes, n: int) -> tuple[list[float], list[float]]:
    """Alternate one request to each daemon, so noise on a shared machine hits both alike."""
    out_a, out_b = [], []
    with socket.socket(socket.AF_UNIX) as sa, socket.socket(socket.AF_UNIX) as sb:
        sa.connect(os.fspath(a))
        sb.connect(os.fspath(b))
        pairs = (((sa, out_a), (sb, out_b)), ((sb, out_b), (sa, out_a)))
        for i in range(n):
            for sock, out in pairs[i % 2]:  # each goes first half the time
                start = time.perf_counter()
                sock.sendall(frame)
                reply_decoder.decode(
                    recv_exactly(sock, frame_length(recv_exactly(sock, HEADER.size)))
                )
                out.append(time.perf_counter() - start)
    return out_a, out_b


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
