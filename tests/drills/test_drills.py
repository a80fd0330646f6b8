"""Every incident drill, end to end: ``peaktrade drill NAME`` starts a simulator and a daemon,
injects the scenario, checks the reactions, exits 0 and keeps the result in the drill log."""

from __future__ import annotations

from pathlib import Path

import pytest

from peaktrade.drills.catalogue import SCENARIOS
from peaktrade.store import drills
from peaktrade.store.db import connect, db_path
from tests.support import run_peaktrade


@pytest.mark.parametrize("name", [s.name for s in SCENARIOS])
def test_drill_passes_and_is_logged(name: str, tmp_path: Path) -> None:
    done = run_peaktrade("drill", name, "--state-dir", str(tmp_path), timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"drill {name}: PASSED" in done.stdout
    conn = connect(db_path(tmp_path, "sim"))
    try:
        ((_, logged),) = drills.recent(conn, 10)
    finally:
        conn.close()
    assert logged.scenario == name and logged.passed
    assert logged.checks and all(c.passed for c in logged.checks)
