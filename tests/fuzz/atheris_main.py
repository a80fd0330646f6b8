"""``make fuzz``: coverage-guided fuzzing with atheris.

    python -m tests.fuzz.atheris_main TARGET RUNS [SEED_DIR]

Prints the runs done and exits non-zero on the first crash (atheris writes the input).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["peaktrade"]):
    from tests.fuzz.targets import TARGETS, seeds


def main() -> None:
    name, runs = sys.argv[1], int(sys.argv[2])
    target = TARGETS[name]
    started = time.monotonic()
    count = 0

    def one(data: bytes) -> None:
        nonlocal count
        count += 1
        target(data)

    corpus = Path(tempfile.mkdtemp(prefix=f"fuzz-{name}-"))
    for i, seed in enumerate(seeds(name)):
        (corpus / f"seed-{i}").write_bytes(seed)
    args = [sys.argv[0], f"-atheris_runs={runs}", "-timeout=5", "-rss_limit_mb=2048"]
    args += [*sys.argv[3:], str(corpus)]
    atheris.Setup(args, one)
    try:
        atheris.Fuzz()
    except SystemExit as done:  # libFuzzer ends by exiting; only 0 means no crash was found
        if done.code not in (0, None):
            raise
    elapsed = time.monotonic() - started
    print(f"FIGURE fuzz_{name}_runs = {count} runs  ({elapsed:.0f} s, 0 crashes, 0 hangs)")


if __name__ == "__main__":
    main()
