"""ptctl risk, portfolio and order preview/submit against a daemon on the simulator."""

from __future__ import annotations

import json
import signal
import sqlite3
from collections.abc import Callable

from peaktrade.control.protocol import (
    AuditQuery,
    AuditResult,
    Kill,
    OrderPreview,
    OrderResult,
    OrderSpec,
    OrderSubmit,
    RiskQuery,
    RiskResult,
    Status,
    StatusResult,
)
from tests.support import BASE_CONFIG, DaemonProcess, run_ptctl, wait_for

LIMITS = """
[live_risk]
max_order_notional = 1000
max_symbol_exposure_notional = 5000
max_total_exposure_notional = 8000
"""


def ready(d: DaemonProcess) -> DaemonProcess:
    def reconciled() -> bool:
        r = d.ask(Status()).result
        return isinstance(r, StatusResult) and r.reconciled

    wait_for(reconciled)
    return d


def ptctl(d: DaemonProcess, *args: str) -> dict:  # type: ignore[type-arg]
    result = run_ptctl("--socket", str(d.socket), *args, "--json")
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def orders_in_journal(d: DaemonProcess) -> int:
    db = sqlite3.connect(d.state_dir / "peaktrade-sim.sqlite3")
    return int(db.execute("SELECT COUNT(*) FROM orders").fetchone()[0])


def test_preview_shows_every_check_and_has_no_side_effect(
    make_daemon: Callable[..., DaemonProcess],
) -> None:
    d = ready(make_daemon(BASE_CONFIG + LIMITS).start())
    before = orders_in_journal(d)
    reply = d.ask(OrderPreview(order=OrderSpec(symbol="BTC/USDT", side="buy", qty=1.0)))
    assert isinstance(reply.result, OrderResult) and not reply.result.submitted
    (decision,) = reply.result.decisions
    assert not decision.allowed
    failed = {c.code for c in decision.checks if not c.passed}
    assert "risk.max_order_notional" in failed
    rules = {c.rule for c in decision.checks}
    assert {"trading_state", "fresh_quote", "max_order_notional", "price_band_pct"} <= rules
    assert orders_in_journal(d) == before  # nothing journaled, nothing sent
    assert ptctl(d, "risk", "violations")["result"]["violations"] == []  # nor recorded
    codes = [a["code"] for a in ptctl(d, "alerts")["result"]["alerts"]]
    assert "risk.order_violation" not in codes  # nor alerted


def test_submit_is_refused_when_halted(make_daemon: Callable[..., DaemonProcess]) -> None:
    d = ready(make_daemon(BASE_CONFIG + LIMITS).start())
    d.ask(Kill(reason="test"))
    result = run_ptctl(
        "--socket",
        str(d.socket),
        "order",
        "submit",
        "--symbol",
        "BTC/USDT",
        "--side",
        "buy",
        "--qty",
        "0.001",
    )
    assert result.returncode == 1
    assert "state.halted" in result.stdout + result.stderr


def test_portfolio_shows_positions_and_risk(make_daemon: Callable[..., DaemonProcess]) -> None:
    d = ready(make_daemon(BASE_CONFIG + LIMITS).start())
    d.ask(OrderSubmit(order=OrderSpec(symbol="BTC/USDT", side="buy", qty=0.01)))
    data = ptctl(d, "portfolio")["result"]
    (pos,) = data["current"]["positions"]
    assert pos["symbol"] == "BTC/USDT" and pos["side"] == "long" and pos["size"] > 0
    assert data["current"]["equity"] > 0
    assert any(r["rule"] == "max_total_exposure_notional" for r in data["risk"])
    what_if = ptctl(d, "portfolio", "--starting-cash", "1000", "--no-risk")["result"]
    assert what_if["risk"] is None
    assert what_if["current"]["cash"] < 1000  # the same fill, valued against 1000 USDT


def test_portfolio_history(make_daemon: Callable[..., DaemonProcess]) -> None:
    config = BASE_CONFIG + "\n[portfolio]\nsnapshot_interval_s = 0.2\n"
    d = ready(make_daemon(config).start())
    wait_for(lambda: len(ptctl(d, "portfolio", "--history")["result"]["history"]) >= 3)


def test_risk_shows_limits_usage_and_headroom(make_daemon: Callable[..., DaemonProcess]) -> None:
    d = ready(make_daemon(BASE_CONFIG + LIMITS).start())
    reply = d.ask(RiskQuery())
    assert isinstance(reply.result, RiskResult)
    assert any(line.startswith("max_order_notional = 1000") for line in reply.result.limits)
    usage = {r.rule: r for r in reply.result.usage}
    assert usage["max_total_exposure_notional"].headroom == 8000
    assert reply.result.reopen_phase == "normal"
    text = run_ptctl("--socket", str(d.socket), "risk").stdout
    assert "headroom" in text and "max_total_exposure_notional" in text


def test_blocked_order_is_a_persisted_violation(make_daemon: Callable[..., DaemonProcess]) -> None:
    d = ready(make_daemon(BASE_CONFIG + LIMITS).start())
    d.ask(OrderSubmit(order=OrderSpec(symbol="BTC/USDT", side="buy", qty=1.0)))
    found = ptctl(d, "risk", "violations", "--since", "10m")["result"]["violations"]
    assert {v["code"] for v in found} >= {"risk.max_order_notional"}
    assert all(v["action"] == "blocked" and v["subject"] == "order" for v in found)


def test_loosening_reload_waits_for_approval(make_daemon: Callable[..., DaemonProcess]) -> None:
    d = ready(make_daemon(BASE_CONFIG + LIMITS).start())
    d.config.write_text(
        d.config.read_text()
        .replace("max_order_notional = 1000", "max_order_notional = 2000")  # +100 %: held
        .replace("max_total_exposure_notional = 8000", "max_total_exposure_notional = 7000")
    )
    d.signal(signal.SIGHUP)
    wait_for(lambda: '"event": "config_reloaded"' in d.log())

    def limit_line(key: str) -> str:
        reply = d.ask(RiskQuery())
        assert isinstance(reply.result, RiskResult)
        return next(line for line in reply.result.limits if line.startswith(key))

    assert limit_line("max_total_exposure_notional").startswith(
        "max_total_exposure_notional = 7000"
    )  # tightening applies at once
    reply = d.ask(RiskQuery())
    assert isinstance(reply.result, RiskResult)
    assert any("max_order_notional" in h for h in reply.result.held_reload)
    preview = d.ask(OrderPreview(order=OrderSpec(symbol="BTC/USDT", side="buy", qty=0.02)))
    assert isinstance(preview.result, OrderResult)
    assert not preview.result.decisions[0].allowed  # ~1300 USDT: still over the held 1000

    approved = run_ptctl(
        "--socket", str(d.socket), "risk", "approve-reload", "--reason", "reviewed"
    )
    assert approved.returncode == 0, approved.stderr
    preview = d.ask(OrderPreview(order=OrderSpec(symbol="BTC/USDT", side="buy", qty=0.02)))
    assert isinstance(preview.result, OrderResult) and preview.result.decisions[0].allowed
    again = run_ptctl("--socket", str(d.socket), "risk", "approve-reload", "--reason", "twice")
    assert again.returncode == 1 and "risk.no_pending_reload" in again.stderr

    audit = d.ask(AuditQuery(limit=20))
    assert isinstance(audit.result, AuditResult)
    entries = [(e.command, e.outcome) for e in audit.result.entries]
    assert ("reload", "held:risk.reload_needs_approval") in entries
    assert ("reload", "ok") in entries
    assert ("risk_approve_reload", "ok") in entries
