"""The report as one self-contained HTML page: inline style, inline SVG, no script, no link.

Every text from the database is escaped; charts come from charts.py. Tables show the newest
rows with the full count beside them.
"""

from __future__ import annotations

import html
import time
from collections.abc import Sequence

from peaktrade.report import charts
from peaktrade.report.data import RunData
from peaktrade.runlog.events import KillEngaged

OPEN_ROWS = 25  # tables up to this long are shown unfolded

_STYLE = """
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
color:#1d2330;background:#f4f5f7}
header{background:#1d2330;color:#fff;padding:1rem 1.5rem}
header h1{margin:0 0 .3rem;font-size:1.3rem}
header .meta{color:#b8bfcc;font-size:.85rem}
main{padding:1rem 1.5rem;max-width:1200px}
section{background:#fff;border:1px solid #e3e6ec;border-radius:8px;padding:.8rem 1rem;
margin:0 0 1rem}
h2{font-size:1rem;margin:0 0 .6rem;text-transform:uppercase;letter-spacing:.04em;color:#6b7385}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(180px,1fr));gap:.6rem}
.card{border:1px solid #e3e6ec;border-radius:6px;padding:.5rem .7rem}
.card b{display:block;font-size:1.15rem}
.card span{color:#6b7385;font-size:.8rem}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums;font-size:.85rem}
th,td{text-align:left;padding:.2rem .4rem;border-bottom:1px solid #e3e6ec;vertical-align:top}
th{color:#6b7385;font-weight:600}
td.n{text-align:right}
.note{color:#6b7385;font-size:.8rem;margin:.3rem 0}
.CRITICAL,.HALTED,.neg{color:#c5221f;font-weight:600}
.WARNING,.REDUCING{color:#c77700;font-weight:600}
.pos{color:#1e8e3e}
svg{max-width:100%;height:auto}
summary{cursor:pointer;color:#6b7385;font-size:.8rem;margin:.2rem 0}
"""


def render(data: RunData, generated_ms: int) -> str:
    m = data.meta
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>peaktrade run {_e(m.run_id)}</title><style>{_STYLE}</style></head><body>",
        "<header>",
        f"<h1>peaktrade run {_e(m.run_id)} &middot; {_e(m.mode)}@{_e(m.network)}</h1>",
        '<div class="meta">'
        + " &middot; ".join(
            _e(x)
            for x in (
                f"account {m.account}",
                f"version {m.version}",
                f"commit {m.git_commit[:12] or 'unknown'}",
                f"config {m.config_digest}",
                f"strategy {m.strategy}",
                f"pid {m.pid}",
            )
        )
        + "</div>",
        '<div class="meta">'
        + _e(
            f"{_when(m.started_ms)} to {_when(m.stopped_ms) if m.stopped_ms else 'still running'}"
            f" ({_duration(data.end_ms - data.start_ms)}), exit: {m.exit_reason or 'running'}"
            f" · report generated {_when(generated_ms)}"
        )
        + "</div>",
        "</header><main>",
        _summary(data),
        _chart("Equity", charts.equity(data), "no portfolio snapshots in this run"),
        _chart(
            "Drawdown",
            charts.drawdown(data),
            "no portfolio snapshots in this run",
            "Fall from the run's own equity peak.",
        ),
        _chart("Exposure per symbol", charts.exposure(data), "no open exposure during this run"),
        _chart(
            "Alerts timeline",
            charts.timeline(data),
            "no alerts and no trading-state changes",
            "Alerts by level; vertical lines are trading-state changes (red: kill).",
        ),
        _transitions(data),
        _orders(data),
        _fills(data),
        _violations(data),
        _risk(data),
        _alerts(data),
        _other(data),
        "</main></body></html>",
    ]
    return "\n".join(parts)


def _summary(d: RunData) -> str:
    p = d.portfolio
    cards = [
        ("events", f"{d.meta.event_count:,}", f"{d.meta.events_lost:,} lost"),
        ("orders", f"{d.order_count:,}", _counts(d.orders_by_state)),
        ("fills", f"{d.fill_count:,}", f"{sum(s.notional for s in d.symbols):,.2f} notional"),
        ("alerts", f"{d.alert_count:,}", _counts(d.alerts_by_level)),
        ("risk decisions", f"{d.risk_count:,}", f"{d.violation_count:,} violations recorded"),
        (
            "kills / state changes",
            f"{sum(1 for _, t in d.transitions if isinstance(t, KillEngaged))}"
            f" / {len(d.transitions)}",
            "",
        ),
    ]
    if p.first is not None and p.last is not None:
        change = p.last.equity - p.first.equity
        pct = change / p.first.equity * 100 if p.first.equity else 0.0
        cards += [
            ("equity", f"{p.last.equity:,.2f}", f"{change:+,.2f} ({pct:+.2f} %) over the run"),
            ("max drawdown", f"{p.max_drawdown_pct:.2f} %", "from the run's peak"),
            (
                "realized PnL",
                f"{p.last.realized_pnl - p.first.realized_pnl:+,.2f}",
                f"{p.quote_currency}, this run",
            ),
        ]
    body = "".join(
        f'<div class="card"><span>{_e(k)}</span><b>{_e(v)}</b><span>{_e(sub)}</span></div>'
        for k, v, sub in cards
    )
    return f'<section><h2>Summary</h2><div class="cards">{body}</div></section>'


def _chart(title: str, svg: str, empty: str, note: str = "") -> str:
    inner = svg if svg else f'<p class="note">{_e(empty)}</p>'
    caption = f'<p class="note">{_e(note)}</p>' if note and svg else ""
    return f"<section><h2>{_e(title)}</h2>{inner}{caption}</section>"


