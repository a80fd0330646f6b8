"""A storm: every repeat counted on the right row, dedupe by the key as stored, drops forgotten."""

from __future__ import annotations

import secrets

import anyio
from hypothesis import given, settings
from hypothesis import strategies as st

from peaktrade.alerts.config import LEVEL_RANK, AlertLevel
from peaktrade.redaction import redact_text, register_secret
from peaktrade.store.db import Database
from tests.alerts.support import FakeClock, alerts_config, running, service_for, until

SECRET_A = f"tok-{secrets.token_hex(8)}"
SECRET_B = f"tok-{secrets.token_hex(8)}"
register_secret(SECRET_A)
register_secret(SECRET_B)

# raw keys, some of which are one key as stored: a masked secret, a cut at 200 characters
KEYS = ["a", "b", f"url={SECRET_A}", f"url={SECRET_B}", "y" * 250 + "1", "y" * 250 + "2"]
WINDOW_S = 60.0


async def test_every_repeat_lands_on_its_row_when_a_storm_is_written_in_several_batches(
    db: Database,
) -> None:
    service = service_for(alerts_config(sinks=[], history_flush_s=10), db)
    keys = [f"c-{n}" for n in range(450)]  # more rows than one history batch holds
    async with running(service):
        for key in keys:
            service.alert("order.unresolved", "unknown", source="exec", key=key)
        await until(lambda: service.stats().queued == 0)  # dispatched: rows wait to be written
        for key in reversed(keys):  # repeats in another order than the rows
            service.alert("order.unresolved", "unknown", source="exec", key=key)
        rows = await service.history(limit=1000)
    assert len(rows) == len(keys)
    assert {r.count for r in rows} == {2}


async def test_repeats_counted_before_dispatch_land_on_the_row(db: Database) -> None:
    service = service_for(alerts_config(sinks=[]), db)
    ids = {service.alert("data.stale", "no quote", source="md", key="BTC") for _ in range(4)}
    async with running(service):  # queued until now
        service.alert("data.stale", "no quote", source="md", key="BTC")
        rows = await service.history()
    assert len(ids) == 1
    assert [(r.id, r.count) for r in rows] == [(ids.pop(), 5)]


async def test_repeats_after_the_row_is_written_raise_its_count_and_last_time(
    db: Database,
) -> None:
    now = [1_000]
    service = service_for(alerts_config(sinks=[]), db, wall_ms=lambda: now[0])
    async with running(service):
        alert_id = service.alert("data.stale", "no quote", source="md", key="BTC")
        await service.flush()
        now[0] = 5_000
        service.alert("data.stale", "no quote", source="md", key="BTC")
        service.alert("data.stale", "no quote", source="md", key="BTC")
        rows = await service.history()
    assert [(r.id, r.count, r.at_ms, r.last_at_ms) for r in rows] == [(alert_id, 3, 1_000, 5_000)]


async def test_a_backlog_queued_before_start_is_dispatched_whole_and_in_order(
    db: Database,
) -> None:
    service = service_for(alerts_config(sinks=[], queue_size=1000), db)
    ids = [service.alert("order.unknown", "x", source="t", key=str(n)) for n in range(600)]
    async with running(service):  # deep past a quarter of the queue, then paced
        await until(lambda: service.stats().queued == 0)
        rows = await service.history(limit=1000)
    assert [r.id for r in reversed(rows)] == ids
    assert service.stats().dropped == {"INFO": 0, "WARNING": 0, "CRITICAL": 0}


async def test_a_repeat_of_an_alert_dropped_from_the_queue_is_sent_as_new() -> None:
    service = service_for(alerts_config(sinks=[], queue_size=16), None)
    first = service.alert("daemon.started", "info", source="t", key="x")  # the oldest INFO
    for n in range(15):
        service.alert("daemon.started", "info", source="t", key=str(n))
    service.alert("kill.engaged", "critical", source="t")  # full: the oldest INFO goes
    again = service.alert("daemon.started", "info", source="t", key="x")
    assert service.stats().dropped["INFO"] == 2  # the first, then the next oldest for `again`
    assert again is not None and again != first
    assert service.stats().deduped == 0


async def test_keys_that_differ_only_in_a_masked_secret_dedupe_as_one() -> None:
    service = service_for(alerts_config(sinks=[]), None)
    first = service.alert("data.stale", "x", source="md", key=f"url={SECRET_A}")
    second = service.alert("data.stale", "x", source="md", key=f"url={SECRET_B}")
    assert first is not None and second == first
    assert service.stats().deduped == 1


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(KEYS),
            st.sampled_from(list(AlertLevel)),
            st.floats(0, WINDOW_S / 2),
        ),
        max_size=40,
    )
)
def test_alert_repeats_exactly_an_open_stored_key_within_the_window_at_no_higher_level(
    calls: list[tuple[str, AlertLevel, float]],
) -> None:
    async def body() -> None:
        clock = FakeClock()
        config = alerts_config(sinks=[], dedupe_window_s=WINDOW_S, queue_size=1000)
        service = service_for(config, None, monotonic=clock)
        open_keys: dict[str, tuple[str, AlertLevel, float]] = {}  # the model: stored key
        repeats = 0
        for key, level, wait_s in calls:
            clock.now += wait_s
            got = service.alert("order.unresolved", "x", source="t", key=key, level=level)
            stored = redact_text(f"order.unresolved:{key}"[:200])
            was = open_keys.get(stored)
            if (
                was is not None
                and clock.now - was[2] < WINDOW_S
                and LEVEL_RANK[was[1]] >= LEVEL_RANK[level]
            ):
                assert got == was[0]
                repeats += 1
            else:
                assert got is not None and all(got != v[0] for v in open_keys.values())
                open_keys[stored] = (got, level, clock.now)
        assert service.stats().deduped == repeats

    anyio.run(body)


async def test_an_alert_keeps_its_context_as_it_was_when_emitted(db: Database) -> None:
    service = service_for(alerts_config(sinks=[]), db)
    context: dict[str, object] = {"attempt": 1, "legs": ["BTC"]}
    async with running(service):
        service.alert("order.unresolved", "unknown", source="exec", key="o-1", context=context)
        context["attempt"] = 2  # the caller goes on with its own dict
        assert isinstance(context["legs"], list)
        context["legs"].append("ETH")
        rows = await service.history()
    assert [r.context for r in rows] == [{"attempt": 1, "legs": "['BTC']"}]


async def test_emitting_queues_and_leaves_the_sinks_and_history_to_the_dispatcher(
    db: Database,
) -> None:
    service = service_for(alerts_config(sinks=["log"]), db)
    async with running(service):
        alert_id = service.alert("kill.engaged", "killed", source="ptctl")
        queued = service.stats().queued  # nothing dispatched inside the emitting call
        rows = await service.history()
    assert queued == 1
    assert [r.id for r in rows] == [alert_id]
