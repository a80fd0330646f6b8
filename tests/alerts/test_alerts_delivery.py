"""Retries, backoff, Retry-After, timeouts and hangs: one sink's trouble stays its own."""

from __future__ import annotations

import pytest

from peaktrade.store.db import Database
from tests.alerts.support import Planned, Receiver, alerts_config, running, service_for, until


@pytest.fixture
def hooks(receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> Receiver:
    monkeypatch.setenv("PEAKTRADE_ALERT_WEBHOOK_URL", receiver.url("/hook"))
    monkeypatch.setenv("PEAKTRADE_ALERT_SLACK_WEBHOOK", receiver.url("/slack"))
    return receiver


async def _attempts(hooks: Receiver, db: Database, **config: object) -> list[tuple[int, str, str]]:
    """Send one alert to the webhook; its delivery attempts as (number, status, error code)."""
    service = service_for(alerts_config(sinks=["webhook"], **config), db)
    async with running(service):
        alert_id = service.alert("order.unresolved", "c-9 unknown", source="exec")
        assert alert_id is not None
        await until(
            lambda: service.stats().sinks[0].delivered + service.stats().sinks[0].gave_up > 0
        )
        rows = await service.deliveries(alert_id)
    return [(r.attempt, r.status, r.error.split(":")[0]) for r in rows]


async def test_server_errors_are_retried_until_delivered(hooks: Receiver, db: Database) -> None:
    hooks.plan("/hook", Planned(status=500), Planned(status=503))
    assert await _attempts(hooks, db) == [
        (1, "retrying", "http.500"),
        (2, "retrying", "http.503"),
        (3, "delivered", ""),
    ]


async def test_a_sink_that_keeps_failing_is_given_up_after_max_attempts(
    hooks: Receiver, db: Database
) -> None:
    hooks.plan("/hook", then=Planned(status=502))
    assert await _attempts(hooks, db) == [
        (1, "retrying", "http.502"),
        (2, "retrying", "http.502"),
        (3, "gave_up", "http.502"),
    ]
    assert len(hooks.at("/hook")) == 3


async def test_a_refused_payload_is_not_retried(hooks: Receiver, db: Database) -> None:
    hooks.plan("/hook", then=Planned(status=400, body="invalid_payload"))
    assert await _attempts(hooks, db) == [(1, "gave_up", "http.400")]


async def test_retry_after_of_a_429_pauses_the_sink_that_long(
    hooks: Receiver, db: Database
) -> None:
    hooks.plan("/hook", Planned(status=429, headers={"Retry-After": "0.4"}))
    attempts = await _attempts(hooks, db)
    first, second = hooks.at("/hook")
    assert attempts == [(1, "retrying", "http.429"), (2, "delivered", "")]
    assert second.at_s - first.at_s >= 0.4 * 0.95


async def test_retry_after_in_a_json_body_is_honoured_too(hooks: Receiver, db: Database) -> None:
    hooks.plan("/hook", Planned(status=429, body='{"retry_after": 0.3, "global": false}'))
    await _attempts(hooks, db)
    first, second = hooks.at("/hook")
    assert second.at_s - first.at_s >= 0.3 * 0.95


async def test_rate_limit_spaces_calls_once_the_burst_is_spent(hooks: Receiver) -> None:
    config = alerts_config(sinks=["webhook"], webhook={"rate_per_min": 300, "burst": 2})
    service = service_for(config, None)
    async with running(service):
        for n in range(4):
            service.alert("order.unresolved", f"c-{n}", source="exec", key=str(n))
        await until(lambda: len(hooks.at("/hook")) == 4)
    times = [r.at_s for r in hooks.at("/hook")]
    # 300 a minute = one call per 0.2 s after two back to back
    assert times[3] - times[1] >= 2 * 0.2 * 0.95


async def test_a_hung_call_times_out_and_the_attempt_says_so(hooks: Receiver, db: Database) -> None:
    hooks.plan("/hook", then=Planned(hang=True))
    attempts = await _attempts(hooks, db, webhook={"timeout_s": 0.2, "rate_per_min": 0})
    assert attempts == [
        (1, "retrying", "sink.timeout"),
        (2, "retrying", "sink.timeout"),
        (3, "gave_up", "sink.timeout"),
    ]


async def test_a_hanging_sink_does_not_delay_the_other_sinks(hooks: Receiver) -> None:
    hooks.plan("/hook", then=Planned(hang=True))
    config = alerts_config(sinks=["webhook", "slack"], webhook={"timeout_s": 60, "rate_per_min": 0})
    service = service_for(config, None)
    async with running(service):
        for n in range(3):
            service.alert("kill.engaged", f"kill {n}", source="ptctl", key=str(n))
        # the webhook holds its first call for a minute; slack gets all three meanwhile
        await until(lambda: len(hooks.at("/slack")) == 3)
        assert len(hooks.at("/hook")) == 1


async def test_a_full_sink_queue_drops_its_lowest_levels_and_records_it(
    hooks: Receiver, db: Database
) -> None:
    hooks.plan("/hook", then=Planned(hang=True))
    config = alerts_config(
        sinks=["webhook"], sink_queue_size=2, webhook={"timeout_s": 60, "rate_per_min": 0}
    )
    service = service_for(config, db)
    async with running(service):
        busy = service.alert("kill.engaged", "in flight", source="t", key="0")
        await until(lambda: len(hooks.at("/hook")) == 1)
        info = service.alert("daemon.started", "info", source="t")
        crit = [service.alert("kill.engaged", "c", source="t", key=str(n)) for n in (1, 2)]
        await until(lambda: service.stats().sinks[0].dropped == 1)
        dropped = await service.deliveries(str(info))
        kept = [await service.deliveries(str(c)) for c in crit]
    assert busy is not None
    assert [(d.status, d.error.split(":")[0]) for d in dropped] == [
        ("dropped", "alerts.sink_queue_full")
    ]
    assert kept == [[], []]  # still queued behind the hung call, not dropped
