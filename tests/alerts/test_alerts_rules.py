"""The plain parts: the drop-lowest queue, pacing arithmetic, routing, config, the catalogue."""

from __future__ import annotations

import random
import re

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from peaktrade.alerts.codes import CODES, RUNBOOK_DOC
from peaktrade.alerts.config import LEVEL_RANK, AlertLevel, AlertsConfig, RetryConfig
from peaktrade.alerts.event import AlertEvent, Identity, build_event
from peaktrade.alerts.levelqueue import LevelQueue
from peaktrade.alerts.pacing import TokenBucket, backoff_s
from peaktrade.alerts.routing import sinks_for
from peaktrade.alerts.sinks.http import retry_after_s
from peaktrade.config import ConfigError, parse_config

levels = st.sampled_from(list(AlertLevel))


@given(st.integers(1, 8), st.lists(levels, max_size=40))
def test_the_queue_never_exceeds_capacity_and_drops_only_the_least_severe(
    capacity: int, incoming: list[AlertLevel]
) -> None:
    queue: LevelQueue[int] = LevelQueue(capacity)
    kept: list[tuple[int, AlertLevel]] = []
    for n, level in enumerate(incoming):
        dropped = queue.put(level, n)
        kept.append((n, level))
        if dropped is not None:
            gone_level, gone = dropped
            kept.remove((gone, gone_level))
            assert all(LEVEL_RANK[gone_level] <= LEVEL_RANK[lv] for _, lv in kept)
        assert len(queue) == len(kept) <= capacity
    assert queue.clear() == [n for n, _ in kept]  # arrival order survives drops


def test_the_queue_refuses_a_newcomer_less_severe_than_everything_queued() -> None:
    queue: LevelQueue[str] = LevelQueue(1)
    queue.put(AlertLevel.CRITICAL, "kill")
    assert queue.put(AlertLevel.INFO, "started") == (AlertLevel.INFO, "started")
    assert queue.pop() == "kill"


@given(st.floats(1, 600), st.integers(1, 20), st.floats(0, 100))
def test_the_bucket_allows_the_burst_then_one_call_per_interval(
    rate: float, burst: int, start: float
) -> None:
    bucket = TokenBucket(rate, burst, start)
    for _ in range(burst):
        assert bucket.wait_s(start) == 0
        bucket.take(start)
    assert bucket.wait_s(start) == pytest.approx(60.0 / rate)


def test_a_retry_after_pause_holds_even_an_unlimited_sink() -> None:
    bucket = TokenBucket(0, 1, 0.0)
    bucket.pause(2.5, now_s=10.0)
    assert (bucket.wait_s(11.0), bucket.wait_s(12.5)) == (1.5, 0.0)


@given(st.integers(1, 30), st.floats(0, 1))
def test_backoff_doubles_up_to_the_cap_and_jitter_only_shortens(
    failures: int, jitter: float
) -> None:
    policy = RetryConfig(base_delay_s=0.5, max_delay_s=20.0, jitter=jitter)
    ceiling = min(20.0, 0.5 * 2 ** (failures - 1))
    delay = backoff_s(policy, failures, random.Random(failures))
    assert ceiling * (1 - jitter) <= delay <= ceiling


@pytest.mark.parametrize(
    ("header", "body", "expected"),
    [
        ("3", None, 3.0),
        ("0.25", None, 0.25),
        ("Wed, 21 Oct 2015 07:28:05 GMT", None, 5.0),
        (None, {"retry_after": 1.5}, 1.5),
        (None, {"ok": False, "parameters": {"retry_after": 7}}, 7.0),
        (None, None, None),
        ("soon", None, None),
    ],
)
def test_retry_after_is_read_from_header_date_or_json_body(
    header: str | None, body: object, expected: float | None
) -> None:
    now = 1445412480.0  # 07:28:00 GMT that day
    assert retry_after_s(header, body, now) == expected


def build_event_of(code: str, level: AlertLevel) -> AlertEvent:
    return build_event(
        alert_id="a1",
        at_ms=0,
        identity=Identity("paper", "sim", "r"),
        code=code,
        message="m",
        source="s",
        runbook_base=RUNBOOK_DOC,
        level=level,
    )


def test_routing_applies_the_first_matching_rule_then_each_sink_floor() -> None:
    config = msgspec.convert(
        {
            "sinks": ["log", "slack", "pagerduty"],
            "routes": [
                {"codes": ["kill.*"], "sinks": ["pagerduty", "slack"]},
                {"codes": ["*"], "sinks": ["log", "slack"]},
            ],
        },
        AlertsConfig,
    )
    every = {"log", "slack", "pagerduty"}
    kill = build_event_of("kill.released", AlertLevel.WARNING)
    crit_kill = build_event_of("kill.engaged", AlertLevel.CRITICAL)
    other = build_event_of("data.stale", AlertLevel.CRITICAL)
    assert sinks_for(kill, config, every) == ["slack"]  # pagerduty's floor is CRITICAL
    assert sinks_for(crit_kill, config, every) == ["slack", "pagerduty"]
    assert sinks_for(other, config, every) == ["log", "slack"]


def test_the_global_floor_keeps_low_alerts_off_every_sink() -> None:
    config = msgspec.convert({"sinks": ["log"], "min_level": "WARNING"}, AlertsConfig)
    assert sinks_for(build_event_of("daemon.started", AlertLevel.INFO), config, {"log"}) == []


def _load(alerts_toml: str) -> None:
    parse_config(
        f'[run]\nmode = "paper"\nnetwork = "sim"\n[live_alerts]\n{alerts_toml}'.encode(),
        source="t.toml",
    )


def test_a_route_to_a_sink_that_is_not_on_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"routes\[0\]\.sinks: slack not in live_alerts.sinks"):
        _load('sinks = ["log"]\n[[live_alerts.routes]]\nsinks = ["slack"]\n')


def test_the_telegram_sink_needs_a_chat_id() -> None:
    with pytest.raises(ConfigError, match=r"telegram\.chat_id: required"):
        _load('sinks = ["telegram"]\n')


def test_a_webhook_url_in_the_config_file_is_refused() -> None:
    with pytest.raises(ConfigError, match="unknown key"):
        _load('sinks = ["slack"]\n[live_alerts.slack]\nurl = "https://hooks.slack.com/x"\n')


def test_a_full_live_alerts_section_loads() -> None:
    _load(
        'sinks = ["log", "slack", "pagerduty", "email"]\nmin_level = "INFO"\n'
        "dedupe_window_s = 120\nqueue_size = 5000\n"
        '[live_alerts.slack]\nmin_level = "WARNING"\ntimeout_s = 5\n'
        'credential = "alert-slack-webhook"\n'
        '[live_alerts.email]\nhost = "smtp.desk.test"\nfrom_addr = "pt@desk.test"\n'
        'to_addrs = ["ops@desk.test"]\nusername = "pt"\n'
        "[live_alerts.retry]\nmax_attempts = 5\n"
        '[[live_alerts.routes]]\nmin_level = "CRITICAL"\nsinks = ["pagerduty", "slack"]\n'
    )


def test_every_code_links_a_runbook_section_by_a_slug_anchor() -> None:
    for code, entry in CODES.items():
        assert re.fullmatch(r"[a-z][a-z0-9_]*\.[a-z0-9_]+", code)
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", entry.anchor)
        event = build_event_of(code, entry.level)
        assert event.runbook == f"docs/RUNBOOKS_AND_INCIDENT_HANDLING.md#{entry.anchor}"
