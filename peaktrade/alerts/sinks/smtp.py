"""E-mail over SMTP (aiosmtplib): STARTTLS or implicit TLS, AUTH when a user is configured."""

from __future__ import annotations

import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import aiosmtplib

from peaktrade.alerts.config import EmailSinkConfig, SmtpSecurity
from peaktrade.alerts.event import AlertEvent
from peaktrade.alerts.render import headline, plain_text
from peaktrade.alerts.sinks.base import SinkError
from peaktrade.credentials import Secret


def email_message(event: AlertEvent, sender: str, recipients: tuple[str, ...]) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = f"[peaktrade {event.mode}@{event.network}] {headline(event)}"
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(event.at_ms / 1000, usegmt=True)
    message["Message-ID"] = make_msgid(idstring=event.id, domain="peaktrade")
    message["X-Peaktrade-Alert"] = event.id
    message["X-Peaktrade-Code"] = event.code
    message.set_content(plain_text(event))
    return message


class EmailSink:
    name = "email"

    def __init__(self, config: EmailSinkConfig, password: Secret | None, timeout_s: float) -> None:
        self._config = config
        self._password = password
        self._timeout_s = timeout_s
        self._tls: ssl.SSLContext | None = None
        if config.security is not SmtpSecurity.NONE:
            self._tls = ssl.create_default_context(cafile=config.ca_file)

    async def send(self, event: AlertEvent) -> None:
        cfg = self._config
        message = email_message(event, cfg.from_addr, cfg.to_addrs)
        try:
            await aiosmtplib.send(
                message,
                hostname=cfg.host,
                port=cfg.port,
                username=cfg.username or None,
                password=self._password.reveal() if cfg.username and self._password else None,
                use_tls=cfg.security is SmtpSecurity.TLS,
                start_tls=cfg.security is SmtpSecurity.STARTTLS,
                tls_context=self._tls,
                timeout=self._timeout_s,
            )
        except aiosmtplib.SMTPAuthenticationError as exc:
            raise SinkError(
                "smtp.auth", f"authentication refused ({exc.code})", retryable=False
            ) from None
        except aiosmtplib.SMTPRecipientsRefused:
            raise SinkError("smtp.recipients", "every recipient refused", retryable=False) from None
        except aiosmtplib.SMTPTimeoutError:
            raise SinkError("sink.timeout", "the SMTP server did not answer in time") from None
        except (aiosmtplib.SMTPConnectError, aiosmtplib.SMTPServerDisconnected) as exc:
            raise SinkError("smtp.connect", type(exc).__name__) from None
        except aiosmtplib.SMTPResponseException as exc:
            retryable = exc.code >= 400 and exc.code < 500
            raise SinkError(f"smtp.{exc.code}", exc.message, retryable=retryable) from None
        except aiosmtplib.SMTPException as exc:
            raise SinkError("smtp.error", type(exc).__name__) from None
        except ssl.SSLError as exc:
            raise SinkError("smtp.tls", exc.reason or type(exc).__name__) from None

    async def aclose(self) -> None:
        return None
