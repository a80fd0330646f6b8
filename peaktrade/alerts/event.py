"""What an alert is, and what came of sending it to one sink."""

from __future__ import annotations

import enum
from collections.abc import Mapping

import msgspec

from peaktrade.alerts.codes import lookup, runbook_link
from peaktrade.alerts.config import AlertLevel
from peaktrade.redaction import MASK, SECRET_KEY_NAME, redact_text

ContextValue = str | int | float | bool
_MAX_TEXT = 2000
_MAX_CONTEXT = 20


class AlertEvent(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One alert as sinks render it and history stores it. Texts are redacted when built."""

    id: str
    at_ms: int
    level: AlertLevel
    source: str
    code: str
    title: str
    message: str
    context: dict[str, ContextValue]
    dedupe_key: str
    mode: str
    network: str
    run_id: str
    runbook: str
    resolved: bool = False  # a state alert's recovery; level stays the condition's peak
    stateful: bool = False  # part of a condition (fire on change, resolve on recovery)
    not_to: tuple[str, ...] = ()  # sinks that must not get it (a failing sink's own alert)


class Draft(msgspec.Struct, frozen=True, gc=False):
    """A one-off alert as emitted, made an ``AlertEvent`` when it is dispatched.

    The emitting call keeps the caller's values (a storm's loop slice stays short); redaction,
    bounds and the catalogue's defaults are applied by ``build_event`` at dispatch, as they were.
    """

    id: str
    at_ms: int
    level: AlertLevel
    code: str
    message: str
    source: str
    title: str | None
    context: dict[str, object] | None  # ``snapshot`` of the caller's mapping
    dedupe_key: str  # as stored: redacted and bounded


class Identity(msgspec.Struct, frozen=True):
    """The deployment every alert is stamped with."""

    mode: str
    network: str
    run_id: str


def build_event(
    *,
    alert_id: str,
    at_ms: int,
    identity: Identity,
    code: str,
    message: str,
    source: str,
    runbook_base: str,
    level: AlertLevel | None = None,
    title: str | None = None,
    context: Mapping[str, object] | None = None,
    dedupe_key: str | None = None,
    resolved: bool = False,
    stateful: bool = False,
    not_to: tuple[str, ...] = (),
) -> AlertEvent:
    """An event with the catalogue's defaults filled in and every caller's text redacted, bounded.

    The catalogue's own title and the runbook link are our wording (code and config), stored
    as they are, like the identity.
    """
    entry = lookup(code)
    ctx = _clean_context(context) if context else {}
    if entry.code != code:
        ctx["unknown_code"] = redact_text(code[:100])
    return AlertEvent(
        id=alert_id,
        at_ms=at_ms,
        level=level if level is not None else entry.level,
        source=redact_text(source[:100]),
        code=entry.code,
        title=redact_text(title[:200]) if title else entry.title,
        message=redact_text(message[:_MAX_TEXT]),
        context=ctx,
        dedupe_key=redact_text((dedupe_key or code)[:200]),
        mode=identity.mode,
        network=identity.network,
        run_id=identity.run_id,
        runbook=runbook_link(entry.anchor, runbook_base),
        resolved=resolved,
        stateful=stateful,
        not_to=not_to,
    )


def snapshot(context: Mapping[str, object] | None) -> dict[str, object] | None:
    """The caller's context as it is now (it may change it later): scalars kept, the rest text."""
    if not context:
        return None
    return {
        str(key): value if isinstance(value, str | int | float | bool) else str(value)
        for key, value in list(context.items())[:_MAX_CONTEXT]
    }


def _clean_context(context: Mapping[str, object]) -> dict[str, ContextValue]:
    """Plain scalars only, at most a screenful, secret-looking keys masked, texts redacted."""
    out: dict[str, ContextValue] = {}
    for key, value in list(context.items())[:_MAX_CONTEXT]:
        name = str(key)[:64]
        if _secret_name(name):
            out[name] = MASK
        elif isinstance(value, str):
            out[name] = redact_text(value[:500])
        elif isinstance(value, int | float | bool):
            out[name] = value  # nothing in a number to redact
        else:
            out[name] = redact_text(str(value)[:500])
    return out


_secret_names: dict[str, bool] = {}  # context key -> masked? (the key pattern never changes)


def _secret_name(name: str) -> bool:
    found = _secret_names.get(name)
    if found is None:
        if len(_secret_names) >= 4096:
            _secret_names.clear()  # bounded: keys are few in practice, any size stays correct
        found = _secret_names[name] = SECRET_KEY_NAME.search(name) is not None
    return found


class DeliveryStatus(enum.StrEnum):
    """Outcome of one attempt (or of the decision not to attempt)."""

    DELIVERED = "delivered"
    RETRYING = "retrying"  # this attempt failed; another follows
    GAVE_UP = "gave_up"  # this attempt failed and was the last
    DROPPED = "dropped"  # never attempted: the sink's queue was full


class DeliveryResult(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One attempt to send one alert to one sink; ``error`` is redacted and names a code."""

    alert_id: str
    sink: str
    attempt: int
    at_ms: int
    status: DeliveryStatus
    error: str = ""
    duration_ms: int = 0
