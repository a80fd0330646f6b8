"""The control protocol shared by the daemon and ``ptctl``.

A frame is a 4-byte big-endian length followed by a msgpack-encoded message. Requests are a
tagged union (``cmd``); every reply names the daemon's mode and network so an operator can never
mistake which deployment answered. Imports only msgspec: ``ptctl`` must start fast.
"""

from __future__ import annotations

import enum
import struct
from typing import Annotated, ClassVar, Literal

import msgspec

from peaktrade.drills.model import DrillCheck

PROTOCOL_VERSION = 1
MAX_FRAME_BYTES = 64 * 1024
HEADER = struct.Struct(">I")

Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
Limit = Annotated[int, msgspec.Meta(ge=1, le=10_000)]


class CommandClass(enum.StrEnum):
    """Allow-lists are per class: reading is not trading is not killing."""

    READ = "read"
    TRADE = "trade"
    KILL = "kill"


class Request(msgspec.Struct, frozen=True, forbid_unknown_fields=True, tag_field="cmd"):
    """Base of every request; ``command_class`` decides who may send it."""

    command_class: ClassVar[CommandClass] = CommandClass.READ


class Health(Request, frozen=True, tag="health"):
    """Is the daemon fit to trade? Each check with a value and a hint."""


class Status(Request, frozen=True, tag="status"):
    """Trading state, the reason for it, process facts."""


class Kill(Request, frozen=True, tag="kill"):
    """Latch HALTED. Acknowledged only once durable."""

    command_class: ClassVar[CommandClass] = CommandClass.KILL
    reason: Reason
    cancel_open: bool = False
    flatten: bool = False


class Reduce(Request, frozen=True, tag="reduce"):
    """Only exposure-reducing orders from now on."""

    command_class: ClassVar[CommandClass] = CommandClass.KILL
    reason: Reason


class Release(Request, frozen=True, tag="release"):
    """Re-arm trading after a kill or reduce."""

    command_class: ClassVar[CommandClass] = CommandClass.KILL
    reason: Reason


class AuditQuery(Request, frozen=True, tag="audit"):
    """The newest mutating commands."""

    limit: Limit = 50


Side = Literal["buy", "sell"]
OrderKind = Literal["market", "limit", "stop_loss_limit", "take_profit_limit"]
Positive = Annotated[float, msgspec.Meta(gt=0)]


class OrderSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A manual order as an operator types it."""

    symbol: Annotated[str, msgspec.Meta(pattern=r"^[A-Z0-9]{2,12}/[A-Z0-9]{2,12}$")]
    side: Side
    qty: Positive
    type: OrderKind = "market"
    price: Positive | None = None
    stop_price: Positive | None = None
    tif: Literal["GTC", "IOC", "FOK"] = "GTC"
    post_only: bool = False


class OrderPreview(Request, frozen=True, tag="order_preview"):
    """Every check a manual order would go through, with no side effect at all."""

    order: OrderSpec


class OrderSubmit(Request, frozen=True, tag="order_submit"):
    """A manual order through the same gate as the strategy's; refused when HALTED."""

    command_class: ClassVar[CommandClass] = CommandClass.TRADE
    order: OrderSpec


class OrderCancel(Request, frozen=True, tag="order_cancel"):
    """Cancel one order by its client order id."""

    command_class: ClassVar[CommandClass] = CommandClass.TRADE
    client_order_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class OrdersQuery(Request, frozen=True, tag="orders"):
    """Open orders (and those in doubt), or the most recent ones."""

    open_only: bool = True
    limit: Limit = 100


class StrategyPreview(Request, frozen=True, tag="orders_preview"):
    """The orders the strategy would send now, with every check; no side effect at all."""


class PortfolioQuery(Request, frozen=True, tag="portfolio"):
    """Positions, cash, equity, PnL; optionally the risk evaluation and history."""

    with_risk: bool = True
    starting_cash: Annotated[float, msgspec.Meta(ge=0)] | None = None
    history: bool = False
    since_ms: Annotated[int, msgspec.Meta(ge=0)] = 0
    limit: Limit = 100


class RiskQuery(Request, frozen=True, tag="risk"):
    """Current limits, usage and headroom, re-open status, held reloads."""


class RiskViolationsQuery(Request, frozen=True, tag="risk_violations"):
    """Persisted violations since a time."""

    since_ms: Annotated[int, msgspec.Meta(ge=0)] = 0
    limit: Limit = 100


class RiskApproveReload(Request, frozen=True, tag="risk_approve_reload"):
    """Apply a config reload that loosens limits beyond the policy."""

    command_class: ClassVar[CommandClass] = CommandClass.TRADE
    reason: Reason


