"""Each HTTP sink's exact payload, as a real loopback receiver gets it."""

from __future__ import annotations

import pytest

from peaktrade.alerts.config import AlertLevel
from peaktrade.store.db import Database
from tests.alerts.support import (
    FIXED_ISO,
    FIXED_MS,
    Planned,
    Receiver,
    alerts_config,
    running,
    service_for,
    until,
)

RUNBOOK = "https://runbooks.example/ops.md"
FACTS_TEXT = [
    ("Level", "CRITICAL"),
    ("Code", "kill.engaged"),
    ("Deployment", "paper@sim"),
    ("Source", "ptctl"),
    ("Time", FIXED_ISO),
    ("Run", "run-1"),
]


async def _kill_alert(receiver: Receiver, path: str, **config: object) -> tuple[str, object]:
    service = service_for(alerts_config(runbook_base=RUNBOOK, **config), None)
    async with running(service):
        alert_id = service.alert(
            "kill.engaged",
            "operator kill: fat finger",
            source="ptctl",
            context={"uid": 1000, "cancel_open": True},
        )
        await until(lambda: len(receiver.at(path)) == 1)
    assert alert_id is not None
    return alert_id, receiver.at(path)[0].body


async def test_webhook_receives_the_alert_as_one_json_object(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PEAKTRADE_ALERT_WEBHOOK_URL", receiver.url("/hook"))
    alert_id, body = await _kill_alert(receiver, "/hook", sinks=["webhook"])
    assert body == {
        "version": 1,
        "id": alert_id,
        "time": FIXED_ISO,
        "at_ms": FIXED_MS,
        "level": "CRITICAL",
        "status": "firing",
        "code": "kill.engaged",
        "source": "ptctl",
        "title": "Kill switch engaged: trading HALTED",
        "headline": "[CRITICAL] Kill switch engaged: trading HALTED",
        "message": "operator kill: fat finger",
        "context": {"uid": 1000, "cancel_open": True},
        "dedupe_key": "kill.engaged",
        "mode": "paper",
        "network": "sim",
        "run_id": "run-1",
        "runbook": f"{RUNBOOK}#kill-switch-engaged",
    }


async def test_slack_gets_block_kit_with_level_colour_fields_and_context(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PEAKTRADE_ALERT_SLACK_WEBHOOK", receiver.url("/services/T0/B0/x"))
    alert_id, body = await _kill_alert(receiver, "/services/T0/B0/x", sinks=["slack"])
    fields = [
        {"type": "mrkdwn", "text": f"*{k}*\n{v}"} for k, v in [*FACTS_TEXT, ("Alert", alert_id)]
    ]
    assert body == {
        "text": "[CRITICAL] Kill switch engaged: trading HALTED",
        "attachments": [
            {
                "color": "#d40e0d",
                "blocks": [
                    {
                        "type": "header",
                        "text": {
                            "type": "plain_text",
                            "text": "[CRITICAL] Kill switch engaged: trading HALTED",
                        },
                    },
                    {
                        "type": "section",
                        "text": {"type": "mrkdwn", "text": "operator kill: fat finger"},
                    },
                    {"type": "section", "fields": fields},
                    {
                        "type": "context",
                        "elements": [
                            {
                                "type": "mrkdwn",
                                "text": f"<{RUNBOOK}#kill-switch-engaged|Runbook: kill.engaged>",
                            },
                            {"type": "mrkdwn", "text": "*uid*: 1000"},
                            {"type": "mrkdwn", "text": "*cancel_open*: True"},
                        ],
                    },
                ],
            }
        ],
    }


async def test_discord_gets_one_embed_and_parses_no_mentions(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PEAKTRADE_ALERT_DISCORD_WEBHOOK", receiver.url("/api/webhooks/1/t"))
    alert_id, body = await _kill_alert(receiver, "/api/webhooks/1/t", sinks=["discord"])
    fields = [
        {"name": k, "value": v, "inline": True} for k, v in [*FACTS_TEXT, ("Alert", alert_id)]
    ]
    fields += [
        {"name": "uid", "value": "1000", "inline": True},
        {"name": "cancel_open", "value": "True", "inline": True},
    ]
    assert body == {
        "username": "peaktrade",
        "allowed_mentions": {"parse": []},
        "embeds": [
            {
                "title": "[CRITICAL] Kill switch engaged: trading HALTED",
                "description": "operator kill: fat finger",
                "color": 0xD40E0D,
                "fields": fields,
                "timestamp": FIXED_ISO,
                "footer": {"text": f"Runbook: {RUNBOOK}#kill-switch-engaged"},
                "url": f"{RUNBOOK}#kill-switch-engaged",
            }
        ],
    }


async def test_pagerduty_trigger_maps_severity_and_scopes_the_dedup_key(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PEAKTRADE_ALERT_PAGERDUTY_ROUTING_KEY", "R0UTINGKEY0123456789")
    receiver.plan("/v2/enqueue", then=Planned(status=202, body='{"status":"success"}'))
    alert_id, body = await _kill_alert(
        receiver,
        "/v2/enqueue",
        sinks=["pagerduty"],
        pagerduty={"events_url": receiver.url("/v2/enqueue")},
    )
    assert body == {
        "routing_key": "R0UTINGKEY0123456789",
        "event_action": "trigger",
        "dedup_key": "peaktrade/sim/kill.engaged",
        "client": "peaktrade",
        "payload": {
            "summary": "[CRITICAL] Kill switch engaged: trading HALTED: operator kill: fat finger",
            "source": "peaktrade paper@sim",
            "severity": "critical",
            "timestamp": FIXED_ISO,
            "component": "ptctl",
            "group": "sim",
            "class": "kill.engaged",
            "custom_details": {
                "message": "operator kill: fat finger",
                "alert_id": alert_id,
                "run_id": "run-1",
                "runbook": f"{RUNBOOK}#kill-switch-engaged",
                "uid": 1000,
                "cancel_open": True,
            },
        },
        "links": [{"href": f"{RUNBOOK}#kill-switch-engaged", "text": "Runbook: kill.engaged"}],
    }


async def test_pagerduty_resolves_a_recovered_condition_with_the_trigger_dedup_key(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PEAKTRADE_ALERT_PAGERDUTY_ROUTING_KEY", "R0UTINGKEY0123456789")
    receiver.plan("/v2/enqueue", then=Planned(status=202, body='{"status":"success"}'))
    config = alerts_config(
        sinks=["pagerduty"], pagerduty={"events_url": receiver.url("/v2/enqueue")}
    )
    service = service_for(config, None)
    async with running(service):
        for level in (AlertLevel.CRITICAL, None):
            service.set_condition(
                "risk.daily_loss",
                level,
                code="risk.portfolio_breach",
                message="daily loss 2.3 % of 2 % allowed",
                source="portfolio",
            )
        await until(lambda: len(receiver.at("/v2/enqueue")) == 2)
    trigger, resolve = (r.body for r in receiver.at("/v2/enqueue"))
    assert trigger["event_action"] == "trigger"
    assert trigger["dedup_key"] == "peaktrade/sim/risk.daily_loss"
    assert resolve == {
        "routing_key": "R0UTINGKEY0123456789",
        "event_action": "resolve",
        "dedup_key": "peaktrade/sim/risk.daily_loss",
    }


async def test_telegram_bot_posts_html_to_the_chat_with_the_token_in_the_path(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PEAKTRADE_ALERT_TELEGRAM_TOKEN", "123456:ABCdefToken")
    receiver.plan("/bot123456:ABCdefToken/sendMessage", then=Planned(body='{"ok":true}'))
    alert_id, body = await _kill_alert(
        receiver,
        "/bot123456:ABCdefToken/sendMessage",
        sinks=["telegram"],
        telegram={"chat_id": "-100123", "api_base": receiver.url("")},
    )
    lines = [
        "<b>[CRITICAL] Kill switch engaged: trading HALTED</b>",
        "operator kill: fat finger",
        "",
        *[f"<b>{k}</b>: {v}" for k, v in [*FACTS_TEXT, ("Alert", alert_id)]],
        "uid: 1000",
        "cancel_open: True",
        "",
        f"Runbook: {RUNBOOK}#kill-switch-engaged",
    ]
    assert body == {
        "chat_id": "-100123",
        "text": "\n".join(lines),
        "parse_mode": "HTML",
        "disable_web_page_preview": True,
    }


async def test_resolved_condition_is_green_in_slack(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch, db: Database
) -> None:
    monkeypatch.setenv("PEAKTRADE_ALERT_SLACK_WEBHOOK", receiver.url("/slack"))
    service = service_for(alerts_config(sinks=["slack"]), db)
    async with running(service):
        for level in (AlertLevel.WARNING, None):
            service.set_condition(
                "data.stale:BTC/USDT", level, code="data.stale", message="x", source="md"
            )
        await until(lambda: len(receiver.at("/slack")) == 2)
    colours = [r.body["attachments"][0]["color"] for r in receiver.at("/slack")]
    assert colours == ["#daa038", "#2eb886"]
