"""The service as the daemon uses it: overflow, health, routing, history, acks, tests."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from peaktrade.alerts.config import AlertLevel
from peaktrade.alerts.emitters import state_change_listener
from peaktrade.alerts.event import AlertEvent
from peaktrade.alerts.service import UnknownSink
from peaktrade.alerts.sinks.console import StderrSink
from peaktrade.alerts.sinks.factory import build_sinks
from peaktrade.core.trading_state import Actor, StateChange, TradingState
from peaktrade.store.db import Database
from tests.alerts.support import (
    FIXED_MS,
    Planned,
    Receiver,
    alerts_config,
    captured_log,
    running,
    service_for,
    until,
)


@pytest.fixture
def hooks(receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> Receiver:
    monkeypatch.setenv("PEAKTRADE_ALERT_WEBHOOK_URL", receiver.url("/hook"))
    monkeypatch.setenv("PEAKTRADE_ALERT_SLACK_WEBHOOK", receiver.url("/slack"))
    monkeypatch.setenv("PEAKTRADE_ALERT_PAGERDUTY_ROUTING_KEY", "pd-routing-key-42")
    monkeypatch.delenv("PEAKTRADE_ALERT_DISCORD_WEBHOOK", raising=False)
    receiver.plan("/pd", then=Planned(status=202))
    return receiver


async def test_a_full_queue_drops_the_lowest_levels_first_counts_and_reports_them(
    hooks: Receiver,
) -> None:
    service = service_for(alerts_config(sinks=["webhook"], queue_size=16), None)
    for n in range(16):
        service.alert("daemon.started", "info", source="t", key=str(n))  # INFO
    for n in range(8):
        service.alert("kill.engaged", "critical", source="t", key=str(n))  # CRITICAL
    for n in range(4):
        service.alert("daemon.started", "late info", source="t", key=f"late{n}")
    assert service.stats().dropped == {"INFO": 12, "WARNING": 0, "CRITICAL": 0}
    with captured_log() as log:
        async with running(service):
            await until(lambda: any(r.body["code"] == "alerts.dropped" for r in hooks.requests))
            assert await service.drain(5.0)
    sent = [r.body["message"] for r in hooks.at("/hook") if r.body["code"] != "alerts.dropped"]
    # the oldest INFO went first; survivors keep their order of arrival
    assert sent == ["info"] * 4 + ["critical"] * 8 + ["late info"] * 4
    report = next(r.body for r in hooks.requests if r.body["code"] == "alerts.dropped")
    assert report["context"]["queue_info"] == 12
    assert '"event": "alerts_dropped"' in log.getvalue()


async def test_emit_never_raises_even_for_a_malformed_event() -> None:
    service = service_for(alerts_config(), None)
    broken = AlertEvent(
        id="x",
        at_ms=FIXED_MS,
        level="BOGUS",  # type: ignore[arg-type]
        source="t",
        code="kill.engaged",
        title="t",
        message="m",
        context={},
        dedupe_key="k",
        mode="paper",
        network="sim",
        run_id="r",
        runbook="",
    )
    with captured_log():
        service.emit(broken)  # must not raise
    assert service.stats().emit_errors == 1


async def test_an_unknown_code_is_sent_as_unknown_code_naming_it(hooks: Receiver) -> None:
    service = service_for(alerts_config(sinks=["webhook"]), None)
    async with running(service):
        service.alert("venue.exploded", "boom", source="venue")
        await until(lambda: len(hooks.at("/hook")) == 1)
    body = hooks.at("/hook")[0].body
    assert (body["code"], body["context"]["unknown_code"]) == (
        "alerts.unknown_code",
        "venue.exploded",
    )


async def test_a_sink_failing_past_the_threshold_alerts_the_others_and_resolves(
    hooks: Receiver,
) -> None:
    hooks.plan("/hook", then=Planned(status=500))
    config = alerts_config(
        sinks=["webhook", "slack"], sink_failing_after_s=0.2, retry={"max_attempts": 1}
    )
    service = service_for(config, None)

    def failing_reports() -> list[str]:
        return [r.body["text"] for r in hooks.at("/slack") if "sink failing" in r.body["text"]]

    async with running(service):
        service.alert("exchange.banned", "418", source="venue")
        await until(lambda: len(failing_reports()) == 1)
        hooks.plan("/hook", then=Planned(status=200))
        service.alert("exchange.banned", "418 again", source="venue", key="2")
        await until(lambda: len(failing_reports()) == 2)
    assert failing_reports() == [
        "[CRITICAL] Alert sink failing",
        "[RESOLVED] Alert sink failing",
    ]
    assert all(r.body["code"] != "alerts.sink_failing" for r in hooks.at("/hook"))


async def test_a_routing_rule_sends_critical_to_pagerduty_and_the_rest_to_slack_only(
    hooks: Receiver,
) -> None:
    config = alerts_config(
        sinks=["slack", "pagerduty"],
        pagerduty={"min_level": "INFO", "events_url": hooks.url("/pd")},
        routes=[
            {"min_level": "CRITICAL", "sinks": ["pagerduty", "slack"]},
            {"codes": ["*"], "sinks": ["slack"]},
        ],
    )
    service = service_for(config, None)
    async with running(service):
        service.alert("kill.released", "released", source="ptctl")  # WARNING
        service.alert("kill.engaged", "killed", source="ptctl")  # CRITICAL
        assert await service.drain(5.0)
    assert [r.body["payload"]["class"] for r in hooks.at("/pd")] == ["kill.engaged"]
    assert len(hooks.at("/slack")) == 2


async def test_alerts_are_recorded_but_not_sent_when_disabled(
    hooks: Receiver, db: Database
) -> None:
    service = service_for(alerts_config(sinks=["webhook"], enabled=False), db)
    async with running(service):
        service.alert("kill.engaged", "killed", source="ptctl")
        assert await service.drain(5.0)
        rows = await service.history()
    assert hooks.requests == []
    assert [(r.code, r.routed) for r in rows] == [("kill.engaged", [])]


async def test_history_filters_by_level_and_time(hooks: Receiver, db: Database) -> None:
    now = [0]
    service = service_for(alerts_config(sinks=["webhook"]), db, wall_ms=lambda: now[0])
    async with running(service):
        for at_ms, code in [
            (1_000, "daemon.started"),
            (2_000, "kill.released"),
            (3_000, "kill.engaged"),
        ]:
            now[0] = at_ms  # INFO, WARNING, CRITICAL
            service.alert(code, "x", source="t")
        warning_up = await service.history(min_level=AlertLevel.WARNING)
        recent = await service.history(since_ms=2_000)
        everything = await service.history()
    assert [r.code for r in warning_up] == ["kill.engaged", "kill.released"]
    assert [r.code for r in recent] == ["kill.engaged", "kill.released"]
    assert len(everything) == 3


async def test_ack_marks_the_alert_and_the_first_ack_stands(hooks: Receiver, db: Database) -> None:
    service = service_for(alerts_config(sinks=["webhook"]), db)
    async with running(service):
        alert_id = service.alert("kill.engaged", "killed", source="ptctl")
        assert alert_id is not None
        first = await service.ack(alert_id, "uid:1000")
        second = await service.ack(alert_id, "uid:0")
        missing = await service.ack("no-such-alert", "uid:0")
    assert first is not None and second is not None
    assert (first.acked_by, first.acked_at_ms) == ("uid:1000", FIXED_MS)
    assert second.acked_by == "uid:1000"
    assert missing is None


async def test_send_test_reports_delivery_for_each_sink(hooks: Receiver, db: Database) -> None:
    hooks.plan("/slack", then=Planned(status=500))
    config = alerts_config(
        sinks=["webhook", "slack", "discord", "pagerduty"],
        pagerduty={"min_level": "CRITICAL", "events_url": hooks.url("/pd")},
    )
    service = service_for(config, db)
    async with running(service):
        results = await service.send_test()
        rows = await service.history()
    assert [(r.sink, r.status, r.error.split(":")[0]) for r in results] == [
        ("webhook", "delivered", ""),
        ("slack", "gave_up", "http.500"),
        ("discord", "gave_up", "alerts.credential_missing"),
        ("pagerduty", "delivered", ""),
    ]
    test_row = next(r for r in rows if r.code == "alerts.test")
    assert test_row.routed == ["webhook", "slack", "discord", "pagerduty"]
    assert len(await service.deliveries(test_row.id)) == 4


async def test_send_test_to_one_sink_sends_only_there(hooks: Receiver) -> None:
    service = service_for(alerts_config(sinks=["webhook", "slack"]), None)
    async with running(service):
        results = await service.send_test("slack")
    assert [(r.sink, r.status) for r in results] == [("slack", "delivered")]
    assert hooks.at("/hook") == []


async def test_send_test_to_an_unknown_sink_raises_unknown_sink(hooks: Receiver) -> None:
    service = service_for(alerts_config(sinks=["webhook"]), None)
    async with running(service):
        with pytest.raises(UnknownSink):
            await service.send_test("slack")


async def test_a_sink_without_its_credential_is_reported_on_the_working_sinks(
    hooks: Receiver,
) -> None:
    service = service_for(alerts_config(sinks=["webhook", "discord"]), None)
    with captured_log():
        async with running(service):
            await until(lambda: len(hooks.at("/hook")) == 1)
    body = hooks.at("/hook")[0].body
    assert (body["code"], body["context"]["sink"]) == ("alerts.sink_misconfigured", "discord")
    assert "alert-discord-webhook" in body["message"]


async def test_drain_delivers_what_is_queued_before_the_daemon_stops(hooks: Receiver) -> None:
    hooks.plan("/hook", then=Planned(delay_s=0.1))
    service = service_for(alerts_config(sinks=["webhook"]), None)
    async with running(service):
        for n in range(3):
            service.alert("daemon.stopped", f"stop {n}", source="daemon", key=str(n))
        assert await service.drain(5.0)
        assert len(hooks.at("/hook")) == 3


async def test_the_log_sink_writes_the_alert_at_its_level() -> None:
    service = service_for(alerts_config(sinks=["log"]), None)
    with captured_log() as log:
        async with running(service):
            service.alert("kill.engaged", "killed by ops", source="ptctl")
            await until(lambda: '"event": "alert"' in log.getvalue())
    line = json.loads(next(x for x in log.getvalue().splitlines() if '"event": "alert"' in x))
    assert (line["level"], line["alert_level"], line["code"], line["detail"]) == (
        "critical",
        "CRITICAL",
        "kill.engaged",
        "killed by ops",
    )


async def test_the_stderr_sink_writes_one_plain_line() -> None:
    out = io.StringIO()
    service = service_for(alerts_config(sinks=["stderr"]), None)
    service.lanes["stderr"].sink = StderrSink(out)
    async with running(service):
        service.alert("kill.engaged", "killed by ops", source="ptctl")
        await until(lambda: out.getvalue().endswith("\n"))
    assert out.getvalue() == (
        "ALERT [CRITICAL] Kill switch engaged: trading HALTED kill.engaged paper@sim: killed by ops"
        " (docs/RUNBOOKS_AND_INCIDENT_HANDLING.md#kill-switch-engaged)\n"
    )


@pytest.mark.parametrize(
    ("previous", "state", "code", "level"),
    [
        (TradingState.ACTIVE, TradingState.HALTED, "kill.engaged", "CRITICAL"),
        (TradingState.HALTED, TradingState.HALTED, "kill.engaged", "CRITICAL"),
        (TradingState.HALTED, TradingState.ACTIVE, "kill.released", "WARNING"),
        (TradingState.ACTIVE, TradingState.REDUCING, "state.changed", "WARNING"),
    ],
)
async def test_each_trading_state_change_is_one_alert_with_its_code(
    hooks: Receiver, previous: TradingState, state: TradingState, code: str, level: str
) -> None:
    service = service_for(alerts_config(sinks=["webhook"]), None)
    listener = state_change_listener(service)
    async with running(service):
        for at_ms in (1, 2):  # twice in a row: both are sent
            listener(
                StateChange(
                    previous=previous,
                    state=state,
                    reason="ops: fat finger",
                    actor=Actor(source="ptctl", uid=1000, pid=42),
                    at_ms=at_ms,
                    cancel_open=True,
                )
            )
        await until(lambda: len(hooks.at("/hook")) == 2)
    body = hooks.at("/hook")[0].body
    assert (body["code"], body["level"], body["source"]) == (code, level, "ptctl")
    assert body["context"]["reason"] == "ops: fat finger"
    assert body["context"]["cancel_open"] is True


def test_a_sink_that_cannot_be_built_is_reported_not_raised(tmp_path: Path) -> None:
    config = alerts_config(
        sinks=["log", "email"],
        email={
            "host": "127.0.0.1",
            "ca_file": str(tmp_path / "missing-ca.pem"),
            "from_addr": "pt@desk.test",
            "to_addrs": ["ops@desk.test"],
        },
    )
    built = build_sinks(config)
    assert list(built.sinks) == ["log"]
    assert [(p.sink, p.code) for p in built.problems] == [("email", "alerts.sink_invalid")]
