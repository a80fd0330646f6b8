"""Promote and degrade a real daemon: checks, the executor switch, persistence, the record."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import pytest

from peaktrade.control.protocol import (
    AlertsQuery,
    AlertsResult,
    AuditQuery,
    AuditResult,
    Degrade,
    Kill,
    OrderResult,
    OrderSpec,
    OrderSubmit,
    PortfolioQuery,
    PortfolioResult,
    PortfolioView,
    Promote,
    PromotionResult,
    Reply,
    RunEventsQuery,
    RunEventsResult,
    StageQuery,
    StageResult,
    Status,
    StatusResult,
)
from tests.support import BASE_CONFIG, DaemonProcess, run_ptctl, wait_for

EASY = """
[stages]
max_stage = "testnet"
[stages.promotion]
min_time_in_stage_s = 0
min_orders = 0
[live_risk]
price_band_pct = 99.0
"""
SHADOW = BASE_CONFIG.replace('mode = "paper"', 'mode = "shadow"') + EASY
PAPER = BASE_CONFIG + EASY
RESTING = OrderSpec(symbol="BTC/USDT", side="buy", qty=0.001, type="limit", price=1000.0)
MARKET = OrderSpec(symbol="BTC/USDT", side="buy", qty=0.001)


def promotion(reply: Reply) -> PromotionResult:
    assert reply.ok, reply.error
    assert isinstance(reply.result, PromotionResult)
    return reply.result


def stage_of(daemon: DaemonProcess) -> StageResult:
    result = daemon.ask(StageQuery()).result
    assert isinstance(result, StageResult)
    return result


def status(daemon: DaemonProcess) -> tuple[str, StatusResult]:
    reply = daemon.ask(Status())
    assert isinstance(reply.result, StatusResult)
    return reply.mode, reply.result


def submit(daemon: DaemonProcess, spec: OrderSpec) -> str:
    result = daemon.ask(OrderSubmit(order=spec)).result
    assert isinstance(result, OrderResult) and result.decisions[0].order is not None
    return result.decisions[0].order.client_order_id


def executor_of(daemon: DaemonProcess, cid: str) -> tuple[str, str]:
    db = sqlite3.connect(daemon.state_dir / "peaktrade-sim.sqlite3")
    row = db.execute("SELECT executor, state FROM orders WHERE client_order_id = ?", (cid,))
    return row.fetchone()


def test_promotion_switches_the_running_daemon_and_survives_a_restart(
    make_daemon: Callable[..., DaemonProcess],
) -> None:
    daemon = make_daemon(SHADOW).start()
    result = promotion(daemon.ask(Promote(to="paper", reason="shadow looked right")))
    assert result.applied and "executor: shadow -> paper" in result.actions
    assert status(daemon)[0] == "paper"
    daemon.stop()
    daemon.start()
    assert status(daemon)[0] == "paper"
    view = stage_of(daemon)
    assert (view.stage, view.configured) == ("paper", "shadow")
    assert view.history[0].kind == "promote" and view.history[0].reason == "shadow looked right"


def test_a_promotion_its_checks_refuse_moves_nothing(
    make_daemon: Callable[..., DaemonProcess],
) -> None:
    daemon = make_daemon(SHADOW.replace("min_orders = 0", "min_orders = 5")).start()
    done = run_ptctl("--socket", str(daemon.socket), "promote", "--to", "paper", "-r", "too soon")
    assert done.returncode == 1
    assert "REFUSED by its checks" in done.stdout
    assert "[FAIL] orders" in done.stdout and "0 of 5" in done.stdout
    assert status(daemon)[0] == "shadow"
    audit = daemon.ask(AuditQuery(limit=1)).result
    assert isinstance(audit, AuditResult)
    assert audit.entries[0].outcome == "refused:stage.checks_failed"


def test_check_only_prints_the_checklist_and_moves_nothing(
    make_daemon: Callable[..., DaemonProcess],
) -> None:
    daemon = make_daemon(PAPER).start()
    args = ("promote", "--to", "testnet", "--check-only", "-r", "?")
    done = run_ptctl("--socket", str(daemon.socket), *args)
    assert "(check only, nothing moved)" in done.stdout
    assert "time_in_stage" in done.stdout and "divergence" in done.stdout
    assert status(daemon)[0] == "paper"


def test_promotion_cancels_the_old_stages_orders_and_sends_new_ones_to_the_exchange(
    make_daemon: Callable[..., DaemonProcess],
) -> None:
    daemon = make_daemon(PAPER).start()
    resting = submit(daemon, RESTING)
    assert executor_of(daemon, resting) == ("paper", "open")
    result = promotion(daemon.ask(Promote(to="testnet", reason="paper was fine")))
    assert result.applied and "cancelled 1 open order(s) of paper" in result.actions
    assert executor_of(daemon, resting) == ("paper", "cancelled")
    mode, now = status(daemon)
    assert mode == "testnet" and now.reconciled
    sent = submit(daemon, MARKET)
    assert executor_of(daemon, sent)[0] == "exchange"


def test_refuse_policy_blocks_a_promotion_while_orders_are_open(
    make_daemon: Callable[..., DaemonProcess],
) -> None:
    daemon = make_daemon(PAPER.replace("[stages]\n", '[stages]\nopen_orders = "refuse"\n')).start()
    resting = submit(daemon, RESTING)
    result = promotion(daemon.ask(Promote(to="testnet", reason="go")))
    assert not result.applied
    assert [c.level for c in result.checks if c.name == "open_orders"] == ["fail"]
    assert executor_of(daemon, resting) == ("paper", "open")


def test_degrade_is_allowed_while_halted_and_is_audited(daemon: DaemonProcess) -> None:
    daemon.ask(Kill(reason="incident"))
    done = run_ptctl("--socket", str(daemon.socket), "degrade", "--to", "shadow", "-r", "incident")
    assert done.returncode == 0, done.stderr
    assert "degrade paper -> shadow: done" in done.stdout
    mode, now = status(daemon)
    assert (mode, now.state) == ("shadow", "HALTED")
    audit = daemon.ask(AuditQuery(limit=1)).result
    assert isinstance(audit, AuditResult)
    assert (audit.entries[0].command, audit.entries[0].outcome) == ("degrade", "ok")


def test_degrade_upwards_is_refused(daemon: DaemonProcess) -> None:
    done = run_ptctl("--socket", str(daemon.socket), "degrade", "--to", "testnet", "-r", "up?")
    assert done.returncode == 1 and "error stage.not_lower" in done.stderr


def test_a_degrade_survives_a_restart(make_daemon: Callable[..., DaemonProcess]) -> None:
    daemon = make_daemon(PAPER).start()
    promotion(daemon.ask(Degrade(to="shadow", reason="stop trading on paper")))
    daemon.stop()
    daemon.start()
    assert status(daemon)[0] == "shadow"


def test_a_lowered_max_stage_degrades_at_start_and_says_so(
    make_daemon: Callable[..., DaemonProcess],
) -> None:
    daemon = make_daemon(SHADOW).start()
    promotion(daemon.ask(Promote(to="paper", reason="up")))
    daemon.stop()
    daemon.config.write_text(SHADOW.replace('max_stage = "testnet"', 'max_stage = "shadow"'))
    daemon.start()
    assert status(daemon)[0] == "shadow"
    assert stage_of(daemon).history[0].kind == "degrade"

    def alerted() -> bool:
        found = daemon.ask(AlertsQuery(limit=20)).result
        assert isinstance(found, AlertsResult)
        return any(a.code == "stage.start_changed" for a in found.alerts)

    wait_for(alerted, timeout=10)


def test_promotion_to_live_records_an_approval_and_changes_nothing_here(
    make_daemon: Callable[..., DaemonProcess],
) -> None:
    config = BASE_CONFIG.replace('mode = "paper"', 'mode = "testnet"') + EASY.replace(
        'max_stage = "testnet"', 'live_from_networks = ["sim"]'
    )
    daemon = make_daemon(config).start()
    result = promotion(daemon.ask(Promote(to="live", reason="a month clean")))
    assert result.applied and result.approval.endswith("live-approval.json")
    assert (daemon.state_dir / "live-approval.json").exists()
    assert status(daemon)[0] == "testnet"
    assert stage_of(daemon).live_approval.startswith("approved by run")


def test_paper_slippage_is_measured_as_divergence_and_limits_the_promotion(
    make_daemon: Callable[..., DaemonProcess],
) -> None:
    config = PAPER + "[paper]\nslippage_bps = 60\n"
    daemon = make_daemon(config).start()
    submit(daemon, MARKET)
    submit(daemon, MARKET)

    def measured() -> PromotionResult | None:
        result = promotion(daemon.ask(Promote(to="testnet", reason="?", check_only=True)))
        (check,) = [c for c in result.checks if c.name == "divergence"]
        return result if "over 2 fill(s)" in check.value else None

    (check,) = [c for c in wait_for(measured, timeout=10).checks if c.name == "divergence"]
    assert check.level == "fail"
    assert float(check.value.split(" bps")[0]) >= 60  # slippage plus half the spread


def test_shadow_divergence_uses_what_paper_would_have_filled(
    make_daemon: Callable[..., DaemonProcess],
) -> None:
    daemon = make_daemon(SHADOW).start()
    submit(daemon, MARKET)

    def measured() -> bool:
        result = promotion(daemon.ask(Promote(to="paper", reason="?", check_only=True)))
        return any(c.name == "divergence" and "over 1 fill(s)" in c.value for c in result.checks)

    wait_for(measured, timeout=10)


def test_the_run_log_records_the_promotion(make_daemon: Callable[..., DaemonProcess]) -> None:
    daemon = make_daemon(SHADOW).start()
    promotion(daemon.ask(Promote(to="paper", reason="logged")))

    def recorded() -> bool:
        found = daemon.ask(RunEventsQuery(kind="event")).result
        assert isinstance(found, RunEventsResult)
        return any('"stage.promoted"' in e.data for e in found.events)

    wait_for(recorded, timeout=10)


def test_a_paper_position_blocks_the_promotion_onto_the_exchange(
    make_daemon: Callable[..., DaemonProcess],
) -> None:
    daemon = make_daemon(PAPER).start()
    submit(daemon, MARKET)
    result = promotion(daemon.ask(Promote(to="testnet", reason="with a position")))
    assert not result.applied
    (check,) = [c for c in result.checks if c.name == "simulated_positions"]
    assert check.level == "fail" and "BTC/USDT +0.000999" in check.value
    assert status(daemon)[0] == "paper"


def test_a_reload_after_a_promotion_keeps_the_promoted_stage(
    make_daemon: Callable[..., DaemonProcess],
) -> None:
    import signal

    daemon = make_daemon(SHADOW).start()
    promotion(daemon.ask(Promote(to="paper", reason="up")))
    daemon.config.write_text(SHADOW + '\n[logging]\nformat = "json"\n')
    daemon.signal(signal.SIGHUP)
    wait_for(lambda: '"event": "config_reloaded"' in daemon.log())
    assert status(daemon)[0] == "paper"


def test_a_switch_restarts_the_day_and_the_peak_at_the_new_accounts_equity(
    make_daemon: Callable[..., DaemonProcess],
) -> None:
    daemon = make_daemon(PAPER + "[portfolio]\nsnapshot_interval_s = 0.2\n").start()
    promotion(daemon.ask(Promote(to="testnet", reason="onto the exchange account")))
    promotion(daemon.ask(Degrade(to="paper", reason="back to the paper book")))

    def current() -> PortfolioView:
        result = daemon.ask(PortfolioQuery(with_risk=False)).result
        assert isinstance(result, PortfolioResult) and result.current is not None
        return result.current

    def settled() -> PortfolioView | None:
        view = current()
        return view if view.equity < 150_000 else None  # the paper book again

    now = wait_for(settled, timeout=10)
    # the exchange account (~197k in the simulator) is not the paper book's peak (100k)
    assert now.day_start_equity == pytest.approx(now.equity, rel=0.01)
    assert now.peak_equity == pytest.approx(now.equity, rel=0.01)

    def ticks_since() -> bool:  # monitor ticks on the paper book: a drawdown would show here
        result = daemon.ask(PortfolioQuery(with_risk=False, history=True, since_ms=now.ts_ms))
        assert isinstance(result.result, PortfolioResult)
        return len(result.result.history) >= 3

    wait_for(ticks_since, timeout=10)
    assert status(daemon)[1].state == "ACTIVE"
    assert current().drawdown_pct < 1
