"""Reading unit files and running systemd-analyze on them, for the deploy tests."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from tests.support import ROOT

UNIT_DIR = ROOT / "systemd"
UNITS = ("peaktrade.service", "peaktrade@.service")
EXPOSURE_LIMIT = 1.5
SYSTEM_UNIT_DIRS = (Path("/usr/lib/systemd/system"), Path("/lib/systemd/system"))
_OVERALL = re.compile(r"Overall exposure level for (?P<unit>\S+): (?P<score>\d+\.\d+)")


def directives(text: str) -> list[tuple[str, str, str]]:
    """(section, key, value) for every setting, in file order; comments dropped."""
    section = ""
    found = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        key, _, value = line.partition("=")
        found.append((section, key.strip(), value.strip()))
    return found


def values(text: str, key: str) -> list[str]:
    return [v for _, k, v in directives(text) if k == key]


def analyze() -> str:
    """The systemd-analyze binary; its absence is a failure, not a skip."""
    path = shutil.which("systemd-analyze")
    assert path, "systemd-analyze is missing: apt-get install systemd"
    return path


def os_root(root: Path) -> Path:
    """Give ``root`` the OS part a real system has: systemd's own units and /bin/kill.

    ``systemd-analyze --root`` resolves unit dependencies and executables inside the root.
    """
    source = next((d for d in SYSTEM_UNIT_DIRS if (d / "sysinit.target").exists()), None)
    assert source, "systemd's unit directory is missing: apt-get install systemd"
    shutil.copytree(source, root / "usr/lib/systemd/system", symlinks=True, dirs_exist_ok=True)
    (root / "usr/bin").mkdir(parents=True, exist_ok=True)
    kill = shutil.which("kill", path="/usr/bin:/bin")
    assert kill, "kill is missing: apt-get install procps"
    shutil.copy2(kill, root / "usr/bin/kill")
    if not (root / "bin").exists():
        (root / "bin").symlink_to("usr/bin")
    return root


def verify(root: Path, *units: str) -> subprocess.CompletedProcess[str]:
    """``systemd-analyze verify`` of installed units; any output at all is a finding."""
    return subprocess.run(
        [analyze(), "verify", "--man=no", "--generators=no", f"--root={root}", *units],
        capture_output=True,
        text=True,
        timeout=60,
    )


def security(root: Path, unit: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """``systemd-analyze security --offline`` with the 1.5 threshold, and the parsed score."""
    result = subprocess.run(
        [
            analyze(),
            "security",
            "--offline=true",
            f"--threshold={round(EXPOSURE_LIMIT * 10)}",
            "--no-pager",
            f"--root={root}",
            unit,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    match = _OVERALL.search(result.stdout)
    assert match, f"no exposure score in:\n{result.stdout}\n{result.stderr}"
    return result, float(match["score"])
