"""No spam: repeats fold into the open alert, conditions send on change and on recovery."""

from __future__ import annotations

import anyio
import pytest

from peaktrade.alerts.config import AlertLevel
from peaktrade.alerts.emitters import daemon_event_listener
from peaktrade.alerts.service import AlertService
from peaktrade.core.events import DaemonEvent
from peaktrade.store.db import Database
from tests.alerts.support import (
    FIXED_MS,
    FakeClock,
    Receiver,
    alerts_config,
    running,
    service_for,
    until,
)


@pytest.fixture
def hook(receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> Receiver:
    monkeypatch.setenv("PEAKTRADE_ALERT_WEBHOOK_URL", receiver.url("/hook"))
    return receiver


async def test_a_repeat_within_the_window_raises_the_count_instead_of_sending(
    hook: Receiver, db: Database
) -> None:
    service = service_for(alerts_config(sinks=["webhook"]), db)
    async with running(service):
        ids = {
            service.alert("data.stale", "no BTC quote for 12 s", source="md", key="BTC/USDT")
            for _ in range(5)
        }
        assert await service.drain(5.0)
        rows = await service.history()
    assert len(ids) == 1
    assert len(hook.at("/hook")) == 1
    assert [(r.id, r.count) for r in rows] == [(ids.pop(), 5)]


async def test_a_repeat_after_the_window_is_sent_again(hook: Receiver, db: Database) -> None:
    clock = FakeClock()
    service = service_for(alerts_config(sinks=["webhook"], dedupe_window_s=60), db, monotonic=clock)
    async with running(service):
        service.alert("order.unresolved", "c-1 unknown", source="exec", key="c-1")
        service.alert("order.unresolved", "c-1 unknown", source="exec", key="c-1")
        clock.now += 61
        service.alert("order.unresolved", "c-1 unknown", source="exec", key="c-1")
        assert await service.drain(5.0)
        rows = await service.history()
    assert len(hook.at("/hook")) == 2
    assert sorted(r.count for r in rows) == [1, 2]


async def test_other_keys_of_the_same_code_are_not_deduped(hook: Receiver) -> None:
    service = service_for(alerts_config(sinks=["webhook"]), None)
    async with running(service):
        for symbol in ("BTC/USDT", "ETH/USDT"):
            service.alert("data.stale", f"{symbol} stale", source="md", key=symbol)
        await until(lambda: len(hook.at("/hook")) == 2)


async def test_an_escalation_within_the_window_is_sent(hook: Receiver) -> None:
    service = service_for(alerts_config(sinks=["webhook"]), None)
    async with running(service):
        for level in (AlertLevel.WARNING, AlertLevel.CRITICAL, AlertLevel.WARNING):
            service.alert("exchange.rate_limited", "418 from venue", source="venue", level=level)
        assert await service.drain(5.0)
    assert [r.body["level"] for r in hook.at("/hook")] == ["WARNING", "CRITICAL"]


async def test_warning_breach_ok_sends_three_messages_not_one_per_check(hook: Receiver) -> None:
    service = service_for(alerts_config(sinks=["webhook"]), None)
    checks = [AlertLevel.WARNING] * 10 + [AlertLevel.CRITICAL] * 10 + [None] * 10
    codes = {
        AlertLevel.WARNING: "risk.portfolio_warning",
        AlertLevel.CRITICAL: "risk.portfolio_breach",
    }
    async with running(service):
        for level in checks:
            service.set_condition(
                "risk.max_daily_loss",
                level,
                code=codes[level] if level else "risk.portfolio_breach",
                message="daily loss check",
                source="portfolio",
            )
        assert await service.drain(5.0)
    sent = [(r.body["code"], r.body["level"], r.body["status"]) for r in hook.at("/hook")]
    assert sent == [
        ("risk.portfolio_warning", "WARNING", "firing"),
        ("risk.portfolio_breach", "CRITICAL", "firing"),
        ("risk.portfolio_breach", "CRITICAL", "resolved"),
    ]


async def test_a_condition_open_at_restart_is_resolved_by_the_next_run(
    hook: Receiver, db: Database
) -> None:
    def check(service: AlertService, level: AlertLevel | None) -> None:
        service.set_condition(
            "exchange.connection",
            level,
            code="exchange.disconnected",
            message="stream closed",
            source="venue",
        )

    first = service_for(alerts_config(sinks=["webhook"]), db)
    async with running(first):
        check(first, AlertLevel.WARNING)
        assert await first.drain(5.0)
    second = service_for(alerts_config(sinks=["webhook"]), db)
    async with running(second):
        check(second, AlertLevel.WARNING)  # still down after the restart: no new message
        check(second, None)
        assert await second.drain(5.0)
    assert [r.body["status"] for r in hook.at("/hook")] == ["firing", "resolved"]


def _condition(service: AlertService, key: str, code: str, level: AlertLevel | None) -> None:
    service.set_condition(key, level, code=code, message="as checked", source="test")


async def _after_restart(db: Database, key: str, code: str, level: AlertLevel) -> AlertService:
    """The service of a new run, after a run that left the condition open (grace: 1 s)."""
    first = service_for(alerts_config(sinks=["webhook"]), db)
    async with running(first):
        _condition(first, key, code, level)
        assert await first.drain(5.0)
    return service_for(alerts_config(sinks=["webhook"], restored_grace_s=1.0), db)


async def test_a_stream_condition_left_open_by_the_last_run_is_resolved_after_the_grace(
    hook: Receiver, db: Database
) -> None:
    """Its emitter only resolves what it saw start: the new run's stream is fine and says
    nothing, so without the grace the disconnect of the last run would stay open for good."""
    second = await _after_restart(
        db, "exchange.disconnected:md", "exchange.disconnected", AlertLevel.WARNING
    )
    async with running(second):
        await until(lambda: len(hook.at("/hook")) == 2)
        assert await second.drain(5.0)
        rows = await second.history()
    bodies = [r.body for r in hook.at("/hook")]
    assert [b["status"] for b in bodies] == ["firing", "resolved"]
    assert "restart" in str(bodies[1])
    assert rows[0].resolved and rows[0].dedupe_key == "exchange.disconnected:md"


async def test_a_stream_condition_raised_again_after_the_restart_stays_open(
    hook: Receiver, db: Database
) -> None:
    second = await _after_restart(db, "data.stale:BTC/USDT", "data.stale", AlertLevel.WARNING)
    async with running(second):
        _condition(second, "data.stale:BTC/USDT", "data.stale", AlertLevel.WARNING)  # still stale
        await anyio.sleep(1.5)  # past the grace: nothing may resolve it but its own check
        assert await second.drain(5.0)
        assert [b.body["status"] for b in hook.at("/hook")] == ["firing"]
        _condition(second, "data.stale:BTC/USDT", "data.stale", None)
        assert await second.drain(5.0)
    assert [b.body["status"] for b in hook.at("/hook")] == ["firing", "resolved"]


async def test_a_condition_judged_afresh_each_run_is_left_to_its_check(
    hook: Receiver, db: Database
) -> None:
    """A portfolio breach or an order in doubt is not over because nobody said so yet."""
    second = await _after_restart(
        db, "order.unresolved:pt-1", "order.unresolved", AlertLevel.CRITICAL
    )
    async with running(second):
        await anyio.sleep(1.5)
        assert await second.drain(5.0)
    assert [b.body["status"] for b in hook.at("/hook")] == ["firing"]


async def test_a_recovery_without_an_open_condition_sends_nothing(hook: Receiver) -> None:
    service = service_for(alerts_config(sinks=["webhook"]), None)
    async with running(service):
        assert (
            service.set_condition("x", None, code="data.stale", message="ok", source="md") is None
        )
        assert await service.drain(5.0)
    assert hook.requests == []


async def test_unresolved_order_alerts_are_conditions_per_order(hook: Receiver) -> None:
    service = service_for(alerts_config(sinks=["webhook"]), None)
    listener = daemon_event_listener(service)

    def unresolved(cid: str, *, resolved: bool = False) -> DaemonEvent:
        return DaemonEvent(
            code="order.unresolved",
            level="INFO" if resolved else "CRITICAL",
            message=f"order {cid} {'resolved' if resolved else 'still unknown'}",
            ts_ms=FIXED_MS,
            context={"client_order_id": cid},
            dedupe_key=f"order.unresolved:{cid}",
            resolved=resolved,
        )

    async with running(service):
        for event in (
            unresolved("pt-1"),
            unresolved("pt-2"),
            unresolved("pt-1"),  # still unknown: no new message
            unresolved("pt-1", resolved=True),
        ):
            listener(event)
        assert await service.drain(5.0)
    sent = [(r.body["message"], r.body["status"], r.body["level"]) for r in hook.at("/hook")]
    assert sent == [
        ("order pt-1 still unknown", "firing", "CRITICAL"),
        ("order pt-2 still unknown", "firing", "CRITICAL"),
        ("order pt-1 resolved", "resolved", "CRITICAL"),
    ]
