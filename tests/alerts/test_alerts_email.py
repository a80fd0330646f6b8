"""E-mail through a real SMTP server on loopback (aiosmtpd) with STARTTLS and AUTH."""

from __future__ import annotations

import asyncio
import email
import email.policy
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from peaktrade.store.db import Database
from tests.alerts.support import alerts_config, running, service_for, until

USER, PASSWORD = "alerts", "smtp-s3cret-pass"


class Inbox:
    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []
        self.tls_used: list[bool] = []
        self.port = 0
        self.ca_file = ""

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        self.tls_used.append(session.ssl is not None)
        return "250 OK"


def _authenticator(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == USER.encode()
        and auth_data.password == PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535


@pytest.fixture
async def inbox(tmp_path: Path) -> AsyncIterator[Inbox]:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_tls)
    box = Inbox()
    box.ca_file = str(tmp_path / "ca.pem")
    ca.cert_pem.write_to_path(box.ca_file)
    server = await asyncio.get_running_loop().create_server(
        lambda: SMTP(
            box,
            hostname="relay.test",
            tls_context=server_tls,
            require_starttls=True,
            auth_required=True,
            auth_require_tls=True,
            authenticator=_authenticator,
        ),
        "127.0.0.1",
        0,
    )
    box.port = server.sockets[0].getsockname()[1]
    try:
        yield box
    finally:
        server.close()
        await server.wait_closed()


def _email_config(inbox: Inbox) -> Any:
    return alerts_config(
        sinks=["email"],
        email={
            "host": "127.0.0.1",
            "port": inbox.port,
            "security": "starttls",
            "ca_file": inbox.ca_file,
            "username": USER,
            "from_addr": "peaktrade@desk.test",
            "to_addrs": ["oncall@desk.test", "risk@desk.test"],
        },
    )


async def test_alert_is_mailed_over_starttls_with_auth(
    inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PEAKTRADE_ALERT_SMTP_PASSWORD", PASSWORD)
    service = service_for(_email_config(inbox), None)
    async with running(service):
        alert_id = service.alert("reconcile.mismatch", "BTC position 0.5 vs 0.4", source="recon")
        await until(lambda: len(inbox.envelopes) == 1)
    envelope = inbox.envelopes[0]
    assert inbox.tls_used == [True]
    assert envelope.mail_from == "peaktrade@desk.test"
    assert envelope.rcpt_tos == ["oncall@desk.test", "risk@desk.test"]
    assert isinstance(envelope.content, bytes)
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert message["Subject"] == "[peaktrade paper@sim] [CRITICAL] Exchange and journal disagree"
    assert message["To"] == "oncall@desk.test, risk@desk.test"
    assert message["X-Peaktrade-Alert"] == alert_id
    body = message.get_body()
    assert body is not None
    text = body.get_content()
    assert "BTC position 0.5 vs 0.4" in text
    assert "Runbook: docs/RUNBOOKS_AND_INCIDENT_HANDLING.md#reconcile-mismatch" in text


async def test_refused_smtp_login_gives_up_at_once_without_retrying(
    inbox: Inbox, monkeypatch: pytest.MonkeyPatch, db: Database
) -> None:
    monkeypatch.setenv("PEAKTRADE_ALERT_SMTP_PASSWORD", "wrong-password-1")
    service = service_for(_email_config(inbox), db)
    async with running(service):
        alert_id = service.alert("order.unresolved", "order c-1 unknown", source="exec")
        assert alert_id is not None
        await until(lambda: service.stats().sinks[0].gave_up == 1)
        attempts = await service.deliveries(alert_id)
    assert [(a.attempt, a.status) for a in attempts] == [(1, "gave_up")]
    assert attempts[0].error.startswith("smtp.auth:")
    assert inbox.envelopes == []
