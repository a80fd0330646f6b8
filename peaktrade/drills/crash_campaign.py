"""The crash campaign: SIGKILL the daemon while orders are in flight, restart, reconcile, check.

Each lane is a standalone simulator (it outlives every kill) and ``peaktrade run`` in testnet
mode on it, driven over the control socket by a few threads submitting market and limit orders
and cancels as fast as they go. The simulator delays every order request, so sends take tens of
milliseconds and a kill at a random moment lands mostly between the journal write and the
exchange's ack (counted: orders found pending in the journal right after the kill). Some kills
come right after a kill-switch command, which must survive the crash. After every restart the
journal's integrity is checked; at the end the journal is compared with the exchange's own
record (``allOrders``, ``myTrades``, accepted client ids) by ``peaktrade.drills.invariants``.
Lanes run in parallel, each with its own simulator, daemon and account.
"""

from __future__ import annotations

import contextlib
import json
import random
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import msgspec

from ctl.client import Unreachable, ask
from peaktrade.control.protocol import (
    Kill,
    OrderCancel,
    OrderResult,
    OrderSpec,
    OrdersQuery,
    OrdersResult,
    OrderSubmit,
    Release,
    Request,
    Side,
    StatusResult,
)
from peaktrade.core.ids import namespace
from peaktrade.core.orders import OrderState
from peaktrade.drills.exchange_record import from_rest
from peaktrade.drills.invariants import Violations, compare
from peaktrade.drills.processes import DaemonProcess, DrillError, SimProcess
from peaktrade.store import journal
from peaktrade.store.db import db_path

T = TypeVar("T")
Progress = Callable[[str], None]

# Orders per symbol: (min qty, max qty, price decimals), inside the simulator's filters.
SIZES: dict[str, tuple[float, float, int]] = {
    "BTC/USDT": (0.001, 0.004, 2),
    "ETH/USDT": (0.01, 0.08, 2),
    "SOL/USDT": (0.1, 0.8, 2),
    "BNB/USDT": (0.02, 0.15, 2),
    "XRP/USDT": (20.0, 150.0, 4),
}


class CrashSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """How hard to crash: kills in total (spread over the lanes) and what runs between them."""

    kills: int = 50
    """SIGKILLs in total."""
    lanes: int = 2
    """Independent simulator + daemon pairs run side by side."""
    seed: int = 1
    """Seeds the kill moments, the orders and the kill-switch rounds."""
    symbols: tuple[str, ...] = ("BTC/USDT", "ETH/USDT", "SOL/USDT")
    """Markets the drivers trade (each lane trades all of them)."""
    drivers: int = 4
    """Threads per lane submitting orders over the control socket."""
    trade_s: tuple[float, float] = (0.15, 0.8)
    """A kill lands this long (uniform) after the drivers start."""
    kill_switch_share: float = 0.2
    """Share of rounds that send ``Kill`` (half of them with cancel-open) right before SIGKILL."""
    order_latency_ms: tuple[float, float] = (20.0, 80.0)
    """The simulator's delay on every order request: fixed, plus uniform jitter up to this."""


class LaneReport(msgspec.Struct, frozen=True, kw_only=True):
    lane: int
    kills: int
    submissions: int  # orders the daemon journaled (its replies carried an order)
    refused: int  # submissions refused before the journal (in doubt, stale, halted)
    kills_in_window: int  # kills after which an order was journaled but had no outcome yet
    pending_at_kill: int  # such orders, summed over the kills
    kill_switch_rounds: int
    integrity: list[str]  # journal integrity problems found after a restart
    kill_switch: list[str]  # a kill not acknowledged, lost in the crash, or not released
    unexpected_state: list[str]  # not ACTIVE after a restart that no kill preceded
    violations: Violations
    orders: int
    fills: int
    seconds: float


class CrashReport(msgspec.Struct, frozen=True, kw_only=True):
    lanes: list[LaneReport]
    seconds: float

    @property
    def kills(self) -> int:
        return sum(lane.kills for lane in self.lanes)

    def each(self, field: str) -> list[str]:
        """One of the per-lane problem lists, over all lanes."""
        return [f"lane {lane.lane}: {p}" for lane in self.lanes for p in getattr(lane, field)]

    @property
    def ok(self) -> bool:
        return all(
            lane.violations.ok and not (lane.integrity or lane.kill_switch or lane.unexpected_state)
            for lane in self.lanes
        )


def daemon_config(lane: int, rest_url: str, symbols: tuple[str, ...]) -> str:
    """Testnet mode on the lane's simulator; order-rate limits off so the drivers go flat out."""
    listed = ", ".join(f'"{s}"' for s in symbols)
    return f"""
[run]
mode = "testnet"
network = "sim"
account_label = "crash-{lane}"
[exchange]
symbols = [{listed}]
sim_url = "{rest_url}"
timeout_s = 3.0
[daemon]
ready_timeout_s = 20.0
shutdown_timeout_s = 5.0
[control]
request_timeout_s = 10.0
idle_timeout_s = 10.0
[execution]
resolve_interval_s = 0.2
not_found_grace_s = 1.0
[live_risk]
max_orders_per_second = 0
max_orders_per_minute = 0
[logging]
format = "json"
"""


