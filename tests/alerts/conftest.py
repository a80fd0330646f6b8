"""Fixtures for the alert tests: loopback receivers and a state database per test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from peaktrade.store.db import Database
from tests.alerts.support import Receiver


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    server = await Receiver().start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(tmp_path / "alerts.sqlite3")
    try:
        yield database
    finally:
        database.close()
