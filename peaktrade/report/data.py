"""Everything the report shows about one run, read from the state database in one pass.

The run log gives orders, fills, latch moves, alerts, risk and reconciliation events; the
portfolio history (equity, drawdown, exposure) and the violations table are read over the
run's time window. Tables keep the newest ``TABLE_ROWS`` with the full counts beside them, so a
run of any length makes a report of bounded size.
"""

from __future__ import annotations

import sqlite3
from collections import Counter, deque
from pathlib import Path

import msgspec

from peaktrade.core.portfolio import LivePortfolioSnapshot
from peaktrade.core.risk_violations import Violation
from peaktrade.runlog import events as ev
from peaktrade.store import runs, violations

TABLE_ROWS = 500
TIMELINE_POINTS = 5000  # alert markers drawn at most
_KINDS = ("order", "fill", "state", "kill", "alert", "risk", "reconcile", "event")
_snapshot_decoder = msgspec.json.Decoder(LivePortfolioSnapshot)


class ReportError(Exception):
    """Why no report could be made; ``code`` is stable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class Series(msgspec.Struct, kw_only=True):
    times: list[int] = msgspec.field(default_factory=list)  # ms
    values: list[float] = msgspec.field(default_factory=list)

    def add(self, t: int, v: float) -> None:
        self.times.append(t)
        self.values.append(v)


class SymbolSummary(msgspec.Struct, kw_only=True):
    symbol: str
    fills: int = 0
    bought: float = 0.0
    sold: float = 0.0
    notional: float = 0.0
    fees: dict[str, float] = msgspec.field(default_factory=dict)


class Portfolio(msgspec.Struct, kw_only=True):
    quote_currency: str = ""
    equity: Series = msgspec.field(default_factory=Series)
    drawdown: Series = msgspec.field(default_factory=Series)  # percent below the peak, <= 0
    total_exposure: Series = msgspec.field(default_factory=Series)
    exposure: dict[str, Series] = msgspec.field(default_factory=dict)
    first: LivePortfolioSnapshot | None = None
    last: LivePortfolioSnapshot | None = None
    max_drawdown_pct: float = 0.0


class RunData(msgspec.Struct, kw_only=True):
    meta: ev.LiveRunMetadata
    start_ms: int
    end_ms: int
    counts: dict[str, int]
    orders: list[tuple[int, ev.OrderChanged]]  # each order as it last stood, newest first
    order_count: int
    orders_by_state: dict[str, int]
    fills: list[tuple[int, ev.FillRecorded]]  # newest first
    fill_count: int
    symbols: list[SymbolSummary]
    transitions: list[tuple[int, ev.StateChanged | ev.KillEngaged]]  # oldest first
    alerts: list[tuple[int, ev.AlertRaised]]  # newest first
    alert_count: int
    alerts_by_level: dict[str, int]
    alert_marks: list[tuple[int, str]]  # (time, level) for the timeline, thinned
    risk: list[tuple[int, ev.RiskDecision]]  # newest first
    risk_count: int
    risk_by_code: dict[str, int]
    reconciles: list[tuple[int, ev.Reconciled]]
    notices_by_code: dict[str, int]
    violations: list[Violation]  # newest first
    violation_count: int
    violations_by_rule: dict[str, int]
    portfolio: Portfolio


def open_readonly(path: Path) -> sqlite3.Connection:
    """The daemon may be running: read through WAL, never write, never create."""
    if not path.exists():
        raise ReportError("report.no_database", f"no state database at {path}")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10.0)
    conn.execute("PRAGMA busy_timeout=10000")
    return conn


def load(conn: sqlite3.Connection, run_ref: str, now_ms: int) -> RunData:
    """``run_ref``: a run id, or ``latest``."""
    try:
        run_id = runs.latest_run_id(conn) if run_ref in ("latest", "current") else run_ref
        meta = runs.get_run(conn, run_id) if run_id else None
    except sqlite3.OperationalError as exc:
        raise ReportError("report.no_run_log", f"this database has no run log ({exc})") from None
    if meta is None:
        raise ReportError("report.run_not_found", f"no run {run_ref!r} (ptctl runs lists them)")
    start = meta.started_ms
    end = meta.stopped_ms if meta.stopped_ms is not None else now_ms
    data = _events(conn, meta, start, end)
    data.portfolio = _portfolio(conn, start, end)
    found = [v for v in violations.since(conn, start, limit=10_000_000) if v.at_ms <= end]
    data.violations = found[:TABLE_ROWS]
    data.violation_count = len(found)
    data.violations_by_rule = dict(Counter(v.rule for v in found).most_common())
    return data


def _events(conn: sqlite3.Connection, meta: ev.LiveRunMetadata, start: int, end: int) -> RunData:
    last_order: dict[str, tuple[int, ev.OrderChanged]] = {}
    fills: deque[tuple[int, ev.FillRecorded]] = deque(maxlen=TABLE_ROWS)
    alerts: deque[tuple[int, ev.AlertRaised]] = deque(maxlen=TABLE_ROWS)
    risk: deque[tuple[int, ev.RiskDecision]] = deque(maxlen=TABLE_ROWS)
    transitions: list[tuple[int, ev.StateChanged | ev.KillEngaged]] = []
    reconciles: list[tuple[int, ev.Reconciled]] = []
    marks: list[tuple[int, str]] = []
    symbols: dict[str, SymbolSummary] = {}
    by_level: Counter[str] = Counter()
    by_code: Counter[str] = Counter()
    notices: Counter[str] = Counter()
    fill_count = risk_count = 0
    decode = ev.body_decoder.decode
    for ts, _, raw in runs.iter_events(conn, meta.run_id, _KINDS):
        body = decode(raw)
        if isinstance(body, ev.OrderChanged):
            last_order[body.client_order_id] = (ts, body)
        elif isinstance(body, ev.FillRecorded):
            fill_count += 1
            fills.append((ts, body))
            _add_fill(symbols, body)
        elif isinstance(body, ev.StateChanged | ev.KillEngaged):
            transitions.append((ts, body))
        elif isinstance(body, ev.AlertRaised):
            alerts.append((ts, body))
            by_level[body.level] += 1
            marks.append((ts, body.level))
        elif isinstance(body, ev.RiskDecision):
            risk_count += 1
            risk.append((ts, body))
            by_code[body.rule or body.code] += 1
        elif isinstance(body, ev.Reconciled):
            reconciles.append((ts, body))
        elif isinstance(body, ev.DaemonNotice):
            notices[body.code] += 1
    orders = sorted(last_order.values(), key=lambda o: o[0], reverse=True)
    step = max(1, len(marks) // TIMELINE_POINTS)
    return RunData(
        meta=meta,
        start_ms=start,
        end_ms=end,
        counts=runs.kind_counts(conn, meta.run_id),
        orders=orders[:TABLE_ROWS],
        order_count=len(orders),
        orders_by_state=dict(Counter(o.state for _, o in orders).most_common()),
        fills=list(reversed(fills)),
        fill_count=fill_count,
        symbols=sorted(symbols.values(), key=lambda s: -s.notional),
        transitions=transitions[-TABLE_ROWS:],
        alerts=list(reversed(alerts)),
        alert_count=sum(by_level.values()),
        alerts_by_level=dict(by_level.most_common()),
        alert_marks=marks[::step],
        risk=list(reversed(risk)),
        risk_count=risk_count,
        risk_by_code=dict(by_code.most_common()),
        reconciles=reconciles[-TABLE_ROWS:],
        notices_by_code=dict(notices.most_common()),
        violations=[],
        violation_count=0,
        violations_by_rule={},
        portfolio=Portfolio(),
    )


def _add_fill(symbols: dict[str, SymbolSummary], f: ev.FillRecorded) -> None:
    s = symbols.get(f.symbol)
    if s is None:
        s = symbols[f.symbol] = SymbolSummary(symbol=f.symbol)
    s.fills += 1
    if f.side == "buy":
        s.bought += f.qty
    else:
        s.sold += f.qty
    s.notional += f.qty * f.price
    s.fees[f.fee_currency] = s.fees.get(f.fee_currency, 0.0) + f.fee


def _portfolio(conn: sqlite3.Connection, start: int, end: int) -> Portfolio:
    """Snapshots the portfolio monitor kept during the run (``portfolio_snapshots``, read in
    the window here: store.portfolio_history reads from a time on, without an end)."""
    out = Portfolio()
    try:
        rows = conn.execute(
            "SELECT CAST(body AS BLOB) FROM portfolio_snapshots"
            " WHERE at_ms >= ? AND at_ms <= ? ORDER BY at_ms, id",
            (start, end),
        )
    except sqlite3.OperationalError:
        return out  # a database from before the portfolio monitor
    peak = 0.0
    for (body,) in rows:
        s = _snapshot_decoder.decode(bytes(body))
        if out.first is None:
            out.first = s
            out.quote_currency = s.quote_currency
        out.last = s
        peak = max(peak, s.equity)
        drawdown = (s.equity - peak) / peak * 100.0 if peak > 0 else 0.0
        out.max_drawdown_pct = max(out.max_drawdown_pct, -drawdown)
        out.equity.add(s.ts_ms, s.equity)
        out.drawdown.add(s.ts_ms, drawdown)
        out.total_exposure.add(s.ts_ms, s.total_exposure)
        held = {p.symbol: p.notional for p in s.positions}
        for symbol in held.keys() | out.exposure.keys():
            series = out.exposure.get(symbol)
            if series is None:  # first seen now: it was flat before
                series = out.exposure[symbol] = Series()
                if len(out.equity.times) > 1:
                    series.add(out.equity.times[-2], 0.0)
            series.add(s.ts_ms, held.get(symbol, 0.0))
    return out
