"""Running drills: each in its own temporary directory, with the checks every drill ends on
(journal integrity, no order twice on the exchange), and the drill log."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from peaktrade import __version__
from peaktrade.drills.catalogue import Scenario
from peaktrade.drills.environment import DrillEnv
from peaktrade.drills.model import DrillCheck, DrillResult
from peaktrade.store import drills
from peaktrade.store.db import connect, db_path


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def run_drill(scenario: Scenario, *, keep: bool = False) -> tuple[DrillResult, Path]:
    """Run one scenario; the working directory is removed when it passed (unless ``keep``)."""
    workdir = Path(tempfile.mkdtemp(prefix=f"peaktrade-drill-{scenario.name}-"))
    started = _now_ms()
    env = DrillEnv(workdir, scenario.config)
    checks = env.checks
    try:
        env.start()
        scenario.run(env)
        _closing_checks(env)
    except Exception as exc:  # the drill's own machinery failed: that is a failed drill
        checks.append(DrillCheck("the drill ran to the end", False, f"{type(exc).__name__}: {exc}"))
    finally:
        env.close()
    passed = bool(checks) and all(c.passed for c in checks)
    failed = [c.name for c in checks if not c.passed]
    summary = f"{len(checks) - len(failed)}/{len(checks)} checks passed"
    if failed:
        summary += f"; first failure: {failed[0]} (files: {workdir})"
    result = DrillResult(
        scenario=scenario.name,
        title=scenario.title,
        started_ms=started,
        ended_ms=_now_ms(),
        passed=passed,
        summary=summary,
        checks=list(checks),
        version=__version__,
    )
    if passed and not keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return result, workdir


def _closing_checks(env: DrillEnv) -> None:
    problems = env.journal_problems()
    env.check("journal integrity", not problems, "; ".join(problems[:3]) or "ok")
    duplicates = env.sim.state()["duplicates"]
    env.check("no order placed twice on the exchange", not duplicates, ", ".join(duplicates))


def run_many(
    scenarios: Sequence[Scenario],
    *,
    jobs: int = 1,
    keep: bool = False,
    on_result: Callable[[DrillResult, Path], None] | None = None,
) -> list[DrillResult]:
    """Run scenarios, ``jobs`` at a time, in catalogue order of completion."""
    results: list[DrillResult] = []

    def one(scenario: Scenario) -> DrillResult:
        result, workdir = run_drill(scenario, keep=keep)
        if on_result is not None:
            on_result(result, workdir)
        return result

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        results.extend(pool.map(one, scenarios))
    return results


def record(state_dir: Path, network: str, results: Sequence[DrillResult]) -> Path:
    """Append to the drill log of the deployment's state database; returns its path."""
    path = db_path(state_dir, network)
    conn = connect(path)
    try:
        for result in results:
            drills.record(conn, result)
    finally:
        conn.close()
    return path
