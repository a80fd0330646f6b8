"""Every ptctl/peaktrade command line in README.md and docs/ parses with the real CLI."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ctl.main import app as ptctl_app
from peaktrade.cli import app as peaktrade_app
from tests.support import BASE_CONFIG, ROOT, DaemonProcess

PROGRAMS = {"ptctl": ptctl_app, "peaktrade": peaktrade_app}
EXIT_USAGE = 2
# commands that would take over the process; their arguments are still parsed for real
LONG_RUNNING = {
    ("peaktrade", "run"): "peaktrade.daemon.app.run_daemon",
    ("peaktrade", "sim-exchange"): "peaktrade.venues.sim.cli.run_sim_exchange",
    ("peaktrade", "drill"): "peaktrade.drills.cli.drill_command",
}


def doc_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def command_lines() -> list[tuple[str, str]]:
    found = []
    for path in doc_files():
        in_code = False
        for line in path.read_text().splitlines():
            if line.strip().startswith("```"):
                in_code = not in_code
                continue
            if in_code:
                text = re.sub(r"^\s*(\$ )?", "", line)
                text = re.sub(r"^(\w+=\S+\s+)+", "", text)  # leading VAR=value
                if re.match(r"(\.venv/bin/)?(ptctl|peaktrade)(\s|$)", text):
                    found.append((path.name, text.split(" #")[0].strip()))
            else:
                for match in re.finditer(r"`((?:\.venv/bin/)?(?:ptctl|peaktrade) [^`]+)`", line):
                    found.append((path.name, match.group(1).strip()))
    return found


LINES = command_lines()


def test_docs_contain_commands() -> None:
    assert len(LINES) >= 20


@pytest.fixture(scope="module")
def live_daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaemonProcess]:
    daemon = DaemonProcess(tmp_path_factory.mktemp("docs"), BASE_CONFIG).start()
    yield daemon
    daemon.stop()


@pytest.mark.parametrize(("doc", "line"), LINES, ids=[f"{doc}:{text}" for doc, text in LINES])
def test_documented_command_runs(
    doc: str, line: str, live_daemon: DaemonProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ptctl lines run against a real daemon; peaktrade lines run unless they take over."""
    argv = shlex.split(line.replace("[", "").replace("]", "").replace("...", ""))
    program = argv[0].rsplit("/", 1)[-1]
    args = [a for a in argv[1:]]
    monkeypatch.setenv("PEAKTRADE_SOCKET", str(live_daemon.socket))
    monkeypatch.chdir(ROOT)
    called: list[object] = []
    for (prog, sub), target in LONG_RUNNING.items():
        if prog == program and sub in args:
            monkeypatch.setattr(target, lambda *a, **k: called.append(a) or 0)
    result = CliRunner().invoke(PROGRAMS[program], args)
    assert result.exit_code != EXIT_USAGE, (
        f"{doc}: `{line}` is not a valid command:\n{result.output}"
    )
    assert "Traceback" not in result.output
