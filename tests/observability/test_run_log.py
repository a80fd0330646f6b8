"""The run log: runs and typed events in the state database, the JSONL copy, never blocking."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from peaktrade.control.protocol import MAX_FRAME_BYTES, Reply, RunEventsQuery, encode_frame
from peaktrade.core.events import DaemonEvent
from peaktrade.core.model import Fill, Side
from peaktrade.core.trading_state import Actor, StateChange, TradingState
from peaktrade.daemon import runs_view
from peaktrade.redaction import register_secret
from peaktrade.runlog import events as ev
from peaktrade.runlog.config import RunLogConfig
from peaktrade.runlog.logger import LiveRunLogger
from peaktrade.store import runs
from peaktrade.store.db import Database

NOW = 1_800_000_000_000


def meta(run_id: str = "r1", started_ms: int = NOW) -> ev.LiveRunMetadata:
    return ev.LiveRunMetadata(
        run_id=run_id,
        version="0.1.0",
        git_commit="",
        config_digest="abc",
        config_path="c.toml",
        mode="paper",
        network="sim",
        account="test",
        strategy="none",
        pid=1,
        started_ms=started_ms,
    )


def fill(n: int, symbol: str = "BTC/USDT") -> ev.FillRecorded:
    return ev.from_fill(
        Fill(
            symbol=symbol,
            side=Side.BUY,
            qty=0.01,
            price=65_000.0 + n,
            fee=0.01,
            fee_currency="USDT",
            ts_ms=NOW + n,
            trade_id=f"t{n}",
            client_order_id=f"pt-x-{n}",
        )
    )


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(tmp_path / "state.sqlite3")
    try:
        yield database
    finally:
        database.close()


def logger(
    db: Database, tmp_path: Path | None = None, run_id: str = "r1", **config: object
) -> LiveRunLogger:
    jsonl = tmp_path / "runs" / f"{run_id}.jsonl" if tmp_path is not None else None
    return LiveRunLogger(
        db,
        meta(run_id),
        msgspec.convert(config, RunLogConfig),
        now_ms=lambda: NOW,
        jsonl_path=jsonl,
    )


async def test_events_are_written_in_order_with_seq_from_one(db: Database) -> None:
    log = logger(db)
    await log.open()
    for n in range(3):
        log.record(fill(n))
    await log.flush()
    rows = await db.call(runs.events_after, "r1", after_seq=0, kind=None, limit=100)
    assert [(seq, kind) for seq, _, kind, _ in rows] == [
        (1, "run_started"),
        (2, "fill"),
        (3, "fill"),
        (4, "fill"),
    ]


async def test_a_reader_resumes_after_the_last_seq_it_saw(db: Database) -> None:
    log = logger(db)
    await log.open()
    for n in range(10):
        log.record(fill(n))
    await log.flush()
    rows = await db.call(runs.events_after, "r1", after_seq=7, kind=None, limit=100)
    assert [seq for seq, *_ in rows] == [8, 9, 10, 11]


async def test_kind_filter_returns_only_that_kind(db: Database) -> None:
    log = logger(db)
    await log.open()
    log.record(fill(1))
    log.record(ev.from_change(_kill("drill")))
    await log.flush()
    rows = await db.call(runs.events_after, "r1", after_seq=0, kind="kill", limit=100)
    assert [kind for _, _, kind, _ in rows] == ["kill"]


async def test_the_jsonl_file_holds_the_same_typed_events_as_the_database(
    db: Database, tmp_path: Path
) -> None:
    log = logger(db, tmp_path, jsonl=True)
    await log.open()
    log.record(fill(1))
    log.record(ev.from_change(_kill("drill")))
    await log.close("signal SIGTERM")
    lines = (tmp_path / "runs" / "r1.jsonl").read_bytes().splitlines()
    from_file = [ev.line_decoder.decode(line) for line in lines]
    rows = await db.call(runs.events_after, "r1", after_seq=0, kind=None, limit=100)
    from_db = [
        ev.LiveRunEvent(run_id="r1", seq=s, ts_ms=t, body=ev.body_decoder.decode(d))
        for s, t, _, d in rows
    ]
    assert from_file == from_db
    assert [e.kind for e in from_file] == ["run_started", "fill", "kill", "run_stopped"]


async def test_stop_records_time_exit_reason_and_event_count(db: Database) -> None:
    log = logger(db)
    await log.open()
    log.record(fill(1))
    await log.close("signal SIGTERM")
    run = await db.call(runs.get_run, "r1")
    assert run is not None
    assert (run.stopped_ms, run.exit_reason, run.event_count) == (NOW, "signal SIGTERM", 3)


async def test_a_run_without_a_stop_is_closed_unclean_at_its_last_event_by_the_next(
    db: Database,
) -> None:
    crashed = logger(db, run_id="crashed")
    await crashed.open()
    crashed.record(fill(1), ts_ms=NOW + 5_000)
    await crashed.flush()  # then SIGKILL: no close
    await logger(db, run_id="next").open()
    run = await db.call(runs.get_run, "crashed")
    assert run is not None
    assert run.stopped_ms == NOW + 5_000
    assert run.exit_reason == runs.UNCLEAN


async def test_runs_stopped_before_the_retention_window_are_pruned_with_their_events(
    db: Database,
) -> None:
    old = LiveRunLogger(
        db, meta("old", NOW - 40 * 86_400_000), RunLogConfig(), now_ms=lambda: NOW - 39 * 86_400_000
    )
    await old.open()
    await old.close("signal SIGTERM")
    await logger(db, run_id="new", retention_days=30).open()
    assert [r.run_id for r in await db.call(runs.recent_runs, 10)] == ["new"]
    assert await db.call(runs.kind_counts, "old") == {}


async def test_recording_into_a_full_buffer_counts_the_loss_and_never_raises(
    db: Database,
) -> None:
    log = logger(db, max_pending=1000)
    await log.open()  # run_started is pending too
    seqs = [log.record(fill(n)) for n in range(1005)]
    assert seqs.count(0) == 6 and log.lost == 6
    await log.close("signal SIGTERM")
    run = await db.call(runs.get_run, "r1")
    assert run is not None and run.events_lost == 6


async def test_events_reply_fits_one_control_frame_whatever_the_events(db: Database) -> None:
    log = logger(db)
    await log.open()
    for _ in range(200):
        log.record(
            ev.DaemonNotice(code="x", level="INFO", message="m" * 900, context={}, resolved=False)
        )
    await log.flush()
    result = await runs_view.run_events(db, "r1", RunEventsQuery(run_id="r1", limit=200))
    assert 0 < len(result.events) < 200
    frame = encode_frame(Reply(ok=True, mode="paper", network="sim", result=result))
    assert len(frame) <= MAX_FRAME_BYTES + 4
    after = await runs_view.run_events(
        db, "r1", RunEventsQuery(run_id="r1", after_id=result.events[-1].id, limit=200)
    )
    assert after.events[0].id == result.events[-1].id + 1


def test_a_move_to_halted_is_a_kill_every_other_move_a_state_change() -> None:
    assert isinstance(ev.from_change(_kill("drill")), ev.KillEngaged)
    release = StateChange(
        previous=TradingState.HALTED,
        state=TradingState.ACTIVE,
        reason="ok",
        actor=Actor(source="ptctl"),
        at_ms=NOW,
    )
    assert isinstance(ev.from_change(release), ev.StateChanged)


def test_a_secret_in_a_reason_never_reaches_the_log() -> None:
    register_secret("hunter2-very-secret")
    body = ev.from_change(_kill("pasted hunter2-very-secret by mistake"))
    assert "hunter2" not in msgspec.json.encode(body).decode()


@given(
    code=st.sampled_from(
        ["risk.order_violation", "risk.portfolio_breach", "reconcile.mismatch", "order.unknown"]
    ),
    message=st.text(max_size=3000),
)
def test_daemon_events_become_typed_bodies_that_round_trip(code: str, message: str) -> None:
    event = DaemonEvent(
        code=code,
        level="WARNING",
        message=message,
        ts_ms=NOW,
        context={"symbol": "BTC/USDT", "allowed": False},
        dedupe_key=f"{code}:BTC/USDT:risk.max_order_notional",
    )
    body = ev.from_daemon_event(event)
    expected = {"risk": ev.RiskDecision, "reconcile": ev.Reconciled, "order": ev.DaemonNotice}
    assert isinstance(body, expected[code.split(".")[0]])
    assert len(body.message) <= ev.MAX_TEXT
    assert ev.body_decoder.decode(msgspec.json.encode(body)) == body


def test_order_violations_name_their_rules_from_the_dedupe_key() -> None:
    event = DaemonEvent(
        code="risk.order_violation",
        level="WARNING",
        message="refused",
        ts_ms=NOW,
        context={"symbol": "BTC/USDT", "allowed": False},
        dedupe_key="risk.order_violation:BTC/USDT:risk.max_order_notional,risk.price_band_pct",
    )
    assert ev.risk_codes(event) == ["risk.max_order_notional", "risk.price_band_pct"]


def _kill(reason: str) -> StateChange:
    return StateChange(
        previous=TradingState.ACTIVE,
        state=TradingState.HALTED,
        reason=reason,
        actor=Actor(source="ptctl", uid=1000, pid=42),
        at_ms=int(time.time() * 1000),
    )
