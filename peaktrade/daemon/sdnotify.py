"""systemd's notify protocol: READY, STATUS, WATCHDOG, STOPPING over ``$NOTIFY_SOCKET``.

Small enough to own: one datagram per message, path or abstract socket address.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Mapping

import anyio

from peaktrade.log import get_logger

log = get_logger("peaktrade.sdnotify")


class Notifier:
    """Sends notify messages; does nothing when not started by systemd."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        e = os.environ if env is None else env
        address = e.get("NOTIFY_SOCKET", "")
        self.address = "\0" + address[1:] if address.startswith("@") else address
        self.watchdog_usec = _watchdog_usec(e)
        self._sock: socket.socket | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.address)

    def send(self, message: str) -> bool:
        """One datagram; a failure is logged, never raised: notify must not stop trading."""
        if not self.address:
            return False
        try:
            if self._sock is None:
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
            self._sock.sendto(message.encode(), self.address)
        except OSError as exc:
            log.warning("sd_notify_failed", error=str(exc))
            return False
        return True

    def ready(self, status: str) -> None:
        self.send(f"READY=1\nSTATUS={status}")

    def status(self, status: str) -> None:
        self.send(f"STATUS={status}")

    def stopping(self) -> None:
        self.send("STOPPING=1\nSTATUS=stopping")

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    @property
    def ping_interval_s(self) -> float:
        """Half of WatchdogSec, as sd_watchdog_enabled(3) advises: one late ping is no restart."""
        return self.watchdog_usec / 2 / 1_000_000

    async def watchdog(self, healthy: Callable[[], bool]) -> None:
        """Ping at half of WatchdogSec, only while ``healthy()``.

        It runs on the event loop it vouches for: a wedged loop cannot ping, so systemd sees
        the stall and restarts us.
        """
        if not self.address or not self.watchdog_usec:
            return
        interval = self.ping_interval_s
        while True:
            if healthy():
                self.send("WATCHDOG=1")
            else:
                log.warning("watchdog_withheld", reason="daemon unhealthy")
            await anyio.sleep(interval)


def _watchdog_usec(env: Mapping[str, str]) -> int:
    pid = env.get("WATCHDOG_PID")
    if pid and pid != str(os.getpid()):
        return 0  # the watchdog is meant for another process
    try:
        return max(0, int(env.get("WATCHDOG_USEC", "0")))
    except ValueError:
        return 0
