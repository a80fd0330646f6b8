"""Automatic kill triggers: exchange failures in a row, error rate, data gap, heartbeat."""

from __future__ import annotations

from peaktrade.core.kill_triggers import ExchangeHealth, kill_triggers, record_exchange_call
from peaktrade.core.risk_config import KillTriggerConfig

NOW = 1_700_000_000_000


def fired(
    config: KillTriggerConfig,
    health: ExchangeHealth | None = None,
    *,
    data_age_s: float = 0,
    beat_age_s: float = 0,
) -> list[str]:
    return [
        t.code
        for t in kill_triggers(
            config,
            exchange=health or ExchangeHealth(),
            last_market_data_ms=NOW - int(data_age_s * 1000),
            last_heartbeat_ms=NOW - int(beat_age_s * 1000),
            now_ms=NOW,
        )
    ]


def calls(outcomes: list[bool], *, start_ms: int = NOW - 60_000) -> ExchangeHealth:
    health = ExchangeHealth()
    for i, ok in enumerate(outcomes):
        health = record_exchange_call(
            health, ok=ok, now_ms=start_ms + i * 100, window_s=300, error="venue.timeout"
        )
    return health


def test_healthy_daemon_fires_nothing() -> None:
    assert fired(KillTriggerConfig(), calls([True] * 30)) == []


def test_n_failures_in_a_row_fire() -> None:
    assert fired(KillTriggerConfig(), calls([True] + [False] * 5)) == ["kill.exchange_failures"]


def test_a_success_resets_the_failure_run() -> None:
    config = KillTriggerConfig(max_exchange_error_rate=0)
    assert fired(config, calls([False] * 4 + [True] + [False] * 4)) == []


def test_error_rate_over_the_threshold_fires() -> None:
    config = KillTriggerConfig(max_consecutive_exchange_failures=0, max_exchange_error_rate=0.3)
    assert fired(config, calls([True, False] * 15)) == ["kill.exchange_error_rate"]


def test_error_rate_waits_for_enough_calls() -> None:
    config = KillTriggerConfig(max_consecutive_exchange_failures=0, max_exchange_error_rate=0.3)
    assert fired(config, calls([True, False] * 5)) == []


def test_failures_older_than_the_window_drop_out() -> None:
    config = KillTriggerConfig(max_consecutive_exchange_failures=0, error_rate_window_s=60)
    old = calls([False] * 30, start_ms=NOW - 600_000)
    recent = old
    for i in range(25):
        recent = record_exchange_call(recent, ok=True, now_ms=NOW - 1000 + i, window_s=60)
    assert fired(config, recent) == []


def test_market_data_gap_fires() -> None:
    assert fired(KillTriggerConfig(max_market_data_gap_min=5), data_age_s=301) == [
        "kill.market_data_gap"
    ]


def test_missing_heartbeat_fires() -> None:
    assert fired(KillTriggerConfig(max_heartbeat_gap_s=60), beat_age_s=61) == [
        "kill.heartbeat_missing"
    ]


def test_zero_switches_a_trigger_off() -> None:
    config = KillTriggerConfig(
        max_consecutive_exchange_failures=0,
        max_exchange_error_rate=0,
        max_market_data_gap_min=0,
        max_heartbeat_gap_s=0,
    )
    assert fired(config, calls([False] * 30), data_age_s=1e6, beat_age_s=1e6) == []
