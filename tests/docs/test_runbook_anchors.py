"""Every alert links to a runbook section that exists; every risk reason code is documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from peaktrade.alerts.codes import CODES, RUNBOOK_DOC
from peaktrade.core.risk_rules import REASON_CODES
from tests.support import ROOT

RUNBOOK = ROOT / RUNBOOK_DOC


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to '-'."""
    text = re.sub(r"<[^>]+>", "", heading).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Heading slugs (outside code blocks, numbered like GitHub's for repeats) and explicit ids."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    in_code = False
    for line in path.read_text().splitlines():
        if line.strip().startswith("```"):
            in_code = not in_code
            continue
        if in_code:
            continue
        found.update(re.findall(r'<a\s+(?:id|name)="([^"]+)"', line))
        heading = re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
        if heading:
            slug = github_slug(heading.group(1))
            count = seen.get(slug, 0)
            seen[slug] = count + 1
            found.add(slug if count == 0 else f"{slug}-{count}")
    return found


RUNBOOK_ANCHORS = anchors(RUNBOOK) if RUNBOOK.exists() else set()
DOCS_TEXT = "\n".join(p.read_text() for p in sorted((ROOT / "docs").glob("*.md")))


def test_slug_matches_github_rules() -> None:
    assert github_slug("Kill switch engaged") == "kill-switch-engaged"
    assert github_slug("`order.unknown`: resolving by lookup") == "orderunknown-resolving-by-lookup"


@pytest.mark.parametrize("code", sorted(CODES))
def test_alert_code_has_runbook_section(code: str) -> None:
    anchor = CODES[code].anchor
    assert anchor in RUNBOOK_ANCHORS, f"{code}: no section #{anchor} in {RUNBOOK_DOC}"


@pytest.mark.parametrize("code", sorted(CODES))
def test_alert_code_is_named_in_runbook(code: str) -> None:
    assert f"`{code}`" in RUNBOOK.read_text(), f"{code} is not named in {RUNBOOK_DOC}"


@pytest.mark.parametrize(
    "code", sorted(c for c in REASON_CODES if c.startswith(("risk.", "kill.")))
)
def test_reason_code_is_documented(code: str) -> None:
    assert code in DOCS_TEXT, f"reason code {code} is not mentioned anywhere in docs/"


def test_runbook_links_point_to_sections() -> None:
    """Links inside the runbook (#anchor) land on a section of the runbook."""
    links = set(re.findall(r"\]\(#([^)]+)\)", RUNBOOK.read_text()))
    missing = sorted(links - RUNBOOK_ANCHORS)
    assert not missing, f"links to missing sections: {missing}"
