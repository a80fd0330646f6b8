"""Shared fixtures: real daemons in temporary directories, stopped after each test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support import BASE_CONFIG, DaemonProcess


@pytest.fixture
def make_daemon(tmp_path: Path) -> Iterator[Callable[..., DaemonProcess]]:
    """Build daemons (not started) in their own directories; all are stopped at the end."""
    made: list[DaemonProcess] = []

    def factory(config_text: str = BASE_CONFIG, name: str = "d") -> DaemonProcess:
        workdir = tmp_path / name
        workdir.mkdir(exist_ok=True)
        daemon = DaemonProcess(workdir, config_text)
        made.append(daemon)
        return daemon

    yield factory
    for daemon in made:
        daemon.kill_group()  # stopped or not: nothing it started may outlive the test


@pytest.fixture
def daemon(make_daemon: Callable[..., DaemonProcess]) -> DaemonProcess:
    """A running paper/sim daemon."""
    return make_daemon().start()
