"""The report of a long run stays bounded: tables keep the newest rows and say how many."""

from __future__ import annotations

import re
from pathlib import Path

import msgspec

from peaktrade.report.cli import report_command
from peaktrade.report.data import TABLE_ROWS
from peaktrade.runlog import events as ev
from peaktrade.store import runs
from peaktrade.store.db import Database, db_path

START = 1_800_000_000_000


def write_run(state_dir: Path, fills: int, *, stopped: bool) -> str:
    db = Database(db_path(state_dir, "sim"))
    meta = ev.LiveRunMetadata(
        run_id="20270101T000000Z-abcdef", version="0.1.0", git_commit="", config_digest="d",
        config_path="c.toml", mode="paper", network="sim", account="a", strategy="none", pid=1,
        started_ms=START,
    )  # fmt: skip
    runs.start_run(db.conn, meta)
    rows = [
        (
            meta.run_id,
            n,
            START + n * 1000,
            "fill",
            msgspec.json.encode(
                ev.FillRecorded(
                    client_order_id=f"pt-a-{n}",
                    symbol="BTC/USDT",
                    side="buy",
                    qty=0.01,
                    price=65_000.0,
                    fee=0.0,
                    fee_currency="USDT",
                    trade_id=f"trade-{n:05d}",
                    trade_ts_ms=START + n * 1000,
                )
            ).decode(),
        )
        for n in range(1, fills + 1)
    ]
    runs.append_events(db.conn, meta.run_id, rows, 0)
    if stopped:
        runs.stop_run(
            db.conn, meta.run_id, stopped_ms=START + fills * 1000, exit_reason="x", lost=0
        )
    db.close()
    return meta.run_id


def test_a_long_table_shows_the_newest_rows_and_the_full_count(tmp_path: Path) -> None:
    run_id = write_run(tmp_path / "state", TABLE_ROWS + 100, stopped=True)
    out = tmp_path / "r.html"
    assert report_command(run_id, str(out), str(tmp_path / "state"), None) == 0
    page = out.read_text()
    assert f"Fills <small>(newest {TABLE_ROWS:,} of {TABLE_ROWS + 100:,})</small>" in page
    shown = set(re.findall(r"trade-(\d{5})", page))
    assert len(shown) == TABLE_ROWS
    assert min(int(n) for n in shown) == 101  # the oldest 100 are the ones left out


def test_a_run_still_going_is_reported_up_to_now(tmp_path: Path) -> None:
    run_id = write_run(tmp_path / "state", 3, stopped=False)
    out = tmp_path / "r.html"
    assert report_command("latest", str(out), str(tmp_path / "state"), "sim") == 0
    assert run_id in out.read_text() and "still running" in out.read_text()
