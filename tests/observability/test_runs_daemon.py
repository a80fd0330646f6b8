"""A real daemon's runs: ptctl runs, show, events, --follow; the stop; JSONL; the report."""

from __future__ import annotations

import json
import re
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from peaktrade.runlog import events as ev
from peaktrade.store import runs
from tests.observability.support import observed_config, running
from tests.support import (
    ROOT,
    DaemonProcess,
    free_port,
    listening,
    run_peaktrade,
    run_ptctl,
    wait_for,
)

OFF_PORT = free_port()  # dashboard and metrics off: nothing may listen here
CONFIG = observed_config(
    OFF_PORT,
    page=False,
    metrics=False,
    extra="[portfolio]\nsnapshot_interval_s = 0.2\n[live_risk]\nmax_order_notional = 2000.0\n",
)


def ptctl(daemon: DaemonProcess, *args: str) -> subprocess.CompletedProcess[str]:
    return run_ptctl("--socket", str(daemon.socket), *args)


def trade_and_kill(daemon: DaemonProcess) -> str:
    """One filled order, one refused by risk, a kill; returns the filled order's client id."""
    submitted = ptctl(
        daemon, "order", "submit", "--symbol", "BTC/USDT", "--side", "buy", "--qty", "0.01",
        "--json",
    )  # fmt: skip
    assert submitted.returncode == 0, submitted.stderr
    cid: str = json.loads(submitted.stdout)["result"]["decisions"][0]["order"]["client_order_id"]
    refused = ptctl(
        daemon, "order", "submit", "--symbol", "BTC/USDT", "--side", "buy", "--qty", "0.5"
    )
    assert refused.returncode == 1 and "risk.max_order_notional" in refused.stdout
    assert ptctl(daemon, "kill", "--reason", "run log drill").returncode == 0
    return cid


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DaemonProcess, str]]:
    with running(tmp_path_factory.mktemp("live"), CONFIG) as daemon:
        cid = trade_and_kill(daemon)
        wait_for(lambda: '"kill"' in ptctl(daemon, "runs", "show", "--json").stdout)
        yield daemon, cid


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A run that traded, was killed and stopped by SIGTERM; (state dir, run id)."""
    with running(tmp_path_factory.mktemp("finished"), CONFIG) as daemon:
        trade_and_kill(daemon)
        shown = json.loads(ptctl(daemon, "runs", "show", "current", "--json").stdout)
        wait_for(
            lambda: "kill.engaged" in ptctl(daemon, "runs", "events", "--kind", "alert").stdout
        )
        assert daemon.stop() == 0
    return daemon.state_dir, shown["result"]["run"]["run_id"]


def test_ptctl_runs_lists_this_run_as_running(live: tuple[DaemonProcess, str]) -> None:
    daemon, _ = live
    result = ptctl(daemon, "runs")
    assert result.returncode == 0, result.stderr
    assert re.search(r"\d{8}T\d{6}Z-[0-9a-f]{6}\s+paper@sim .* RUNNING", result.stdout)


def test_runs_show_names_version_commit_config_digest_mode_and_network(
    live: tuple[DaemonProcess, str],
) -> None:
    daemon, _ = live
    run = json.loads(ptctl(daemon, "runs", "show", "current", "--json").stdout)["result"]["run"]
    assert run["version"] and run["config_digest"] and run["stopped_ms"] is None
    assert (run["mode"], run["network"], run["strategy"]) == ("paper", "sim", "none")
    assert re.fullmatch(r"[0-9a-f]{40}", run["git_commit"])  # tests run from the checkout


def test_order_fill_and_kill_are_typed_events_of_their_own_kind(
    live: tuple[DaemonProcess, str],
) -> None:
    daemon, cid = live
    counts = json.loads(ptctl(daemon, "runs", "show", "--json").stdout)["result"]["counts"]
    assert {"run_started", "order", "fill", "risk", "kill", "reconcile", "alert"} <= counts.keys()
    reply = json.loads(
        ptctl(daemon, "runs", "events", "current", "--kind", "fill", "--json").stdout
    )
    bodies = [ev.body_decoder.decode(e["data"]) for e in reply["result"]["events"]]
    assert [type(b) for b in bodies] == [ev.FillRecorded]
    assert isinstance(bodies[0], ev.FillRecorded) and bodies[0].client_order_id == cid


def test_runs_events_are_readable_lines(live: tuple[DaemonProcess, str]) -> None:
    daemon, cid = live
    result = ptctl(daemon, "runs", "events", "current", "--kind", "kill")
    assert result.returncode == 0
    assert "ACTIVE -> HALTED by ptctl: run log drill" in result.stdout
    orders = ptctl(daemon, "runs", "events", "current", "--kind", "order").stdout
    assert f"{cid} filled: buy 0.01 BTC/USDT market" in orders


def test_follow_prints_new_events_as_they_happen_until_interrupted(
    live: tuple[DaemonProcess, str],
) -> None:
    daemon, _ = live
    follower = subprocess.Popen(
        [sys.executable, "-m", "ctl", "--socket", str(daemon.socket), "runs", "events",
         "current", "--kind", "state", "--follow", "--json"],
        stdout=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    try:
        assert ptctl(daemon, "release", "--reason", "follow drill").returncode == 0
        assert follower.stdout is not None
        line = json.loads(follower.stdout.readline())  # blocks until the event is printed
        body = ev.body_decoder.decode(line["data"])
        assert isinstance(body, ev.StateChanged) and body.reason == "follow drill"
        follower.send_signal(signal.SIGINT)
        assert follower.wait(timeout=10) == 0
    finally:
        if follower.poll() is None:
            follower.kill()
            follower.wait()
        ptctl(daemon, "kill", "--reason", "run log drill")


@pytest.mark.parametrize(
    "args, result_type",
    [(["runs"], "runs"), (["runs", "show"], "run"), (["runs", "events", "current"], "run_events")],
)
def test_every_runs_command_has_json_output(
    live: tuple[DaemonProcess, str], args: list[str], result_type: str
) -> None:
    daemon, _ = live
    reply = json.loads(ptctl(daemon, *args, "--json").stdout)
    assert (reply["ok"], reply["mode"], reply["result"]["type"]) == (True, "paper", result_type)


def test_a_refused_order_is_a_risk_event_naming_its_rule(live: tuple[DaemonProcess, str]) -> None:
    daemon, _ = live
    reply = json.loads(ptctl(daemon, "runs", "events", "--kind", "risk", "--json").stdout)
    (body,) = [ev.body_decoder.decode(e["data"]) for e in reply["result"]["events"]]
    assert isinstance(body, ev.RiskDecision)
    assert (body.rule, body.allowed, body.symbol) == ("risk.max_order_notional", False, "BTC/USDT")


def test_with_dashboard_and_metrics_off_nothing_listens(live: tuple[DaemonProcess, str]) -> None:
    assert not listening(OFF_PORT)


def test_an_unknown_run_is_refused_with_its_code(live: tuple[DaemonProcess, str]) -> None:
    daemon, _ = live
    result = ptctl(daemon, "runs", "show", "20000101T000000Z-000000")
    assert result.returncode == 1
    assert "run.not_found" in result.stderr


def test_sigterm_records_the_stop_time_and_the_exit_reason(finished: tuple[Path, str]) -> None:
    state_dir, run_id = finished
    conn = sqlite3.connect(state_dir / "peaktrade-sim.sqlite3")
    try:
        run = runs.get_run(conn, run_id)
        last = runs.events_after(conn, run_id, after_seq=0, kind="run_stopped", limit=1)
    finally:
        conn.close()
    assert run is not None and run.stopped_ms is not None and run.stopped_ms >= run.started_ms
    assert run.exit_reason == "signal SIGTERM"
    assert ev.body_decoder.decode(last[0][3]) == ev.RunStopped(
        exit_reason="signal SIGTERM", events_lost=0
    )


def test_the_jsonl_file_holds_every_event_of_the_run(finished: tuple[Path, str]) -> None:
    state_dir, run_id = finished
    lines = (state_dir / "runs" / f"{run_id}.jsonl").read_bytes().splitlines()
    events = [ev.line_decoder.decode(line) for line in lines]
    conn = sqlite3.connect(state_dir / "peaktrade-sim.sqlite3")
    try:
        run = runs.get_run(conn, run_id)
    finally:
        conn.close()
    assert run is not None and len(events) == run.event_count
    assert [e.seq for e in events] == list(range(1, run.event_count + 1))
    assert {e.kind for e in events} >= {"run_started", "order", "fill", "kill", "run_stopped"}


def test_the_report_is_one_self_contained_html_file(
    finished: tuple[Path, str], tmp_path: Path
) -> None:
    state_dir, run_id = finished
    out = tmp_path / "report.html"
    result = run_peaktrade("report", run_id, "-o", str(out), "--state-dir", str(state_dir))
    assert result.returncode == 0, result.stderr
    page = out.read_text()
    for title in ("Summary", "Equity", "Drawdown", "Exposure per symbol", "Alerts timeline",
                  "Orders", "Fills", "Risk violations", "Alerts"):  # fmt: skip
        assert f"<h2>{title}" in page
    assert page.count("<svg") == 4  # equity, drawdown, exposure, alerts timeline
    assert "kill.engaged" in page and "run log drill" in page
    assert not re.search(r"<(script|link|img|iframe)\b|@import|\bsrc=|url\(http", page)
    assert not re.search(r"href=\"(?!#)", page)  # only links inside the page (SVG refs)


def test_a_report_of_an_unknown_run_fails_with_its_code(
    finished: tuple[Path, str], tmp_path: Path
) -> None:
    state_dir, _ = finished
    result = run_peaktrade(
        "report", "20000101T000000Z-000000", "-o", str(tmp_path / "r.html"),
        "--state-dir", str(state_dir),
    )  # fmt: skip
    assert result.returncode == 1
    assert "report.run_not_found" in result.stderr
    assert not (tmp_path / "r.html").exists()
