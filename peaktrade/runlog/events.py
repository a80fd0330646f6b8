"""The run log's model: one run per daemon start, and the typed events that happened in it.

Events are built from the parts' own records (journal orders, fills, latch moves, daemon
events, alerts) by pure functions. Free texts are redacted and bounded when built, so what the
state database, the JSONL file and ``ptctl runs events`` carry is safe to show and small.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from peaktrade.core.events import DaemonEvent, Scalar
from peaktrade.core.model import Fill
from peaktrade.core.orders import JournalOrder
from peaktrade.core.trading_state import StateChange, TradingState
from peaktrade.redaction import redact, redact_text
from peaktrade.store.alerts import AlertRow

MAX_TEXT = 1000  # characters of a message or reason kept in the log
MAX_CONTEXT = 20  # context entries kept per event


class LiveRunMetadata(msgspec.Struct, frozen=True, kw_only=True):
    """What one daemon start was: identity, provenance, start and stop."""

    run_id: str
    version: str
    git_commit: str  # "" when not known
    config_digest: str
    config_path: str
    mode: str
    network: str
    account: str
    strategy: str
    pid: int
    started_ms: int
    stopped_ms: int | None = None
    exit_reason: str = ""  # "" while running; "unclean: ..." when no stop was recorded
    event_count: int = 0
    events_lost: int = 0


class _Body(msgspec.Struct, frozen=True, kw_only=True, tag_field="kind"):
    """Base of every event body; the tag is the event's kind."""


class OrderChanged(_Body, frozen=True, tag="order"):
    """A journaled order as it stands after a change (intent, ack, fill, cancel, reject...)."""

    client_order_id: str
    symbol: str
    side: str
    type: str
    qty: float
    price: float | None
    state: str
    filled_qty: float
    avg_fill_price: float | None
    reason: str
    source: str
    exchange_order_id: str | None


class FillRecorded(_Body, frozen=True, tag="fill"):
    """An execution, recorded once in the journal."""

    client_order_id: str
    symbol: str
    side: str
    qty: float
    price: float
    fee: float
    fee_currency: str
    trade_id: str
    trade_ts_ms: int  # the exchange's time of the trade


class RiskDecision(_Body, frozen=True, tag="risk"):
    """A risk-layer decision worth recording: an order refused or warned, a portfolio breach."""

    code: str
    level: str
    message: str
    symbol: str
    allowed: bool | None  # order decisions only
    rule: str
    resolved: bool


class StateChanged(_Body, frozen=True, tag="state"):
    """A trading-state move other than a kill (reduce, release, automatic moves)."""

    previous: str
    state: str
    reason: str
    source: str
    uid: int
    pid: int


class KillEngaged(_Body, frozen=True, tag="kill"):
    """The latch moved to HALTED."""

    previous: str
    reason: str
    source: str
    uid: int
    pid: int
    cancel_open: bool
    flatten: bool


class AlertRaised(_Body, frozen=True, tag="alert"):
    """An alert as the alert service kept it (repeats fold into the first)."""

    alert_id: str
    level: str
    code: str
    title: str
    message: str
    source: str
    resolved: bool
    routed: list[str]


class Reconciled(_Body, frozen=True, tag="reconcile"):
    """A reconciliation of journal and exchange: its result or a mismatch found."""

    code: str
    level: str
    message: str
    problems: list[str]
    context: dict[str, Scalar]


class DaemonNotice(_Body, frozen=True, tag="event"):
    """Any other event a part reported (disconnects, rate limits, orders in doubt...)."""

    code: str
    level: str
    message: str
    context: dict[str, Scalar]
    resolved: bool


class RunStarted(_Body, frozen=True, tag="run_started"):
    version: str
    git_commit: str
    config_digest: str
    mode: str
    network: str
    strategy: str


class RunStopped(_Body, frozen=True, tag="run_stopped"):
    exit_reason: str
    events_lost: int


RunEventBody = (
    OrderChanged
    | FillRecorded
    | RiskDecision
    | StateChanged
    | KillEngaged
    | AlertRaised
    | Reconciled
    | DaemonNotice
    | RunStarted
    | RunStopped
)

KINDS: tuple[str, ...] = tuple(
    str(t.__struct_config__.tag)
    for t in (
        OrderChanged,
        FillRecorded,
        RiskDecision,
        StateChanged,
        KillEngaged,
        AlertRaised,
        Reconciled,
        DaemonNotice,
        RunStarted,
        RunStopped,
    )
)