class AlertsQuery(Request, frozen=True, tag="alerts"):
    """Alert history, newest first."""

    since_ms: Annotated[int, msgspec.Meta(ge=0)] = 0
    min_level: Literal["INFO", "WARNING", "CRITICAL"] | None = None
    limit: Limit = 50


class AlertAck(Request, frozen=True, tag="alert_ack"):
    """Acknowledge an alert (the first acknowledgement stands)."""

    command_class: ClassVar[CommandClass] = CommandClass.KILL
    alert_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class AlertsTest(Request, frozen=True, tag="alerts_test"):
    """Send a test alert through every sink (or one) and report delivery."""

    command_class: ClassVar[CommandClass] = CommandClass.KILL
    sink: Annotated[str, msgspec.Meta(max_length=32)] | None = None


RunRef = Annotated[str, msgspec.Meta(pattern=r"^(current|[0-9A-Za-z-]{1,64})$")]


class RunsQuery(Request, frozen=True, tag="runs"):
    """The newest runs (one per daemon start)."""

    limit: Limit = 20


class RunShow(Request, frozen=True, tag="run_show"):
    """One run's metadata and event counts; ``current`` is the running one."""

    run_id: RunRef = "current"


class RunEventsQuery(Request, frozen=True, tag="run_events"):
    """A run's events after ``after_id`` (``--follow`` polls with the last id seen)."""

    run_id: RunRef = "current"
    kind: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    after_id: Annotated[int, msgspec.Meta(ge=0)] = 0
    limit: Limit = 200


StageName = Literal["shadow", "paper", "testnet", "live"]
PresetName = Literal["pre-open", "end-of-day"]


class StageQuery(Request, frozen=True, tag="stage"):
    """The current stage, how it got there and how far it may go."""


class Promote(Request, frozen=True, tag="promote"):
    """Run the promotion checks; on success move one stage up (live: record the approval)."""

    command_class: ClassVar[CommandClass] = CommandClass.TRADE
    to: StageName
    reason: Reason
    check_only: bool = False


class Degrade(Request, frozen=True, tag="degrade"):
    """Move down to a lower stage; always allowed, also when HALTED."""

    command_class: ClassVar[CommandClass] = CommandClass.KILL
    to: StageName
    reason: Reason


class ChecksRun(Request, frozen=True, tag="check"):
    """A check preset: pre-open or end-of-day."""

    preset: PresetName


class DrillsQuery(Request, frozen=True, tag="drills"):
    """The drill log, newest first (``peaktrade drill`` appends to it)."""

    limit: Limit = 20
    scenario: Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9_-]{1,64}$")] | None = None


AnyRequest = (
    Health
    | Status
    | Kill
    | Reduce
    | Release
    | AuditQuery
    | OrderPreview
    | OrderSubmit
    | OrderCancel
    | OrdersQuery
    | RunsQuery
    | RunShow
    | RunEventsQuery
    | StrategyPreview
    | PortfolioQuery
    | RiskQuery
    | RiskViolationsQuery
    | RiskApproveReload
    | AlertsQuery
    | AlertAck
    | AlertsTest
    | DrillsQuery
    | StageQuery
    | Promote
    | Degrade
    | ChecksRun
)


# --- replies -------------------------------------------------------------------------------


