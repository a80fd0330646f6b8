"""sd_notify on a real datagram socket: READY, STATUS, WATCHDOG only while healthy, STOPPING."""

from __future__ import annotations

import itertools
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import anyio
import pytest

from peaktrade.daemon.sdnotify import Notifier
from tests.support import DaemonProcess, wait_for


class NotifyListener:
    """What systemd would see: every datagram with the time it arrived."""

    def __init__(self, address: str) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(address)
        self.sock.settimeout(0.2)
        self.messages: list[tuple[float, str]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            self.messages.append((time.monotonic(), data.decode()))

    def texts(self) -> list[str]:
        return [m for _, m in self.messages]

    def pings(self) -> list[float]:
        return [t for t, m in self.messages if m == "WATCHDOG=1"]

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


@pytest.fixture
def path_listener(tmp_path: Path) -> Iterator[tuple[str, NotifyListener]]:
    address = str(tmp_path / "notify.sock")
    listener = NotifyListener(address)
    yield address, listener
    listener.close()


def test_daemon_sends_ready_status_watchdog_and_stopping(
    make_daemon: Callable[..., DaemonProcess], path_listener: tuple[str, NotifyListener]
) -> None:
    address, listener = path_listener
    daemon = make_daemon().start(env={"NOTIFY_SOCKET": address, "WATCHDOG_USEC": "1000000"})
    ready = wait_for(lambda: [m for m in listener.texts() if m.startswith("READY=1")])
    assert ready[0] == "READY=1\nSTATUS=paper@sim ACTIVE"  # after start-up reconciliation
    wait_for(lambda: len(listener.pings()) >= 5)  # it keeps vouching while healthy
    daemon.signal(signal.SIGTERM)
    assert daemon.wait_exit() == 0
    assert any(m.startswith("STOPPING=1") for m in listener.texts())


def test_kill_updates_the_status_line(
    make_daemon: Callable[..., DaemonProcess], path_listener: tuple[str, NotifyListener]
) -> None:
    from peaktrade.control.protocol import Kill

    address, listener = path_listener
    daemon = make_daemon().start(env={"NOTIFY_SOCKET": address})
    wait_for(lambda: any(m.startswith("READY=1") for m in listener.texts()))
    daemon.ask(Kill(reason="status line"))
    wait_for(lambda: "STATUS=paper@sim HALTED" in listener.texts())


def test_abstract_notify_socket(make_daemon: Callable[..., DaemonProcess]) -> None:
    name = f"peaktrade-test-{uuid.uuid4().hex}"
    listener = NotifyListener("\0" + name)
    try:
        make_daemon().start(env={"NOTIFY_SOCKET": "@" + name})
        wait_for(lambda: any(m.startswith("READY=1") for m in listener.texts()))
    finally:
        listener.close()


def test_watchdog_for_another_pid_is_ignored(
    make_daemon: Callable[..., DaemonProcess], path_listener: tuple[str, NotifyListener]
) -> None:
    address, listener = path_listener
    make_daemon().start(
        env={"NOTIFY_SOCKET": address, "WATCHDOG_USEC": "100000", "WATCHDOG_PID": "1"}
    )
    wait_for(lambda: any(m.startswith("READY=1") for m in listener.texts()))
    deadline = time.monotonic() + 0.5
    while time.monotonic() < deadline:
        time.sleep(0.05)
    assert listener.pings() == []


def test_wedged_loop_stops_the_pings(path_listener: tuple[str, NotifyListener]) -> None:
    """The pinger runs on the loop it vouches for: block the loop and the pings stop."""
    address, listener = path_listener
    notifier = Notifier({"NOTIFY_SOCKET": address, "WATCHDOG_USEC": "40000"})
    window: list[float] = []

    async def scenario() -> None:
        async with anyio.create_task_group() as tg:
            tg.start_soon(notifier.watchdog, lambda: True)
            while len(listener.pings()) < 3:
                await anyio.sleep(0.01)
            window.append(time.monotonic())
            time.sleep(0.6)  # a wedged loop: a blocking call on the event loop thread
            window.append(time.monotonic())
            before = len(listener.pings())
            while len(listener.pings()) < before + 3:
                await anyio.sleep(0.01)
            tg.cancel_scope.cancel()

    anyio.run(scenario)
    start, end = window
    during = [t for t in listener.pings() if start + 0.05 < t < end]
    after = [t for t in listener.pings() if t > end]
    assert during == []
    assert len(after) >= 3  # and they resume once the loop runs again


def test_unhealthy_daemon_withholds_pings(path_listener: tuple[str, NotifyListener]) -> None:
    address, listener = path_listener
    notifier = Notifier({"NOTIFY_SOCKET": address, "WATCHDOG_USEC": "40000"})
    calls = 0

    def unhealthy() -> bool:
        nonlocal calls
        calls += 1
        return False

    async def scenario() -> None:
        with anyio.move_on_after(0.3):
            await notifier.watchdog(unhealthy)

    anyio.run(scenario)
    assert calls >= 5  # it kept asking ...
    assert listener.pings() == []  # ... and never vouched


def test_pings_come_twice_per_watchdog_sec() -> None:
    notifier = Notifier({"NOTIFY_SOCKET": "/run/x", "WATCHDOG_USEC": "1000000"})
    assert notifier.ping_interval_s == 0.5


def test_notifier_is_silent_without_notify_socket() -> None:
    notifier = Notifier({})
    assert not notifier.enabled
    assert notifier.send("READY=1") is False


def test_send_failure_is_not_raised(tmp_path: Path) -> None:
    notifier = Notifier({"NOTIFY_SOCKET": str(tmp_path / "nobody-listens")})
    assert notifier.send("READY=1") is False


def test_a_wedged_daemon_stops_pinging_within_watchdog_sec(
    make_daemon: Callable[..., DaemonProcess], path_listener: tuple[str, NotifyListener]
) -> None:
    """The real daemon, its loop wedged by the chaos hook: systemd would see the stall."""
    address, listener = path_listener
    daemon = make_daemon().start(
        env={
            "NOTIFY_SOCKET": address,
            "WATCHDOG_USEC": "1000000",  # WatchdogSec=1s: a ping every 0.5 s
            "PEAKTRADE_CHAOS": "1",
            "PEAKTRADE_CHAOS_WEDGE_S": "3",
        }
    )
    wait_for(lambda: len(listener.pings()) >= 3)
    daemon.signal(signal.SIGUSR2)
    wait_for(lambda: '"event": "chaos_loop_released"' in daemon.log(), timeout=15)
    released = len(listener.pings())
    wait_for(lambda: len(listener.pings()) >= released + 2)  # pings resume
    pings = listener.pings()
    longest = max(b - a for a, b in itertools.pairwise(pings))
    assert longest >= 2.5  # nothing for far longer than WatchdogSec: systemd restarts it
    assert daemon.stop() == 0
