"""`make soak`: the suite's two campaigns at soak size, invariants checked at the end.

    python bench/soak_campaigns.py [--submissions 10000] [--kills 200] [--seed 1]
                                   [--only fault|crash]

The fault campaign (every simulator fault on at random, in process) with ``--submissions``
orders, then the crash campaign (SIGKILLs of a real daemon with orders in flight) with
``--kills`` kills. Prints FIGURE lines and every broken invariant; exits 1 if any broke.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import anyio
from common import figure

from peaktrade.drills.crash_campaign import CrashSettings, run_crash_campaign
from peaktrade.drills.fault_campaign import FAULTS, run_campaign
from peaktrade.log import configure_logging


def fault_soak(submissions: int, seed: int) -> bool:
    with tempfile.TemporaryDirectory(prefix="pt-soak-faults-") as tmp:
        report = anyio.run(
            run_campaign, submissions, seed, Path(tmp), backend_options={"use_uvloop": True}
        )
    unfired = sorted(set(FAULTS) - {name for name, n in report.faults_fired.items() if n})
    figure("soak_fault_orders_journaled", report.journaled, "orders", f">= {submissions}")
    figure("soak_fault_accepted_by_exchange", report.accepted_by_exchange, "orders")
    figure("soak_fault_kinds_fired", len(FAULTS) - len(unfired), "kinds", f"{len(FAULTS)}")
    figure("soak_fault_seconds", report.seconds, "s")
    print(f"faults fired: {report.faults_fired}")
    print(f"outcomes: {report.outcomes}")
    problems = [report.violations.summary()] if not report.violations.ok else []
    problems += [f"integrity: {p}" for p in report.integrity]
    problems += [f"never fired: {unfired}"] if unfired else []
    problems += [f"journaled only {report.journaled}"] if report.journaled < submissions else []
    for line in problems:
        print(f"BROKEN {line}")
    figure("soak_fault_invariants_broken", len(problems), "", "0")
    return not problems


def crash_soak(kills: int, seed: int) -> bool:
    started = time.monotonic()

    def progress(line: str) -> None:
        print(f"{time.monotonic() - started:7.1f} s  {line}", flush=True)

    with tempfile.TemporaryDirectory(prefix="pt-soak-crash-") as tmp:
        report = run_crash_campaign(CrashSettings(kills=kills, seed=seed), Path(tmp), progress)
    in_window = sum(lane.kills_in_window for lane in report.lanes)
    figure("soak_crash_kills", report.kills, "", f">= {kills}")
    figure("soak_crash_kills_between_journal_and_ack", in_window, "")
    figure("soak_crash_orders_journaled", sum(lane.orders for lane in report.lanes), "orders")
    figure("soak_crash_fills", sum(lane.fills for lane in report.lanes), "fills")
    figure("soak_crash_seconds", report.seconds, "s")
    problems = [
        *report.each("integrity"),
        *report.each("kill_switch"),
        *report.each("unexpected_state"),
        *(f"lane {x.lane}: {x.violations.summary()}" for x in report.lanes if not x.violations.ok),
    ]
    for line in problems:
        print(f"BROKEN {line}")
    figure("soak_crash_invariants_broken", len(problems), "", "0")
    return not problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=10_000)
    parser.add_argument("--kills", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", choices=("fault", "crash"))
    args = parser.parse_args()
    configure_logging("warning", "console")  # the campaign's own warnings only, not every fill
    ok = True
    if args.only in (None, "fault"):
        ok &= fault_soak(args.submissions, args.seed)
    if args.only in (None, "crash"):
        ok &= crash_soak(args.kills, args.seed)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
