"""A canary webhook URL and bot token never show up in logs, history, errors or stats."""

from __future__ import annotations

import secrets

import msgspec
import pytest

from peaktrade.store.db import Database
from tests.alerts.support import (
    Planned,
    Receiver,
    alerts_config,
    captured_log,
    running,
    service_for,
)


async def test_canary_secrets_never_appear_in_logs_history_or_delivery_errors(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch, db: Database
) -> None:
    hook_path = f"/canary-{secrets.token_hex(8)}"
    canary_url = receiver.url(hook_path)
    canary_token = f"777:{secrets.token_hex(12)}"
    monkeypatch.setenv("PEAKTRADE_ALERT_WEBHOOK_URL", canary_url)
    monkeypatch.setenv("PEAKTRADE_ALERT_TELEGRAM_TOKEN", canary_token)
    monkeypatch.setenv("PEAKTRADE_ALERT_SLACK_WEBHOOK", f"http://127.0.0.1:1{hook_path}")
    # receivers that echo the secret back, as real services do in their error texts
    receiver.plan(hook_path, then=Planned(status=500, body=f"no such hook {canary_url}"))
    receiver.plan(
        f"/bot{canary_token}/sendMessage",
        then=Planned(status=401, body=f'{{"ok":false,"description":"bad token {canary_token}"}}'),
    )
    config = alerts_config(
        sinks=["log", "webhook", "telegram", "slack"],
        telegram={"chat_id": "42", "api_base": receiver.url("")},
        retry={"max_attempts": 2},
        sink_failing_after_s=0.1,
    )
    service = service_for(config, db)
    with captured_log() as log:
        async with running(service):
            alert_id = service.alert(
                "exchange.disconnected",
                f"stream to {canary_url} lost",  # even a careless caller is masked
                source="venue",
                context={"url": canary_url, "token": canary_token},
            )
            assert alert_id is not None
            tests = await service.send_test()
            assert await service.drain(10.0)
            rows = await service.history()
            attempts = [a for r in rows for a in await service.deliveries(r.id)]
        stats = service.stats()
    seen = "\n".join(
        [
            log.getvalue(),
            msgspec.json.encode(rows).decode(),
            msgspec.json.encode(attempts).decode(),
            msgspec.json.encode(tests).decode(),
            msgspec.json.encode(stats).decode(),
        ]
    )
    assert len(receiver.requests) >= 4  # both secret-bearing sinks were really called
    assert any("***" in a.error for a in attempts)  # the echoed secret was there to mask
    assert canary_url not in seen
    assert hook_path not in seen
    assert canary_token not in seen
