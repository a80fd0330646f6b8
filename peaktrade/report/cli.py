"""The body of ``peaktrade report``: read one run offline, write the page, say what was made.

Reads the state database read-only (the daemon may be running). Exit 0 when written, 1 when
there is nothing to report on (the reason code names why), 2 on a usage problem.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def report_command(
    run_id: str, output: str, state_dir: str | None = None, network: str | None = None
) -> int:
    """``state_dir``: default as the daemon's (PEAKTRADE_STATE_DIR, $STATE_DIRECTORY, ./var);
    ``network``: which database in it (needed only when it holds more than one)."""
    from peaktrade.report import page
    from peaktrade.report.data import ReportError, load, open_readonly

    started = time.perf_counter()
    try:
        database = _database(_state_dir(state_dir), network)
        conn = open_readonly(database)
        try:
            data = load(conn, run_id, now_ms=time.time_ns() // 1_000_000)
        finally:
            conn.close()
        text = page.render(data, generated_ms=time.time_ns() // 1_000_000)
    except ReportError as exc:
        print(f"peaktrade report: {exc.code}: {exc}", file=sys.stderr)
        return EXIT_USAGE if exc.code == "report.which_network" else EXIT_FAILED
    target = Path(output)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(target)  # a reader never sees half a report
    print(
        f"{target}: run {data.meta.run_id}, {data.meta.event_count:,} events,"
        f" {len(text.encode()):,} bytes, {time.perf_counter() - started:.2f} s"
    )
    return EXIT_OK


def _state_dir(flag: str | None) -> Path:
    systemd = os.environ.get("STATE_DIRECTORY", "").split(":")[0]
    return Path(flag or os.environ.get("PEAKTRADE_STATE_DIR") or systemd or "var").absolute()


def _database(state_dir: Path, network: str | None) -> Path:
    from peaktrade.report.data import ReportError
    from peaktrade.store.db import db_path

    if network is not None:
        return db_path(state_dir, network)
    found = sorted(state_dir.glob("peaktrade-*.sqlite3"))
    if len(found) == 1:
        return found[0]
    if not found:
        raise ReportError("report.no_database", f"no state database under {state_dir}")
    names = ", ".join(p.stem.removeprefix("peaktrade-") for p in found)
    raise ReportError(
        "report.which_network", f"several networks under {state_dir}: {names}; pass --network"
    )
