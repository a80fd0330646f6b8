"""The kill switch is durable before it is acknowledged and survives SIGKILL and restart."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from peaktrade.control.protocol import (
    AuditQuery,
    AuditResult,
    Kill,
    Reduce,
    Release,
    StateResult,
    Status,
    StatusResult,
)
from tests.support import DaemonProcess


def status(daemon: DaemonProcess) -> StatusResult:
    reply = daemon.ask(Status())
    assert reply.ok and isinstance(reply.result, StatusResult)
    return reply.result


def test_kill_survives_sigkill(make_daemon: Callable[..., DaemonProcess]) -> None:
    daemon = make_daemon().start()
    reply = daemon.ask(Kill(reason="operator saw a flash crash", cancel_open=True))
    daemon.kill9()  # right after the acknowledgement: nothing may be lost

    daemon.start()
    s = status(daemon)
    assert s.state == "HALTED"
    assert s.reason == "operator saw a flash crash"
    assert s.last_change is not None and s.last_change.cancel_open
    assert reply.ok and reply.mode == "paper" and reply.network == "sim"
    audited = daemon.ask(AuditQuery(limit=5)).result
    assert isinstance(audited, AuditResult)  # who asked was durable with the kill itself
    assert [(e.command, e.outcome) for e in audited.entries] == [("kill", "ok")]


def test_kill_is_in_the_database_when_acknowledged(daemon: DaemonProcess) -> None:
    reply = daemon.ask(Kill(reason="durable?"))
    assert reply.ok
    db = sqlite3.connect(daemon.state_dir / "peaktrade-sim.sqlite3")
    assert db.execute("SELECT state, reason FROM trading_state").fetchone() == (
        "HALTED",
        "durable?",
    )
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_transition_records_who_when_why(daemon: DaemonProcess) -> None:
    import os

    reply = daemon.ask(Kill(reason="why"))
    assert isinstance(reply.result, StateResult)
    t = reply.result.transition
    assert (t.previous, t.state, t.reason, t.source) == ("ACTIVE", "HALTED", "why", "ptctl")
    assert t.uid == os.getuid() and t.pid == os.getpid() and t.at_ms > 0


def test_release_rearms_and_reduce_sets_reducing(daemon: DaemonProcess) -> None:
    assert daemon.ask(Reduce(reason="news due")).ok
    assert status(daemon).state == "REDUCING"
    assert daemon.ask(Kill(reason="stop")).ok
    refused = daemon.ask(Reduce(reason="loosen?"))
    assert not refused.ok and refused.error is not None
    assert refused.error.code == "state.halted_needs_release"
    assert status(daemon).state == "HALTED"
    assert daemon.ask(Release(reason="understood")).ok
    assert status(daemon).state == "ACTIVE"


def test_release_needs_a_reason(daemon: DaemonProcess) -> None:
    daemon.ask(Kill(reason="stop"))
    reply = daemon.ask(Release(reason="   "))
    assert not reply.ok and reply.error is not None
    assert reply.error.code == "state.reason_required"
    assert status(daemon).state == "HALTED"


def test_mutating_commands_are_audited(daemon: DaemonProcess) -> None:
    daemon.ask(Kill(reason="a"))
    daemon.ask(Release(reason="   "))  # refused, still audited
    reply = daemon.ask(AuditQuery(limit=10))
    assert isinstance(reply.result, AuditResult)
    outcomes = [(e.command, e.outcome) for e in reply.result.entries]
    assert outcomes == [("release", "refused:state.reason_required"), ("kill", "ok")]
    assert '"reason":"a"' in reply.result.entries[1].detail


def test_kill_twice_keeps_latest_reason(daemon: DaemonProcess) -> None:
    daemon.ask(Kill(reason="first"))
    daemon.ask(Kill(reason="second", flatten=True))
    s = status(daemon)
    assert (s.state, s.reason) == ("HALTED", "second")