class CheckLevel(enum.StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


class Check(msgspec.Struct, frozen=True):
    """One health check: what, how it stands, the value seen, what to do about it."""

    name: str
    level: CheckLevel
    value: str
    hint: str = ""


class HealthResult(msgspec.Struct, frozen=True, tag="health"):
    healthy: bool
    checks: list[Check]


class Transition(msgspec.Struct, frozen=True):
    """A trading-state change as shown to operators."""

    previous: str
    state: str
    reason: str
    source: str
    uid: int
    pid: int
    at_ms: int
    cancel_open: bool = False
    flatten: bool = False


class StatusResult(msgspec.Struct, frozen=True, tag="status"):
    state: str
    reason: str
    since_ms: int
    last_change: Transition | None
    pid: int
    started_at_ms: int
    version: str
    account: str
    market_data: str  # one line per symbol: quote age, STALE when no orders may go
    open_orders: int = 0
    orders_in_doubt: int = 0
    reconciled: bool = False


class StateResult(msgspec.Struct, frozen=True, tag="state"):
    """The answer to kill, reduce and release: the durable transition."""

    transition: Transition


class AuditRecord(msgspec.Struct, frozen=True):
    at_ms: int
    command: str
    command_class: str
    uid: int
    gid: int
    pid: int
    outcome: str
    detail: str


class AuditResult(msgspec.Struct, frozen=True, tag="audit"):
    entries: list[AuditRecord]


class CheckView(msgspec.Struct, frozen=True):
    """One rule an order went through."""

    rule: str
    passed: bool
    code: str = ""
    detail: str = ""
    warning: bool = False


class OrderView(msgspec.Struct, frozen=True):
    client_order_id: str
    symbol: str
    side: str
    type: str
    qty: float
    price: float | None
    stop_price: float | None
    state: str
    filled_qty: float
    avg_fill_price: float | None
    reason: str
    source: str
    created_ms: int
    updated_ms: int
    exchange_order_id: str | None = None
    executor: str = ""  # whose book the order is in: shadow, paper or exchange


class OrderDecision(msgspec.Struct, frozen=True):
    """One order's verdict: allowed or not, every check, and (after submit) what became of it."""

    symbol: str
    side: str
    qty: float
    allowed: bool
    reduces: bool
    checks: list[CheckView]
    outcome: str = ""  # submit only: accepted / rejected / retryable / unknown / refused
    code: str = ""
    message: str = ""
    order: OrderView | None = None


class OrderResult(msgspec.Struct, frozen=True, tag="order"):
    submitted: bool
    decisions: list[OrderDecision]


class OrdersResult(msgspec.Struct, frozen=True, tag="orders"):
    orders: list[OrderView]


class CancelResultView(msgspec.Struct, frozen=True, tag="cancel"):
    client_order_id: str
    outcome: str
    code: str = ""
    order: OrderView | None = None


class RunView(msgspec.Struct, frozen=True):
    run_id: str
    version: str
    git_commit: str
    config_digest: str
    mode: str
    network: str
    strategy: str
    started_ms: int
    stopped_ms: int | None
    exit_reason: str
    event_count: int = 0


class RunsResult(msgspec.Struct, frozen=True, tag="runs"):
    runs: list[RunView]


class RunShowResult(msgspec.Struct, frozen=True, tag="run"):
    run: RunView
    counts: dict[str, int]  # events by kind


class RunEventView(msgspec.Struct, frozen=True):
    id: int
    ts_ms: int
    kind: str
    data: str  # the typed event as JSON


class RunEventsResult(msgspec.Struct, frozen=True, tag="run_events"):
    run_id: str
    events: list[RunEventView]


class PositionView(msgspec.Struct, frozen=True):
    symbol: str
    side: str
    size: float
    avg_entry: float
    mark: float
    notional: float
    unrealized_pnl: float
    realized_pnl: float
    mark_age_ms: int | None


class PortfolioView(msgspec.Struct, frozen=True):
    ts_ms: int
    quote_currency: str
    cash: float
    free_quote: float
    equity: float
    total_exposure: float
    realized_pnl: float
    unrealized_pnl: float
    daily_pnl: float
    day_key: str
    day_start_equity: float
    peak_equity: float
    drawdown_pct: float
    positions: list[PositionView]
    max_mark_age_ms: int | None = None


class RuleView(msgspec.Struct, frozen=True):
    """One limit as it stands: value used, limit, headroom, status."""

    rule: str
    symbol: str
    limit: float
    value: float | None
    headroom: float | None = None
    usage_pct: float | None = None
    status: str = ""


class PortfolioResult(msgspec.Struct, frozen=True, tag="portfolio"):
    current: PortfolioView | None
    risk: list[RuleView] | None = None
    history: list[PortfolioView] = []


class RiskResult(msgspec.Struct, frozen=True, tag="risk"):
    limits: list[str]  # effective limits with where each came from
    usage: list[RuleView]
    reopen_phase: str
    reopen_scale: float
    next_step_at_ms: int | None
    release_allowed_at_ms: int | None
    held_reload: list[str]  # limit keys waiting for approve-reload


class ViolationView(msgspec.Struct, frozen=True):
    at_ms: int
    rule: str
    code: str
    symbol: str
    limit: float
    value: float | None
    subject: str
    detail: str
    action: str


class ViolationsResult(msgspec.Struct, frozen=True, tag="violations"):
    violations: list[ViolationView]


class AlertView(msgspec.Struct, frozen=True):
    id: str
    at_ms: int
    level: str
    code: str
    title: str
    message: str
    count: int
    resolved: bool
    runbook: str
    acked_at_ms: int | None = None
    acked_by: str = ""


class AlertsResult(msgspec.Struct, frozen=True, tag="alerts"):
    alerts: list[AlertView]


class DeliveryView(msgspec.Struct, frozen=True):
    sink: str
    status: str
    attempt: int
    error: str = ""
    duration_ms: int = 0


class AlertsTestResult(msgspec.Struct, frozen=True, tag="alerts_test"):
    deliveries: list[DeliveryView]


class StrategyPreviewResult(msgspec.Struct, frozen=True, tag="orders_preview"):
    strategy: str
    decisions: list[OrderDecision]


class StageChangeView(msgspec.Struct, frozen=True):
    """One move of the stage: promote, degrade, a start that changed it, a live approval."""

    at_ms: int
    previous: str
    stage: str
    kind: str
    reason: str
    uid: int
    run_id: str


class StageResult(msgspec.Struct, frozen=True, tag="stage"):
    stage: str
    configured: str  # run.mode in the config file
    max_stage: str  # highest stage reachable in this daemon
    since_ms: int
    next_stage: str  # "" at the top
    history: list[StageChangeView]
    live_approval: str = ""  # a pending approval to live, in words


class PromotionResult(msgspec.Struct, frozen=True, tag="promotion"):
    """A promotion or degrade: the checklist and what was done (``applied``)."""

    kind: str  # promote / degrade
    previous: str
    target: str
    applied: bool
    check_only: bool
    checks: list[Check]
    actions: list[str]  # what the switch did, in order
    approval: str = ""  # live: where the approved promotion was recorded


class ChecklistResult(msgspec.Struct, frozen=True, tag="checklist"):
    """A check preset: each check with level, value and hint; ``passed`` when none failed."""

    preset: str
    passed: bool
    checks: list[Check]
    report_command: str = ""  # end-of-day: the command that writes the day's report


class DrillView(msgspec.Struct, frozen=True):
    id: int
    scenario: str
    title: str
    started_ms: int
    ended_ms: int
    passed: bool
    summary: str
    checks: list[DrillCheck]  # the drill log's own record, one definition
    version: str = ""


class DrillsResult(msgspec.Struct, frozen=True, tag="drills"):
    drills: list[DrillView]


AnyResult = (
    HealthResult
    | StatusResult
    | StateResult
    | AuditResult
    | OrderResult
    | OrdersResult
    | CancelResultView
    | RunsResult
    | RunShowResult
    | RunEventsResult
    | PortfolioResult
    | RiskResult
    | ViolationsResult
    | AlertsResult
    | AlertsTestResult
    | StrategyPreviewResult
    | DrillsResult
    | StageResult
    | PromotionResult
    | ChecklistResult
)


class ErrorInfo(msgspec.Struct, frozen=True):
    """A refusal or failure. ``code`` is stable: runbooks and scripts match on it."""

    code: str
    message: str
    hint: str = ""


class Reply(msgspec.Struct, frozen=True):
    ok: bool
    mode: str
    network: str
    result: AnyResult | None = None
    error: ErrorInfo | None = None
    version: int = PROTOCOL_VERSION


# --- framing -------------------------------------------------------------------------------

_encoder = msgspec.msgpack.Encoder()
request_decoder = msgspec.msgpack.Decoder(AnyRequest)
reply_decoder = msgspec.msgpack.Decoder(Reply)


class FrameError(Exception):
    """A frame that cannot be accepted; ``code`` goes into the error reply."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def encode_frame(message: msgspec.Struct) -> bytes:
    """Length-prefixed msgpack."""
    body = _encoder.encode(message)
    if len(body) > MAX_FRAME_BYTES:
        raise FrameError("frame.too_large", f"message of {len(body)} bytes exceeds the limit")
    return HEADER.pack(len(body)) + body


def frame_length(header: bytes) -> int:
    """Validate a frame header; the body is read only when this returns."""
    (length,) = HEADER.unpack(header)
    if length == 0:
        raise FrameError("frame.empty", "frame length is 0")
    if length > MAX_FRAME_BYTES:
        raise FrameError(
            "frame.too_large", f"frame of {length} bytes exceeds {MAX_FRAME_BYTES} bytes"
        )
    return int(length)


def decode_request(body: bytes) -> AnyRequest:
    """Decode a request body, classifying what is wrong with it."""
    try:
        return request_decoder.decode(body)
    except msgspec.ValidationError as exc:
        text = str(exc)
        if "`$.cmd`" in text or "missing required field `cmd`" in text:
            raise FrameError("request.unknown_command", f"unknown command: {text}") from None
        raise FrameError("request.invalid", f"invalid request: {text}") from None
    except msgspec.DecodeError as exc:
        raise FrameError("frame.bad_encoding", f"not a msgpack message: {exc}") from None


def command_name(request: Request) -> str:
    """The wire tag of a request, e.g. ``kill``."""
    config = request.__struct_config__
    return str(config.tag)
