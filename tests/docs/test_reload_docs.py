"""The operator's list of restart-only sections is the daemon's own list."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from peaktrade.daemon.app import RESTART_ONLY

CONFIGURATION = Path(__file__).resolve().parents[2] / "docs" / "CONFIGURATION.md"


def _restart_paragraph() -> str:
    text = CONFIGURATION.read_text()
    section = text[text.index("## Reload") :]
    return section[: section.index("What a reload applies at once")]


@pytest.mark.parametrize("section", RESTART_ONLY)
def test_restart_only_section_is_documented(section: str) -> None:
    assert f"`[{section}]`" in _restart_paragraph()


def test_documented_restart_only_sections_are_the_daemons() -> None:
    named = set(re.findall(r"`\[([a-z_]+)\]`", _restart_paragraph()))
    assert named == set(RESTART_ONLY)
