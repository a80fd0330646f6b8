"""`make bench`: run every benchmark script and print each figure beside its target."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    scripts = sorted(p for p in HERE.glob("bench_*.py"))
    failed = []
    figures: list[str] = []
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
        figures += [line for line in proc.stdout.splitlines() if line.startswith("FIGURE ")]
        print(f"   ({time.monotonic() - start:.1f} s)", flush=True)
    print("\n== summary")
    for line in figures:
        print(line)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
