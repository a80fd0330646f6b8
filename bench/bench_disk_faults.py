"""Disk faults on the journal: how fast new orders are blocked, how fast the daemon exits.

A real daemon runs under ``fiu-run`` (Debian's fiu-utils, ``make system-deps``); ``fiu-ctrl``
switches on EIO on fdatasync or ENOSPC on pwrite. The clock starts when the fault is on; an
order is then sent every few milliseconds, and the figure is the time until one is refused.
Exit time runs from the same start to the process's exit (74, EX_IOERR, every time).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import figure, pct

from peaktrade.control.protocol import OrderResult, OrderSpec, OrderSubmit, Reply
from tests.support import BASE_CONFIG, DaemonProcess

EIO, ENOSPC = 5, 28
FAULTS = {
    "fsync_eio": f"name=posix/io/sync/fdatasync,failinfo={EIO}",
    "write_enospc": f"name=posix/io/rw/pwrite,failinfo={ENOSPC}",
}
ROUNDS = 5
ORDER = OrderSpec(symbol="BTC/USDT", side="buy", qty=0.001)


def refused(reply: Reply) -> bool:
    if reply.error is not None:
        return True
    return isinstance(reply.result, OrderResult) and not reply.result.decisions[0].allowed


def one_round(work: Path, fault: str) -> tuple[float, float, int]:
    work.mkdir(parents=True)
    daemon = DaemonProcess(work, BASE_CONFIG).start(wrapper=["fiu-run", "-x"])
    assert daemon.proc is not None and daemon.ask(OrderSubmit(order=ORDER)).ok
    subprocess.run(["fiu-ctrl", "-c", f"enable {FAULTS[fault]}", str(daemon.proc.pid)], check=True)
    start = time.monotonic()
    blocked = float("nan")
    while daemon.proc.poll() is None:
        try:
            reply = daemon.ask(OrderSubmit(order=ORDER))
        except Exception:  # the socket is gone: the daemon is exiting, orders are refused
            reply = None
        if reply is None or refused(reply):
            blocked = time.monotonic() - start
            break
    code = daemon.wait_exit(timeout_s=30)
    return blocked, time.monotonic() - start, code


def main() -> int:
    ok = True
    for fault in sorted(FAULTS):
        blocked: list[float] = []
        exits: list[float] = []
        codes: list[int] = []
        for index in range(ROUNDS):
            with tempfile.TemporaryDirectory(prefix="pt-bench-disk-") as tmp:
                b, e, c = one_round(Path(tmp) / str(index), fault)
            blocked.append(b)
            exits.append(e)
            codes.append(c)
        figure(f"disk_{fault}_orders_blocked_max", max(blocked) * 1000, "ms", "<= 1000 ms")
        figure(f"disk_{fault}_exit_p50", pct(exits, 50), "s")
        figure(f"disk_{fault}_exit_74", codes.count(74), f"of {ROUNDS}", f"{ROUNDS} of {ROUNDS}")
        ok &= codes.count(74) == ROUNDS and max(blocked) <= 1.0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
