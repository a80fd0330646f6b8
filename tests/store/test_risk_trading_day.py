"""The trading day, equity peak and heartbeat survive a restart (a reopened database)."""

from __future__ import annotations

from pathlib import Path

from peaktrade.core.risk_config import TradingDayConfig
from peaktrade.core.trading_day import EquityPeak, record_trades, roll_day
from peaktrade.store import trading_day as store
from peaktrade.store.db import connect

NOW = 1_700_000_000_000


def test_restart_mid_day_finds_the_same_starting_equity(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite3"
    day = roll_day(None, TradingDayConfig(), now_ms=NOW, equity=1000.0, realized=3.0)
    conn = connect(db)
    store.save_day(conn, record_trades(day, count=2, notional=50.0))
    conn.close()

    reopened = connect(db)
    loaded = store.load_day(reopened)
    assert loaded is not None
    later = roll_day(loaded, TradingDayConfig(), now_ms=NOW + 60_000, equity=700.0, realized=0.0)
    assert (later.start_equity, later.start_realized, later.trades, later.traded_notional) == (
        1000.0,
        3.0,
        2,
        50.0,
    )


def test_saving_the_day_again_keeps_its_starting_equity(tmp_path: Path) -> None:
    conn = connect(tmp_path / "s.sqlite3")
    day = roll_day(None, TradingDayConfig(), now_ms=NOW, equity=1000.0, realized=0.0)
    store.save_day(conn, day)
    from msgspec.structs import replace

    store.save_day(conn, replace(day, start_equity=1.0, trades=5))
    loaded = store.load_day(conn)
    assert loaded is not None and (loaded.start_equity, loaded.trades) == (1000.0, 5)


def test_latest_day_is_loaded(tmp_path: Path) -> None:
    conn = connect(tmp_path / "s.sqlite3")
    config = TradingDayConfig()
    store.save_day(conn, roll_day(None, config, now_ms=NOW, equity=1.0, realized=0.0))
    store.save_day(conn, roll_day(None, config, now_ms=NOW + 86_400_000, equity=2.0, realized=0.0))
    loaded = store.load_day(conn)
    assert loaded is not None and loaded.start_equity == 2.0


def test_no_day_before_the_first_snapshot(tmp_path: Path) -> None:
    assert store.load_day(connect(tmp_path / "s.sqlite3")) is None


def test_peak_survives_and_can_be_reset(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite3"
    conn = connect(db)
    store.save_peak(conn, EquityPeak(equity=1234.0, at_ms=NOW))
    conn.close()
    conn = connect(db)
    assert store.load_peak(conn) == EquityPeak(equity=1234.0, at_ms=NOW)
    store.reset_peak(conn)
    assert store.load_peak(conn) is None


def test_heartbeat_is_the_latest_written(tmp_path: Path) -> None:
    conn = connect(tmp_path / "s.sqlite3")
    store.save_heartbeat(conn, NOW)
    store.save_heartbeat(conn, NOW + 5000)
    assert store.load_heartbeat(conn) == NOW + 5000
