"""``peaktrade drill``: run incident drills, print their checklists, keep them in the drill log.

Exit 0 when every check of every drill passed, 1 when one failed, 2 for an unknown scenario.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from peaktrade.drills.catalogue import BY_NAME, SCENARIOS, Scenario
from peaktrade.drills.model import DrillResult
from peaktrade.drills.runner import record, run_many

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def checklist(result: DrillResult) -> list[str]:
    seconds = (result.ended_ms - result.started_ms) / 1000
    verdict = "PASSED" if result.passed else "FAILED"
    lines = [f"drill {result.scenario}: {verdict} in {seconds:.1f} s - {result.title}"]
    for c in result.checks:
        mark = "ok  " if c.passed else "FAIL"
        lines.append(f"  [{mark}] {c.name}" + (f"  ({c.seen})" if c.seen else ""))
    lines.append(f"  {result.summary}")
    return lines


def drill_command(
    scenario: str | None,
    run_all: bool,
    state_dir: str | None,
    network: str,
    jobs: int,
    keep: bool,
    list_only: bool,
) -> int:
    if list_only or (scenario is None and not run_all):
        for s in SCENARIOS:
            print(f"{s.name:<20} {s.title}")
        return EXIT_OK if list_only else EXIT_USAGE
    chosen: list[Scenario]
    if run_all:
        chosen = list(SCENARIOS)
    elif scenario is not None and scenario in BY_NAME:
        chosen = [BY_NAME[scenario]]
    else:
        print(f"peaktrade drill: no scenario {scenario!r}; one of: {', '.join(BY_NAME)}")
        return EXIT_USAGE
    lock = threading.Lock()

    def show(result: DrillResult, _: Path) -> None:
        with lock:
            print("\n".join(checklist(result)), flush=True)

    results = run_many(chosen, jobs=jobs, keep=keep, on_result=show)
    where = Path(state_dir or os.environ.get("PEAKTRADE_STATE_DIR") or "var").absolute()
    log = record(where, network, results)
    failed = [r.scenario for r in results if not r.passed]
    print(
        f"{len(results) - len(failed)}/{len(results)} drills passed"
        + (f"; failed: {', '.join(failed)}" if failed else "")
        + f"; recorded in the drill log of {log} (ptctl drills)"
    )
    return EXIT_FAILED if failed else EXIT_OK
