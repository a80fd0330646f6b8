"""docs/CONFIG_REFERENCE.md is generated from the config structs and must not go stale."""

from __future__ import annotations

from peaktrade.config import Config
from peaktrade.config_docs import iter_fields, render_reference
from tests.support import ROOT


def test_config_reference_is_current() -> None:
    on_disk = (ROOT / "docs" / "CONFIG_REFERENCE.md").read_text()
    assert on_disk == render_reference(Config), (
        "docs/CONFIG_REFERENCE.md is stale: run "
        "`.venv/bin/peaktrade config-reference > docs/CONFIG_REFERENCE.md`"
    )


def test_every_setting_is_documented() -> None:
    undocumented = [f.key for f in iter_fields(Config) if not f.doc]
    assert undocumented == []