class LiveRunEvent(msgspec.Struct, frozen=True, kw_only=True):
    """One event of one run; ``seq`` counts from 1 within the run (``--follow`` resumes on it)."""

    run_id: str
    seq: int
    ts_ms: int
    body: RunEventBody

    @property
    def kind(self) -> str:
        return kind_of(self.body)


def kind_of(body: RunEventBody) -> str:
    return str(body.__struct_config__.tag)


body_decoder: msgspec.json.Decoder[RunEventBody] = msgspec.json.Decoder(RunEventBody)
line_decoder = msgspec.json.Decoder(LiveRunEvent)


# --- from the parts' records (pure) ---------------------------------------------------------


def text(value: str) -> str:
    return redact_text(value[:MAX_TEXT])


def context_of(context: Mapping[str, Scalar]) -> dict[str, Scalar]:
    kept = dict(list(context.items())[:MAX_CONTEXT])
    cleaned: dict[str, Scalar] = redact(kept)
    return {k: text(v) if isinstance(v, str) else v for k, v in cleaned.items()}


def from_order(order: JournalOrder) -> OrderChanged:
    intent = order.intent
    return OrderChanged(
        client_order_id=order.client_order_id,
        symbol=intent.symbol,
        side=intent.side.value,
        type=intent.type.value,
        qty=intent.qty,
        price=intent.price,
        state=order.state.value,
        filled_qty=order.filled_qty,
        avg_fill_price=order.avg_fill_price,
        reason=text(order.reason),
        source=intent.source,
        exchange_order_id=order.exchange_order_id,
    )


def from_fill(fill: Fill) -> FillRecorded:
    return FillRecorded(
        client_order_id=fill.client_order_id,
        symbol=fill.symbol,
        side=fill.side.value,
        qty=fill.qty,
        price=fill.price,
        fee=fill.fee,
        fee_currency=fill.fee_currency,
        trade_id=fill.trade_id,
        trade_ts_ms=fill.ts_ms,
    )


def from_change(change: StateChange) -> StateChanged | KillEngaged:
    """A move to HALTED is a kill; every other move is a state change."""
    actor = change.actor
    if change.state is TradingState.HALTED:
        return KillEngaged(
            previous=change.previous.value,
            reason=text(change.reason),
            source=actor.source,
            uid=actor.uid,
            pid=actor.pid,
            cancel_open=change.cancel_open,
            flatten=change.flatten,
        )
    return StateChanged(
        previous=change.previous.value,
        state=change.state.value,
        reason=text(change.reason),
        source=actor.source,
        uid=actor.uid,
        pid=actor.pid,
    )


def from_alert(row: AlertRow) -> AlertRaised:
    return AlertRaised(
        alert_id=row.id,
        level=row.level,
        code=row.code,
        title=text(row.title),
        message=text(row.message),
        source=row.source,
        resolved=row.resolved,
        routed=list(row.routed),
    )


def risk_codes(event: DaemonEvent) -> list[str]:
    """The rule codes behind a risk event: ``context["codes"]``, else the dedupe key's tail.

    Order violations are keyed ``risk.order_violation:SYMBOL:CODE,CODE``; portfolio events
    name their rule in ``context["rule"]``.
    """
    codes = event.context.get("codes") or event.context.get("rule")
    if isinstance(codes, str) and codes:
        return codes.split(",")
    if event.code == "risk.order_violation" and event.dedupe_key.count(":") >= 2:
        return [c for c in event.dedupe_key.rsplit(":", 1)[1].split(",") if c]
    return []


def from_daemon_event(event: DaemonEvent) -> RiskDecision | Reconciled | DaemonNotice:
    """Risk and reconciliation events get their own kinds; the rest are notices."""
    if event.code.startswith("risk."):
        allowed = event.context.get("allowed")
        symbol = event.context.get("symbol", "")
        return RiskDecision(
            code=event.code,
            level=event.level,
            message=text(event.message),
            symbol=symbol if isinstance(symbol, str) else "",
            allowed=allowed if isinstance(allowed, bool) else None,
            rule=",".join(risk_codes(event)),
            resolved=event.resolved,
        )
    if event.code.startswith("reconcile."):
        return Reconciled(
            code=event.code,
            level=event.level,
            message=text(event.message),
            problems=[],
            context=context_of(event.context),
        )
    return DaemonNotice(
        code=event.code,
        level=event.level,
        message=text(event.message),
        context=context_of(event.context),
        resolved=event.resolved,
    )
