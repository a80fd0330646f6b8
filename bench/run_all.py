"""`make bench`: run every benchmark script and print each figure beside its target.

    python bench/run_all.py [--write-doc docs/PERFORMANCE.md]

With ``--write-doc`` the figures also go into the performance report's table, each with the
command that produced it and the machine it ran on, so the document is the last real run.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIGURE = re.compile(r"^FIGURE (\S+) = (\S+) ?(.*?)(?:  \(target (.*)\))?$")
TABLE_START = "<!-- figures: written by `python bench/run_all.py --write-doc` -->"
TABLE_END = "<!-- end of figures -->"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write-doc", type=Path, help="rewrite the figures table of this file")
    args = parser.parse_args()
    scripts = sorted(p for p in HERE.glob("bench_*.py"))
    failed = []
    figures: list[tuple[str, str]] = []
    for script in scripts:
        print(f"== {script.name}", flush=True)
        start = time.monotonic()
        proc = subprocess.run(
            [sys.executable, str(script)], cwd=HERE, capture_output=True, text=True
        )
        sys.stdout.write(proc.stdout)
        if proc.returncode != 0:
            failed.append(script.name)
            sys.stdout.write(proc.stderr[-4000:])
        figures += [
            (script.name, line) for line in proc.stdout.splitlines() if line.startswith("FIGURE ")
        ]
        print(f"   ({time.monotonic() - start:.1f} s)", flush=True)
    print("\n== summary")
    for _, line in figures:
        print(line)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    if args.write_doc is not None:
        write_doc(args.write_doc, figures)
    return 1 if failed else 0


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    return (
        f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, run {when}"
    )


def write_doc(path: Path, figures: list[tuple[str, str]]) -> None:
    rows = [
        f"Machine: {machine()}.",
        "",
        "| figure | value | target | command |",
        "|---|---|---|---|",
    ]
    for script, line in figures:
        match = FIGURE.match(line)
        if match is None:
            continue
        name, value, unit, target = match.groups()
        rows.append(
            f"| `{name}` | {value} {unit.strip()} | {target or ''} | `python bench/{script}` |"
        )
    text = path.read_text()
    head, _, rest = text.partition(TABLE_START)
    _, _, tail = rest.partition(TABLE_END)
    path.write_text(f"{head}{TABLE_START}\n{chr(10).join(rows)}\n{TABLE_END}{tail}")


if __name__ == "__main__":
    sys.exit(main())
