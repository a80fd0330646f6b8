"""The drill log: ``peaktrade drill`` lists and refuses scenarios; ``ptctl drills`` shows what
was recorded in the deployment's state database, newest first."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable

from peaktrade.drills.catalogue import SCENARIOS, Scenario
from peaktrade.drills.environment import DrillEnv
from peaktrade.drills.model import DrillCheck, DrillResult
from peaktrade.drills.runner import record, run_drill
from tests.support import DaemonProcess, run_peaktrade, run_ptctl


def result(scenario: str, started_ms: int, passed: bool) -> DrillResult:
    return DrillResult(
        scenario=scenario,
        title=scenario.replace("_", " "),
        started_ms=started_ms,
        ended_ms=started_ms + 9_000,
        passed=passed,
        summary="1/2 checks passed" if not passed else "2/2 checks passed",
        checks=[
            DrillCheck("alert raised", True, "WARNING seen"),
            DrillCheck("state changed", passed, "ACTIVE"),
        ],
    )


def test_list_names_every_scenario() -> None:
    done = run_peaktrade("drill", "--list")
    assert done.returncode == 0
    assert [line.split()[0] for line in done.stdout.splitlines()] == [s.name for s in SCENARIOS]


def test_an_unknown_scenario_is_a_usage_error() -> None:
    done = run_peaktrade("drill", "no_such_drill")
    assert done.returncode == 2
    assert "no scenario 'no_such_drill'" in done.stdout


def test_ptctl_drills_lists_the_log_newest_first(
    make_daemon: Callable[..., DaemonProcess],
) -> None:
    daemon = make_daemon().start()
    record(daemon.state_dir, "sim", [result("data_freeze", 1_000, True)])
    record(daemon.state_dir, "sim", [result("rate_limit", 2_000, False)])
    listed = run_ptctl("--socket", str(daemon.socket), "drills", "--json")
    assert listed.returncode == 0, listed.stderr
    drills = json.loads(listed.stdout)["result"]["drills"]
    assert [(d["scenario"], d["passed"]) for d in drills] == [
        ("rate_limit", False),
        ("data_freeze", True),
    ]
    assert [c["name"] for c in drills[0]["checks"]] == ["alert raised", "state changed"]


def test_ptctl_drills_shows_failed_checks_of_a_failed_drill(
    make_daemon: Callable[..., DaemonProcess],
) -> None:
    daemon = make_daemon().start()
    record(daemon.state_dir, "sim", [result("rate_limit", 2_000, False)])
    shown = run_ptctl("--socket", str(daemon.socket), "drills")
    assert shown.returncode == 0, shown.stderr
    assert "rate_limit" in shown.stdout and "FAILED" in shown.stdout
    assert "[FAIL] state changed: ACTIVE" in shown.stdout
    assert "alert raised" not in shown.stdout  # passed checks are in --json only


def test_ptctl_drills_filters_by_scenario(make_daemon: Callable[..., DaemonProcess]) -> None:
    daemon = make_daemon().start()
    record(daemon.state_dir, "sim", [result("data_freeze", 1_000, True)])
    record(daemon.state_dir, "sim", [result("rate_limit", 2_000, True)])
    listed = run_ptctl(
        "--socket", str(daemon.socket), "drills", "--scenario", "data_freeze", "--json"
    )
    drills = json.loads(listed.stdout)["result"]["drills"]
    assert [d["scenario"] for d in drills] == ["data_freeze"]


def test_a_failed_check_fails_the_drill_and_keeps_its_files() -> None:
    def steps(env: DrillEnv) -> None:
        env.check("a reaction that never came", False, "nothing seen")

    outcome, workdir = run_drill(Scenario("failing_on_purpose", "fails", steps))
    try:
        assert not outcome.passed
        assert [c.name for c in outcome.checks if not c.passed] == ["a reaction that never came"]
        assert "first failure: a reaction that never came" in outcome.summary
        assert (workdir / "daemon.log").exists()  # kept for the operator to read
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
