"""The live start needs an approved promotion from testnet, for this strategy, unexpired."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from peaktrade.config import Config, Mode, parse_config
from peaktrade.stages import approval, store
from peaktrade.stages.gate import StageRefused, resolve_start
from peaktrade.store.db import Database

LIVE = b"""
[run]
mode = "live"
network = "mainnet"
account_label = "main"
[live]
armed = true
"""
NOW = 1_714_550_000_000


def config(text: bytes = LIVE) -> Config:
    return parse_config(text, source="test").config


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(tmp_path / "peaktrade-mainnet.sqlite3")
    yield database
    database.close()


def grant(state_dir: Path, cfg: Config, *, expires_ms: int = NOW + 3_600_000) -> Path:
    return approval.write(
        state_dir,
        approval.LiveApproval(
            strategy_digest=approval.strategy_digest(cfg),
            strategy=cfg.strategy.name,
            exchange=cfg.exchange.id,
            symbols=list(cfg.exchange.symbols),
            from_run_id="testnet-run-1",
            from_network="testnet",
            approved_at_ms=NOW - 1000,
            expires_at_ms=expires_ms,
            by_uid=1000,
            reason="four weeks clean on testnet",
            checks=[],
        ),
    )


async def start(db: Database, state_dir: Path, cfg: Config, run_id: str = "live-1", now: int = NOW):
    return await resolve_start(db, cfg, state_dir=state_dir, run_id=run_id, now_ms=now)


async def refused(db: Database, state_dir: Path, cfg: Config, now: int = NOW) -> str:
    with pytest.raises(StageRefused) as caught:
        await start(db, state_dir, cfg, now=now)
    return caught.value.code


async def test_live_start_without_an_approval_is_refused(db: Database, tmp_path: Path) -> None:
    assert await refused(db, tmp_path, config()) == "stage.live_not_approved"
    assert await db.call(store.load_current) is None


async def test_an_approval_lets_one_live_start_through_and_is_used_up(
    db: Database, tmp_path: Path
) -> None:
    grant(tmp_path, config())
    outcome = await start(db, tmp_path, config())
    assert outcome.stage is Mode.LIVE and outcome.approved_by_run == "testnet-run-1"
    assert not approval.approval_path(tmp_path).exists()
    assert (tmp_path / "live-approval.used-live-1.json").exists()
    (change, *_) = await db.call(store.history, 1)
    assert (change.kind, change.stage, change.uid) == ("live_start", "live", 1000)


async def test_an_approved_live_restarts_without_a_new_approval(
    db: Database, tmp_path: Path
) -> None:
    grant(tmp_path, config())
    first = await start(db, tmp_path, config())
    again = await start(db, tmp_path, config(), run_id="live-2", now=NOW + 60_000)
    assert again.stage is Mode.LIVE and again.since_ms == first.since_ms


async def test_another_strategy_needs_its_own_approval(db: Database, tmp_path: Path) -> None:
    grant(tmp_path, config())
    await start(db, tmp_path, config())
    other = config(LIVE + b'[strategy]\nname = "none"\n[exchange]\nsymbols = ["BTC/USDT"]\n')
    assert await refused(db, tmp_path, other) == "stage.live_not_approved"
    grant(tmp_path, config())
    assert await refused(db, tmp_path, other) == "stage.approval_mismatch"


async def test_an_expired_approval_is_refused(db: Database, tmp_path: Path) -> None:
    grant(tmp_path, config(), expires_ms=NOW - 1)
    assert await refused(db, tmp_path, config()) == "stage.approval_expired"


async def test_after_a_degrade_live_needs_a_new_approval(db: Database, tmp_path: Path) -> None:
    grant(tmp_path, config())
    await start(db, tmp_path, config())
    degrade = store.StageChange(
        at_ms=NOW + 1, previous="live", stage="paper", kind="degrade", reason="x", run_id="live-1"
    )
    await db.call(
        store.save_change, degrade, current=store.StageRecord("paper", NOW + 1, "degrade", "live-1")
    )
    assert await refused(db, tmp_path, config(), now=NOW + 2) == "stage.live_not_approved"


async def test_a_corrupt_approval_file_is_refused_by_name(db: Database, tmp_path: Path) -> None:
    approval.approval_path(tmp_path).write_text("{not json")
    assert await refused(db, tmp_path, config()) == "stage.approval_unreadable"


async def test_the_approval_file_is_for_the_daemons_user_only(tmp_path: Path) -> None:
    path = grant(tmp_path, config())
    assert path.stat().st_mode & 0o777 == 0o600
