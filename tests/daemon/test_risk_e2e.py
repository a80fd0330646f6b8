"""End to end on the simulator: a scripted price crash drives daily loss over the limit; the
daemon halts, cancels, alerts, and stays halted across a restart."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from peaktrade.control.protocol import (
    AlertsQuery,
    AlertsResult,
    OrderResult,
    OrderSpec,
    OrdersQuery,
    OrdersResult,
    OrderSubmit,
    Status,
    StatusResult,
)
from tests.support import DaemonProcess, run_ptctl, wait_for

CRASH = """t_offset_s,symbol,price
0,BTCUSDT,65000
12,BTCUSDT,65000
15,BTCUSDT,30000
600,BTCUSDT,30000
"""

CONFIG = """
[run]
mode = "paper"
network = "sim"
account_label = "crash-test"
[control]
idle_timeout_s = 2.0
request_timeout_s = 5.0
[portfolio]
snapshot_interval_s = 0.3
[live_risk]
max_order_notional = 50000
max_symbol_exposure_notional = 60000
max_total_exposure_notional = 100000
max_daily_loss_abs = 2000
[live_risk.actions]
max_daily_loss_abs = "halt_cancel_open"
[sim]
prices_file = "{prices}"
tick_interval_s = 0.1
ticker_interval_s = 0.2
"""


def status(d: DaemonProcess) -> StatusResult:
    reply = d.ask(Status())
    assert isinstance(reply.result, StatusResult)
    return reply.result


def test_flash_crash_halts_cancels_alerts_and_stays_halted(
    make_daemon: Callable[..., DaemonProcess], tmp_path: Path
) -> None:
    prices = tmp_path / "crash.csv"
    prices.write_text(CRASH)
    daemon = make_daemon(CONFIG.format(prices=prices)).start()
    wait_for(lambda: status(daemon).reconciled)
    buy = daemon.ask(OrderSubmit(order=OrderSpec(symbol="BTC/USDT", side="buy", qty=0.5)))
    assert isinstance(buy.result, OrderResult) and buy.result.decisions[0].outcome == "accepted"
    resting = daemon.ask(
        OrderSubmit(
            order=OrderSpec(symbol="BTC/USDT", side="buy", qty=0.01, type="limit", price=62000.0)
        )
    )
    assert isinstance(resting.result, OrderResult)
    assert resting.result.decisions[0].order.state == "open"  # type: ignore[union-attr]

    halted = wait_for(lambda: (s := status(daemon)).state == "HALTED" and s, timeout=40)
    assert halted.reason.startswith("auto: risk.max_daily_loss_abs")
    assert halted.last_change is not None and halted.last_change.source == "risk"
    assert halted.last_change.cancel_open

    def no_open_orders() -> bool:
        reply = daemon.ask(OrdersQuery(open_only=True))
        return isinstance(reply.result, OrdersResult) and reply.result.orders == []

    wait_for(no_open_orders, timeout=15)

    def alerted() -> list[str]:
        reply = daemon.ask(AlertsQuery(limit=100))
        assert isinstance(reply.result, AlertsResult)
        return [a.code for a in reply.result.alerts]

    codes = wait_for(
        lambda: (c := alerted()) and "kill.engaged" in c and "risk.portfolio_breach" in c and c
    )
    assert "kill.engaged" in codes

    violations = json.loads(
        run_ptctl("--socket", str(daemon.socket), "risk", "violations", "--json").stdout
    )
    rules = {v["rule"] for v in violations["result"]["violations"]}
    assert "max_daily_loss_abs" in rules

    daemon.stop()
    daemon.start()
    after = status(daemon)
    assert after.state == "HALTED" and after.reason == halted.reason
    refused = daemon.ask(OrderSubmit(order=OrderSpec(symbol="BTC/USDT", side="buy", qty=0.01)))
    assert isinstance(refused.result, OrderResult)
    assert not refused.result.decisions[0].allowed


def test_release_after_an_automatic_kill_honours_the_cooldown(
    make_daemon: Callable[..., DaemonProcess], tmp_path: Path
) -> None:
    prices = tmp_path / "crash.csv"
    prices.write_text(CRASH.replace("12,BTCUSDT", "2,BTCUSDT").replace("15,BTC", "4,BTC"))
    daemon = make_daemon(CONFIG.format(prices=prices)).start()
    wait_for(lambda: status(daemon).reconciled)
    daemon.ask(OrderSubmit(order=OrderSpec(symbol="BTC/USDT", side="buy", qty=0.5)))
    wait_for(lambda: status(daemon).state == "HALTED", timeout=40)
    result = run_ptctl("--socket", str(daemon.socket), "release", "--reason", "too early")
    assert result.returncode == 1
    assert "risk.release_cooldown" in result.stderr
    assert status(daemon).state == "HALTED"
