"""Disk faults on the journal (libfiu): EIO on fsync, ENOSPC on write.

Fail-stop: new orders blocked at once, a critical alert, a non-zero exit, a clean restart with
reconciliation. A failed fsync is never retried.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from collections.abc import Callable

import pytest

from peaktrade.control.protocol import (
    OrderResult,
    OrderSpec,
    OrderSubmit,
    Reply,
    Status,
    StatusResult,
)
from peaktrade.store.journal import integrity_problems
from tests.support import BASE_CONFIG, DaemonProcess, wait_for

EIO, ENOSPC = 5, 28
FAULTS = {
    "fsync_eio": f"name=posix/io/sync/fdatasync,failinfo={EIO}",
    "write_enospc": f"name=posix/io/rw/pwrite,failinfo={ENOSPC}",
}


def fiu_ctrl(pid: int, command: str) -> None:
    subprocess.run(["fiu-ctrl", "-c", command, str(pid)], check=True, timeout=10)


def refused_on_disk_fault(reply: Reply) -> bool:
    """The order's journal write failed, or a background write (the WAL checkpointer, a
    snapshot) met the fault first and the daemon was already stopping: never accepted."""
    if not reply.ok:
        return reply.error is not None and reply.error.code == "store.failed"
    assert isinstance(reply.result, OrderResult)
    decision = reply.result.decisions[0]
    return not decision.allowed and decision.code == "daemon.stopping"


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_disk_fault_stops_trading_and_a_restart_recovers(
    make_daemon: Callable[..., DaemonProcess], fault: str
) -> None:
    assert shutil.which("fiu-run"), "deploy/system-deps.sh installs fiu-utils"
    daemon = make_daemon(BASE_CONFIG).start(wrapper=["fiu-run", "-x"])
    assert daemon.proc is not None
    order = OrderSpec(symbol="BTC/USDT", side="buy", qty=0.001)
    assert daemon.ask(OrderSubmit(order=order)).ok  # the journal works

    fiu_ctrl(daemon.proc.pid, f"enable {FAULTS[fault]}")
    assert refused_on_disk_fault(daemon.ask(OrderSubmit(order=order)))

    # the next order is refused too, while the daemon winds down (how fast: bench_disk_faults)
    blocked = daemon.ask(OrderSubmit(order=order))
    if blocked.ok:
        assert isinstance(blocked.result, OrderResult)
        assert not blocked.result.decisions[0].allowed
        assert blocked.result.decisions[0].code in ("daemon.stopping", "")
    assert daemon.wait_exit(timeout_s=15) == 74
    log = daemon.log()
    assert '"event": "store_failed"' in log and '"event": "store.failed"' in log

    # a clean restart: the WAL recovers, reconciliation runs, the journal is whole
    daemon.start()
    status = daemon.ask(Status()).result
    assert isinstance(status, StatusResult) and status.reconciled
    db = sqlite3.connect(daemon.state_dir / "peaktrade-sim.sqlite3")
    assert integrity_problems(db) == []
    assert daemon.ask(OrderSubmit(order=order)).ok
    wait_for(lambda: daemon.stop() == 0)