def _transitions(d: RunData) -> str:
    rows = [
        (
            _when(ts),
            t.previous,
            "HALTED" if isinstance(t, KillEngaged) else t.state,
            t.reason,
            f"{t.source}" + (f" uid {t.uid}" if t.uid >= 0 else ""),
            ", ".join(
                f
                for f, on in (
                    ("cancel-open", getattr(t, "cancel_open", False)),
                    ("flatten", getattr(t, "flatten", False)),
                )
                if on
            ),
        )
        for ts, t in d.transitions
    ]
    return _table(
        "Trading-state changes and kills",
        ("time", "from", "to", "reason", "by", "actions"),
        rows,
        len(d.transitions),
        state_column=2,
    )


def _orders(d: RunData) -> str:
    rows = [
        (
            _when(ts),
            o.client_order_id,
            o.symbol,
            o.side,
            o.type,
            _num(o.qty),
            _num(o.price),
            o.state,
            _num(o.filled_qty),
            _num(o.avg_fill_price),
            o.reason,
        )
        for ts, o in d.orders
    ]
    head = (
        "last change",
        "client id",
        "symbol",
        "side",
        "type",
        "qty",
        "price",
        "state",
        "filled",
        "avg price",
        "reason",
    )
    return _table("Orders (as each last stood)", head, rows, d.order_count)


def _fills(d: RunData) -> str:
    per_symbol = _table(
        "Fills by symbol",
        ("symbol", "fills", "bought", "sold", "notional", "fees"),
        [
            (
                s.symbol,
                f"{s.fills:,}",
                _num(s.bought),
                _num(s.sold),
                f"{s.notional:,.2f}",
                ", ".join(f"{v:.6g} {k}" for k, v in s.fees.items()),
            )
            for s in d.symbols
        ],
        len(d.symbols),
    )
    rows = [
        (
            _when(ts),
            f.symbol,
            f.side,
            _num(f.qty),
            _num(f.price),
            f"{f.fee:.6g} {f.fee_currency}",
            f.client_order_id,
            f.trade_id,
        )
        for ts, f in d.fills
    ]
    head = ("time", "symbol", "side", "qty", "price", "fee", "order", "trade id")
    return per_symbol + _table("Fills", head, rows, d.fill_count)


def _violations(d: RunData) -> str:
    rows = [
        (
            _when(v.at_ms),
            v.rule,
            v.code,
            v.symbol,
            _num(v.limit),
            _num(v.value),
            v.subject,
            v.action,
        )
        for v in d.violations
    ]
    head = ("time", "rule", "code", "symbol", "limit", "value", "subject", "action")
    by_rule = _counts(d.violations_by_rule)
    return _table("Risk violations", head, rows, d.violation_count, note=by_rule)


def _risk(d: RunData) -> str:
    rows = [
        (
            _when(ts),
            r.level,
            r.code,
            r.symbol,
            r.rule,
            "" if r.allowed is None else ("allowed" if r.allowed else "refused"),
            r.message,
        )
        for ts, r in d.risk
    ]
    head = ("time", "level", "code", "symbol", "rules", "order", "message")
    return _table(
        "Risk decisions", head, rows, d.risk_count, level_column=1, note=_counts(d.risk_by_code)
    )


def _alerts(d: RunData) -> str:
    rows = [
        (
            _when(ts),
            a.level + (" (resolved)" if a.resolved else ""),
            a.code,
            a.title,
            a.message,
            ", ".join(a.routed),
        )
        for ts, a in d.alerts
    ]
    head = ("time", "level", "code", "title", "message", "sinks")
    return _table("Alerts", head, rows, d.alert_count, level_column=1)


def _other(d: RunData) -> str:
    recon = _table(
        "Reconciliation",
        ("time", "level", "code", "message"),
        [(_when(ts), r.level, r.code, r.message) for ts, r in d.reconciles],
        len(d.reconciles),
        level_column=1,
    )
    events = _table(
        "Other events by code",
        ("code", "count"),
        [(code, f"{n:,}") for code, n in d.notices_by_code.items()],
        len(d.notices_by_code),
    )
    return recon + events


# --- pieces ----------------------------------------------------------------------------------


def _table(
    title: str,
    head: Sequence[str],
    rows: Sequence[Sequence[str]],
    total: int,
    *,
    note: str = "",
    level_column: int | None = None,
    state_column: int | None = None,
) -> str:
    shown = f"newest {len(rows):,} of {total:,}" if total > len(rows) else f"{total:,}"
    out = [f"<section><h2>{_e(title)} <small>({shown})</small></h2>"]
    if note:
        out.append(f'<p class="note">{_e(note)}</p>')
    if not rows:
        out.append('<p class="note">none</p></section>')
        return "".join(out)
    # long tables start folded (no script needed): the page stays navigable at any run length
    out.append("<details open>" if len(rows) <= OPEN_ROWS else "<details>")
    out.append(f"<summary>{len(rows):,} row{'s' if len(rows) != 1 else ''}</summary>")
    out.append("<table><thead><tr>" + "".join(f"<th>{_e(h)}</th>" for h in head) + "</tr></thead>")
    out.append("<tbody>")
    marked = level_column if level_column is not None else state_column
    for row in rows:
        cells = []
        for i, value in enumerate(row):
            cls = _e(value.split(" ")[0]) if i == marked and value else ""
            cells.append(f'<td class="{cls}">{_e(value)}</td>' if cls else f"<td>{_e(value)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table></details></section>")
    return "".join(out)


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v:,}" for k, v in counts.items())


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _num(x: float | None) -> str:
    return "" if x is None else f"{x:.8g}"


def _when(ms: int | None) -> str:
    return "" if ms is None else time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(ms / 1000))


def _duration(ms: int) -> str:
    seconds = max(0, ms // 1000)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}h {rest // 60:02d}m {rest % 60:02d}s"
