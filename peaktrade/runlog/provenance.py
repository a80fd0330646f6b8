"""Which code a run ran: the git commit of the checkout, read from files (no git process).

An installed copy has no checkout: the installer may pass ``PEAKTRADE_GIT_COMMIT``; otherwise
the commit is unknown ("").
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

_SHA = re.compile(r"^[0-9a-f]{40}$")


def git_commit(start: Path | None = None, env: Mapping[str, str] | None = None) -> str:
    """The commit of the checkout holding ``start`` (default: this package), or ""."""
    e = os.environ if env is None else env
    given = e.get("PEAKTRADE_GIT_COMMIT", "").strip().lower()
    if _SHA.match(given):
        return given
    here = (start or Path(__file__)).resolve()
    for directory in (here, *here.parents):
        dot_git = directory / ".git"
        if dot_git.exists():
            try:
                return _head_of(_git_dir(dot_git))
            except OSError:
                return ""
    return ""


def _git_dir(dot_git: Path) -> Path:
    """``.git`` is a directory, or (worktrees, submodules) a file naming one."""
    if dot_git.is_dir():
        return dot_git
    line = dot_git.read_text(encoding="utf-8").strip()
    target = Path(line.removeprefix("gitdir:").strip())
    return target if target.is_absolute() else dot_git.parent / target


def _head_of(git_dir: Path) -> str:
    head = (git_dir / "HEAD").read_text(encoding="utf-8").strip()
    if _SHA.match(head):
        return head  # detached
    ref = head.removeprefix("ref:").strip()
    common = git_dir
    if (git_dir / "commondir").is_file():
        common = git_dir / (git_dir / "commondir").read_text(encoding="utf-8").strip()
    for base in (git_dir, common):
        loose = base / ref
        if loose.is_file():
            sha = loose.read_text(encoding="utf-8").strip()
            return sha if _SHA.match(sha) else ""
    packed = common / "packed-refs"
    if packed.is_file():
        for line in packed.read_text(encoding="utf-8").splitlines():
            sha, _, name = line.partition(" ")
            if name == ref and _SHA.match(sha):
                return sha
    return ""  # a branch with no commit yet
