"""Alert burst vs control socket: 10,000 alerts into two 1-s sinks must not slow ``ptctl``.

One event loop (uvloop) runs a real ControlServer and the AlertService with its history in
SQLite, as the daemon does. A client measures Health round trips without alerts, for as long
as a burst lasts, then while a burst of 10,000 alerts is emitted (10 a millisecond) and worked
off into two loopback HTTP receivers that take 1 s per call. The burst lasts until every alert
is dispatched and written.

Two clients: a separate process, as ``ptctl`` is (the target applies to it), and a thread in
this process (info only: it also waits for this process's GIL, which a real client never does).
Rounds alternate quiet and burst so machine noise hits both alike; figures are round medians.
Each round also runs the burst with no client at all, with and without alerts: the loop
thread's CPU time per alert (the difference) and the other threads' CPU (the history writer)
move with the code rather than with the machine's noise, which on a shared box can swamp a
p99 ratio (the producer-only ratio shows how much).
Then the same burst at slower rates (1, 2 and 5 alerts a millisecond, info only): where the
ratio crosses the target on this machine. Last, a calibration: the same ratio with the loop
merely busy for 20, 60 or 120 us every millisecond, or 120 us in twelve pieces, to read the
alert figure against what loop work of that shape costs here.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from contextlib import closing
from functools import partial
from pathlib import Path
from typing import Literal

import anyio
import anyio.to_thread
import msgspec
from aiohttp import web
from common import ROOT, figure, pct

from peaktrade.alerts.config import AlertLevel, AlertsConfig
from peaktrade.alerts.service import AlertService, AlertStats
from peaktrade.alerts.sinks.factory import build_sinks
from peaktrade.control.peers import Peer, PeerPolicy
from peaktrade.control.protocol import (
    HEADER,
    AnyRequest,
    AnyResult,
    Check,
    CheckLevel,
    Health,
    HealthResult,
    encode_frame,
    frame_length,
    reply_decoder,
)
from peaktrade.control.server import ControlServer
from peaktrade.store.db import Database

N_ALERTS = 10_000
DISTINCT_KEYS = 1_000  # a storm repeats itself: most alerts are repeats of open keys
MIN_REQUESTS = 3_000
ROUNDS = 5
SINK_DELAY_S = 1.0
EMIT_SLICE = 10  # alerts per millisecond: 10,000 a second, far past any real storm
SLOWER = (1, 2, 5)  # alerts per millisecond, the same 10,000 alerts each (info figures)
SLOWER_ROUNDS = 3
EMIT_PAUSE_S = 0.001
WARM_UP = 200
CALIBRATION_S = 1.2  # as long as a burst
# (figure name, pieces, us each): loop work per millisecond for the calibration
CALIBRATIONS = [("20us", 1, 20), ("60us", 1, 60), ("120us", 1, 120), ("12x10us", 12, 10)]

CLIENT = """
import json, socket, sys, time, os
sys.path.insert(0, sys.argv[4])
from peaktrade.control.protocol import Health, encode_frame, frame_length, reply_decoder
path, n, marker = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def recv_exactly(sock, k):
    data = bytearray()
    while len(data) < k:
        chunk = sock.recv(k - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return bytes(data)
frame, samples = encode_frame(Health()), []
with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
    sock.connect(path)
    for _ in range(WARM_UP):
        sock.sendall(frame)
        recv_exactly(sock, frame_length(recv_exactly(sock, 4)))
    print("READY", flush=True)
    while len(samples) < n or not os.path.exists(marker):
        start = time.perf_counter()
        sock.sendall(frame)
        reply = reply_decoder.decode(recv_exactly(sock, frame_length(recv_exactly(sock, 4))))
        samples.append(time.perf_counter() - start)
        assert reply.ok
print(json.dumps(samples), flush=True)
""".replace("WARM_UP", str(WARM_UP))


class SlowReceivers:
    """The two sinks' webhooks on loopback, in their own thread and loop: 1 s per call."""

    def __init__(self) -> None:
        self.port = 0
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    def start(self) -> SlowReceivers:
        self._thread.start()
        self._ready.wait(10)
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    async def _main(self) -> None:
        async def handle(request: web.Request) -> web.Response:
            await request.read()
            await asyncio.sleep(SINK_DELAY_S)
            return web.Response(text="ok")

        app = web.Application()
        app.router.add_post("/{tail:.*}", handle)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        self._ready.set()
        await self._stop.wait()
        await runner.cleanup()


class ProcessClient:
    """Health round trips from another process, as ``ptctl`` sends them."""

    def __init__(self, path: Path, marker: Path) -> None:
        """Sends until it has MIN_REQUESTS round trips and ``marker`` exists."""
        args = [os.fspath(path), str(MIN_REQUESTS), str(marker), str(ROOT)]
        self._proc = subprocess.Popen(
            [sys.executable, "-c", CLIENT, *args], stdout=subprocess.PIPE, text=True
        )
        assert self._proc.stdout is not None
        self._out = self._proc.stdout

    def wait_ready(self) -> None:
        assert self._out.readline().strip() == "READY"

    def samples(self) -> list[float]:
        values: list[float] = json.loads(self._out.readline())
        self._proc.wait(30)
        return values


def thread_round_trips(path: Path, done: threading.Event | None = None) -> list[float]:
    """The same round trips from a thread of this process."""
    frame = encode_frame(Health())
    samples: list[float] = []

    def recv_exactly(sock: socket.socket, n: int) -> bytes:
        data = bytearray()
        while len(data) < n:
            chunk = sock.recv(n - len(data))
            if not chunk:
                raise EOFError
            data += chunk
        return bytes(data)

    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(os.fspath(path))
        for _ in range(WARM_UP):
            sock.sendall(frame)
            recv_exactly(sock, frame_length(recv_exactly(sock, HEADER.size)))
        while len(samples) < MIN_REQUESTS or (done is not None and not done.is_set()):
            start = time.perf_counter()
            sock.sendall(frame)
            reply = reply_decoder.decode(
                recv_exactly(sock, frame_length(recv_exactly(sock, HEADER.size)))
            )
            samples.append(time.perf_counter() - start)
            assert reply.ok
    return samples


HEALTHY = HealthResult(healthy=True, checks=[Check("lifecycle", CheckLevel.OK, "running")])


async def dispatch(request: AnyRequest, peer: Peer) -> AnyResult:
    return HEALTHY


def burst_plan(rng: random.Random) -> list[tuple[str, str, AlertLevel]]:
    """(code, key, level) of every alert: 70 % INFO, 20 % WARNING, 10 % CRITICAL."""
    codes = {
        AlertLevel.INFO: "order.unresolved",
        AlertLevel.WARNING: "data.stale",
        AlertLevel.CRITICAL: "exchange.disconnected",
    }
    levels = rng.choices(list(codes), weights=[70, 20, 10], k=N_ALERTS)
    return [(codes[lv], f"k{rng.randrange(DISTINCT_KEYS)}", lv) for lv in levels]


def burst_length_s(per_ms: int) -> float:
    """About how long a burst of ``per_ms`` alerts a millisecond lasts, until all is written."""
    return N_ALERTS / per_ms * EMIT_PAUSE_S * 1.1


async def process_samples(path: Path, during: Callable[[], Awaitable[object]]) -> list[float]:
    """The process client's round trips while ``during`` runs on this loop."""
    marker = path.with_name(f"client-{time.monotonic_ns()}.done")
    client = ProcessClient(path, marker)
    await anyio.to_thread.run_sync(client.wait_ready)
    await during()
    await anyio.Path(marker).touch()
    return await anyio.to_thread.run_sync(client.samples)


async def quiet_samples(path: Path, seconds: float) -> list[float]:
    """Round trips with nothing else going on, for ``seconds``: as long as the burst they are
    compared with, so both windows meet this machine's noise alike (a p99 from a quarter of
    a second misses the hiccups a ten-second one is sure to catch)."""
    return await process_samples(path, partial(anyio.sleep, seconds))


class Burst(msgspec.Struct, frozen=True):
    """One burst as measured: round trips, the service's counters, time and CPU spent."""

    samples: list[float]
    stats: AlertStats
    seconds: float
    loop_cpu_s: float  # the event loop's thread, emitting through the last history write
    other_cpu_s: float  # every other thread of this process (the DB writer, the receivers)
    emits: list[float]  # wall time of each millisecond's alert() calls, on the loop


Client = Literal["process", "thread", "none"]


async def burst_samples(
    path: Path,
    db: Database,
    config: AlertsConfig,
    seed: int,
    client: Client,
    alerts_on: bool = True,
    per_ms: int = EMIT_SLICE,
) -> Burst:
    """Round trips during one burst, with a fresh service (no client: its CPU alone).

    ``alerts_on=False`` keeps the producer's pacing but emits nothing: what the burst costs
    without any alerting, to tell the alerting's share apart.
    """
    service = AlertService(
        config, sinks=build_sinks(config).sinks, db=db, mode="paper", network="sim", run_id="b"
    )
    marker = Path(f"{db.path}.done")
    done = threading.Event()
    box: list[list[float]] = []

    async def in_thread() -> None:
        box.append(await anyio.to_thread.run_sync(thread_round_trips, path, done))

    plan = burst_plan(random.Random(seed))
    async with anyio.create_task_group() as tg:
        await tg.start(service.run)
        if client == "process":
            process = ProcessClient(path, marker)
            await anyio.to_thread.run_sync(process.wait_ready)
        elif client == "thread":
            tg.start_soon(in_thread)
            await anyio.sleep(0.05)  # its warm-up
        started = time.perf_counter()
        cpu_loop, cpu_all = time.thread_time(), time.process_time()
        emits: list[float] = []
        for at in range(0, len(plan), per_ms):
            emit_start = time.perf_counter()
            if alerts_on:
                for code, key, level in plan[at : at + per_ms]:
                    service.alert(code, "bench burst", source="bench", key=key, level=level)
            emits.append(time.perf_counter() - emit_start)
            await anyio.sleep(EMIT_PAUSE_S)
        while service.stats().queued or service.stats().history_pending:  # noqa: ASYNC110
            await anyio.sleep(0.01)
        burst_s = time.perf_counter() - started
        cpu_loop, cpu_all = time.thread_time() - cpu_loop, time.process_time() - cpu_all
        await anyio.Path(marker).touch()
        done.set()
        samples: list[float] = []
        if client == "process":
            samples = await anyio.to_thread.run_sync(process.samples)
        elif client == "thread":
            while not box:  # noqa: ASYNC110 - the thread hands its samples over
                await anyio.sleep(0.01)
            samples = box[0]
        stats = service.stats()
        tg.cancel_scope.cancel()
    return Burst(samples, stats, burst_s, cpu_loop, cpu_all - cpu_loop, emits)


async def slower_ratio(
    path: Path, work: Path, config: AlertsConfig, per_ms: int
) -> tuple[float, float]:
    """(p99 ratio, burst seconds) of the same burst emitted ``per_ms`` alerts a millisecond."""
    ratios, seconds = [], []
    for n in range(SLOWER_ROUNDS):
        quiet = pct(await quiet_samples(path, burst_length_s(per_ms)), 99)
        with closing(Database(work / f"slower-{per_ms}-{n}.sqlite3")) as db:
            burst = await burst_samples(path, db, config, n, "process", per_ms=per_ms)
        ratios.append(pct(burst.samples, 99) / quiet)
        seconds.append(burst.seconds)
    return statistics.median(ratios), statistics.median(seconds)


def _busy(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


async def chunk_ratio(path: Path, pieces: int, piece_s: float) -> float:
    """Calibration: the p99 ratio when the loop is busy ``pieces`` times ``piece_s`` every
    millisecond (a loop turn between two pieces) and nothing else happens, so the alert
    figures can be read against what plain loop work of a given shape costs on this machine:
    the same work costs far less in small pieces than in one."""

    async def busy() -> None:
        started = time.perf_counter()
        while time.perf_counter() - started < CALIBRATION_S:
            for _ in range(pieces):
                _busy(piece_s)
                await asyncio.sleep(0)  # one loop turn: a waiting request goes first
            await anyio.sleep(EMIT_PAUSE_S)

    ratios = []
    for _ in range(3):
        quiet = pct(await quiet_samples(path, CALIBRATION_S), 99)
        ratios.append(pct(await process_samples(path, busy), 99) / quiet)
    return statistics.median(ratios)


async def main() -> None:
    receivers = SlowReceivers().start()
    os.environ["PEAKTRADE_ALERT_WEBHOOK_URL"] = f"http://127.0.0.1:{receivers.port}/hook"
    os.environ["PEAKTRADE_ALERT_SLACK_WEBHOOK"] = f"http://127.0.0.1:{receivers.port}/slack"
    config = msgspec.convert({"sinks": ["webhook", "slack"]}, AlertsConfig)
    ratios: dict[str, list[float]] = {"process": [], "paced": [], "thread": []}
    rounds: list[dict[str, float]] = []
    last: AlertStats | None = None
    with tempfile.TemporaryDirectory(prefix="pt-bench-alerts-") as tmp:
        work = Path(tmp)
        server = ControlServer(
            dispatch=dispatch,
            policy=PeerPolicy(owner_uid=os.getuid(), read=("@owner",), trade=(), kill=()),
            identity=lambda: ("paper", "sim"),
            request_timeout_s=5.0,
            idle_timeout_s=120.0,
            max_connections=8,
        )
        path = work / "control.sock"
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(os.fspath(path))
        sock.listen(16)
        async with anyio.create_task_group() as tg:
            await tg.start(server.serve, sock)
            for n in range(ROUNDS):
                quiet_s = await quiet_samples(path, burst_length_s(EMIT_SLICE))
                with closing(Database(work / f"paced-{n}.sqlite3")) as db:
                    paced = await burst_samples(path, db, config, n, "process", False)
                with closing(Database(work / f"process-{n}.sqlite3")) as db:
                    loud = await burst_samples(path, db, config, n, "process")
                with closing(Database(work / f"alone-{n}.sqlite3")) as db:
                    alone = await burst_samples(path, db, config, n, "none")
                with closing(Database(work / f"alone-paced-{n}.sqlite3")) as db:
                    alone_paced = await burst_samples(path, db, config, n, "none", False)
                last = loud.stats
                quiet = pct(quiet_s, 99)
                row = {
                    "quiet_p50": pct(quiet_s, 50),
                    "quiet": quiet,
                    "paced": pct(paced.samples, 99),
                    "burst_p50": pct(loud.samples, 50),
                    "burst": pct(loud.samples, 99),
                    "emit_p50": pct(loud.emits, 50),
                    "emit_p99": pct(loud.emits, 99),
                    "cpu_per_alert": (alone.loop_cpu_s - alone_paced.loop_cpu_s) / N_ALERTS,
                    "other_cpu": alone.other_cpu_s,
                    "seconds": loud.seconds,
                }
                rounds.append(row)
                ratios["process"].append(row["burst"] / quiet)
                ratios["paced"].append(row["paced"] / quiet)
                t_quiet = pct(await anyio.to_thread.run_sync(thread_round_trips, path), 99)
                with closing(Database(work / f"thread-{n}.sqlite3")) as db:
                    t_loud = pct((await burst_samples(path, db, config, n, "thread")).samples, 99)
                ratios["thread"].append(t_loud / t_quiet)
                print(
                    f"round {n}: burst {loud.seconds:.2f} s, {len(loud.samples)} requests in it;"
                    f" p50 quiet {row['quiet_p50'] * 1e3:.3f} ms, burst"
                    f" {row['burst_p50'] * 1e3:.3f} ms; p99 quiet {quiet * 1e3:.3f} ms,"
                    f" producer only {row['paced'] * 1e3:.3f} ms, burst {row['burst'] * 1e3:.3f}"
                    f" ms; loop CPU {row['cpu_per_alert'] * 1e6:.2f} us an alert, other"
                    f" threads {alone.other_cpu_s * 1e3:.0f} ms; thread client"
                    f" {t_quiet * 1e3:.3f} -> {t_loud * 1e3:.3f} ms",
                    flush=True,
                )
            slower = {r: await slower_ratio(path, work, config, r) for r in SLOWER}
            calibration = {
                name: await chunk_ratio(path, pieces, us * 1e-6)
                for name, pieces, us in CALIBRATIONS
            }
            tg.cancel_scope.cancel()
    receivers.stop()
    assert last is not None

    ms = 1000.0
    dropped = sum(last.dropped.values()) + sum(s.dropped for s in last.sinks)
    print(
        f"last burst: {N_ALERTS} alerts on {DISTINCT_KEYS} keys x 3 codes; "
        + ", ".join(f"{s.name} delivered {s.delivered} dropped {s.dropped}" for s in last.sinks)
    )
    med = statistics.median

    def median_of(name: str) -> float:
        return med(r[name] for r in rounds)

    figure("alerts_control_p50_quiet", median_of("quiet_p50") * ms, "ms")
    figure("alerts_control_p50_burst", median_of("burst_p50") * ms, "ms")
    figure("alerts_control_p99_quiet", median_of("quiet") * ms, "ms")
    figure("alerts_control_p99_producer_only", median_of("paced") * ms, "ms")
    figure("alerts_control_p99_burst", median_of("burst") * ms, "ms")
    figure("alerts_control_p99_ratio", med(ratios["process"]), "x", "<= 1.2, round median")
    figure("alerts_control_p99_producer_only_ratio", med(ratios["paced"]), "x", "info: noise")
    figure("alerts_thread_client_p99_ratio", med(ratios["thread"]), "x", "info: GIL waits")
    figure("alerts_loop_cpu_per_alert", median_of("cpu_per_alert") * 1e6, "us", "info")
    figure("alerts_emit_10_p50", median_of("emit_p50") * 1e6, "us", "info: 10 alert() calls")
    figure("alerts_emit_10_p99", median_of("emit_p99") * 1e6, "us", "info: 10 alert() calls")
    figure("alerts_other_threads_cpu", median_of("other_cpu") * ms, "ms", "info: DB writer")
    figure("alerts_burst_seconds", median_of("seconds"), "s", "info: until all is written")
    figure("alerts_burst_delivered", sum(s.delivered for s in last.sinks), "alerts")
    figure("alerts_burst_deduped", last.deduped, "alerts")
    figure("alerts_burst_dropped", dropped, "alerts")
    figure("alerts_burst_emit_errors", last.emit_errors, "errors", "0")
    for per_ms, (ratio, seconds) in slower.items():
        figure(
            f"alerts_control_p99_ratio_at_{per_ms}_per_ms",
            ratio,
            "x",
            f"info: the burst over {seconds:.1f} s",
        )
    for name, ratio in calibration.items():
        figure(f"loop_busy_{name}_per_ms_p99_ratio", ratio, "x", "info: calibration")


if __name__ == "__main__":
    anyio.run(main, backend="asyncio", backend_options={"use_uvloop": True})