def run_crash_campaign(
    settings: CrashSettings, workdir: Path, progress: Progress | None = None
) -> CrashReport:
    """Run every lane to its share of the kills; raises DrillError if a lane could not run."""
    started = time.monotonic()
    shares = [
        settings.kills // settings.lanes + (i < settings.kills % settings.lanes)
        for i in range(settings.lanes)
    ]
    reports: dict[int, LaneReport] = {}
    errors: list[BaseException] = []

    def lane(index: int) -> None:
        try:
            reports[index] = run_lane(settings, index, shares[index], workdir, progress)
        except BaseException as exc:  # re-raised below, in the caller's thread
            errors.append(exc)

    threads = [threading.Thread(target=lane, args=(i,), daemon=True) for i in range(settings.lanes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return CrashReport(
        lanes=[reports[i] for i in range(settings.lanes)], seconds=time.monotonic() - started
    )


def run_lane(
    settings: CrashSettings, lane: int, kills: int, workdir: Path, progress: Progress | None
) -> LaneReport:
    started = time.monotonic()
    rng = random.Random(f"{settings.seed}:{lane}")
    home = workdir / f"lane-{lane}"
    home.mkdir(parents=True, exist_ok=True)
    sim = SimProcess(home)
    sim.start()
    daemon: DaemonProcess | None = None
    try:
        fixed, jitter = settings.order_latency_ms
        sim.fault("latency", rate=1.0, scope="order", fixed_ms=fixed, jitter_ms=jitter)
        daemon = DaemonProcess(home)
        daemon.config.write_text(daemon_config(lane, sim.rest_url, settings.symbols))
        daemon.start()
        stats = _Stats()
        integrity: list[str] = []
        kill_switch: list[str] = []
        unexpected: list[str] = []
        switch_rounds = 0
        for round_no in range(kills):
            prices = {s: float(p) for s, p in sim.state()["prices"].items()}
            driver = Driver(daemon.socket, settings, prices, random.Random(rng.random()), stats)
            driver.start()
            time.sleep(rng.uniform(*settings.trade_s))
            reason = ""
            if rng.random() < settings.kill_switch_share:
                reason = f"crash drill lane {lane} round {round_no}"
                if not _asked(daemon, Kill(reason=reason, cancel_open=rng.random() < 0.5)):
                    kill_switch.append(f"round {round_no}: the kill was not acknowledged")
                    reason = ""
            daemon.kill9()
            driver.join()
            pending = _read(
                daemon, lambda c: journal.orders_in(c, [OrderState.PENDING], executor="exchange")
            )
            stats.in_window += bool(pending)
            stats.pending += len(pending)
            daemon.start()
            integrity += [
                f"round {round_no}: {p}" for p in _read(daemon, journal.integrity_problems)
            ]
            (kill_switch if reason else unexpected).extend(_check_state(daemon, round_no, reason))
            switch_rounds += bool(reason)
            if progress is not None:
                progress(
                    f"lane {lane}: kill {round_no + 1}/{kills}, {stats.submissions} journaled,"
                    f" {len(pending)} pending at the kill"
                )
        violations, orders, fills = _settle_and_compare(
            daemon, sim, settings.symbols, f"crash-{lane}"
        )
        return LaneReport(
            lane=lane,
            kills=kills,
            submissions=stats.submissions,
            refused=stats.refused,
            kills_in_window=stats.in_window,
            pending_at_kill=stats.pending,
            kill_switch_rounds=switch_rounds,
            integrity=integrity,
            kill_switch=kill_switch,
            unexpected_state=unexpected,
            violations=violations,
            orders=orders,
            fills=fills,
            seconds=time.monotonic() - started,
        )
    finally:
        if daemon is not None:
            daemon.stop()
        sim.stop()


class _Stats:
    """Counters the driver threads of one lane share (guarded by the lock)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.submissions = 0
        self.refused = 0
        self.in_window = 0
        self.pending = 0


class Driver:
    """Threads submitting orders (and cancelling resting ones) until the daemon dies."""

    def __init__(
        self,
        socket: Path,
        settings: CrashSettings,
        prices: dict[str, float],
        rng: random.Random,
        stats: _Stats,
    ) -> None:
        self.socket = socket
        self.settings = settings
        self.prices = prices
        self.rng = rng
        self.stats = stats
        self.resting: list[str] = []
        self.threads = [
            threading.Thread(target=self._run, args=(random.Random(rng.random()),), daemon=True)
            for _ in range(settings.drivers)
        ]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def join(self) -> None:
        for thread in self.threads:
            thread.join(timeout=15)

    def _run(self, rng: random.Random) -> None:
        while True:
            try:
                cid = self._take_resting(rng) if rng.random() < 0.15 else None
                if cid is not None:
                    ask(self.socket, OrderCancel(client_order_id=cid), timeout_s=10.0)
                    continue
                reply = ask(self.socket, OrderSubmit(order=self._spec(rng)), timeout_s=10.0)
            except Unreachable:
                return  # the daemon is gone: this round is over
            result = reply.result
            if not isinstance(result, OrderResult) or not result.decisions:
                continue
            order = result.decisions[0].order
            with self.stats.lock:
                if order is None:
                    self.stats.refused += 1
                else:
                    self.stats.submissions += 1
                if order is not None and order.state == OrderState.OPEN.value:
                    self.resting.append(order.client_order_id)
            if order is None:
                time.sleep(0.01)  # refused (a symbol in doubt): do not spin

    def _take_resting(self, rng: random.Random) -> str | None:
        with self.stats.lock:
            if not self.resting:
                return None
            return self.resting.pop(rng.randrange(len(self.resting)))

    def _spec(self, rng: random.Random) -> OrderSpec:
        symbol = rng.choice(self.settings.symbols)
        low, high, decimals = SIZES[symbol]
        qty = round(rng.uniform(low, high), 5 if low < 0.01 else 3 if low < 1 else 1)
        side: Side = rng.choice(("buy", "sell"))
        if rng.random() < 0.5:
            return OrderSpec(symbol=symbol, side=side, qty=qty, type="market")
        mid = self.prices[symbol.replace("/", "")]
        offset = rng.uniform(-0.003, 0.003)
        price = round(mid * (1 + offset), decimals)
        return OrderSpec(symbol=symbol, side=side, qty=qty, type="limit", price=price)


def _asked(daemon: DaemonProcess, request: Request) -> bool:
    try:
        return daemon.ask(request, timeout_s=10.0).ok
    except Unreachable:
        return False


def _check_state(daemon: DaemonProcess, round_no: int, reason: str) -> list[str]:
    """After a restart: HALTED with the same reason if a kill preceded the crash, else ACTIVE."""
    status = daemon.status()
    if status is None:
        return [f"round {round_no}: no status after the restart"]
    if not reason:
        if status.state == "ACTIVE":
            return []
        _asked(daemon, Release(reason=f"crash drill round {round_no}: unexpected state"))
        found = "; ".join(_reconcile_problems(daemon)) or "no reconcile problem logged"
        return [f"round {round_no}: {status.state} after a restart ({status.reason}): {found}"]
    problems = []
    if status.state != "HALTED" or status.reason != reason:
        problems.append(
            f"round {round_no}: kill switch lost in the crash: {status.state} {status.reason!r}"
        )
    if not _asked(daemon, Release(reason=f"crash drill round {round_no} over")):
        problems.append(f"round {round_no}: release refused")
    return problems


def _reconcile_problems(daemon: DaemonProcess) -> list[str]:
    """What the last start-up reconciliation could not explain, from the daemon's own log."""
    log = (daemon.workdir / "daemon.log").read_text(errors="replace")
    for line in reversed(log.splitlines()):
        if '"event": "reconciled"' in line:
            with contextlib.suppress(ValueError):
                return [str(p) for p in json.loads(line).get("problems", [])]
    return []


def _settle_and_compare(
    daemon: DaemonProcess, sim: SimProcess, symbols: tuple[str, ...], label: str
) -> tuple[Violations, int, int]:
    """Cancel what rests, let doubts resolve, restart once more, then hold journal to exchange."""
    if not _asked(daemon, Kill(reason="crash campaign over", cancel_open=True)):
        raise DrillError("the final kill was not acknowledged")
    _wait_quiet(daemon)
    daemon.stop()
    daemon.start()  # a fresh reconciliation, as after a crash, finds nothing more
    _wait_quiet(daemon)
    daemon.stop()
    orders = _read(daemon, lambda c: journal.recent_orders(c, 10**9))
    fills = _read(daemon, lambda c: journal.all_fills(c, executor="exchange"))
    ns = namespace(label, _read(daemon, _epoch))
    record = from_rest(sim.rest_url, sim.api_key, sim.api_secret, symbols)
    return compare(orders, fills, record, ns), len(orders), len(fills)


def _wait_quiet(daemon: DaemonProcess, timeout_s: float = 30.0) -> None:
    """No live order and none in doubt, as the daemon reports it."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status = daemon.status()
        try:
            live = daemon.ask(OrdersQuery(open_only=True), timeout_s=5.0).result
        except Unreachable:
            live = None
        if (
            isinstance(status, StatusResult)
            and status.orders_in_doubt == 0
            and isinstance(live, OrdersResult)
            and not live.orders
        ):
            return
        time.sleep(0.2)
    raise DrillError(f"orders still live or in doubt after {timeout_s:g} s")


def _read(daemon: DaemonProcess, fn: Callable[[sqlite3.Connection], T]) -> T:
    """Read the lane's journal through a read-only connection (the daemon may be dead)."""
    path = db_path(daemon.state_dir, "sim")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10.0)
    try:
        return fn(conn)
    finally:
        conn.close()


def _epoch(conn: sqlite3.Connection) -> str:
    (epoch,) = conn.execute("SELECT value FROM journal_meta WHERE key = 'epoch'").fetchone()
    return str(epoch)
