"""The strategy in a real daemon on the simulator: its orders reach the journal, a kill stops
them, preview shows what it would send, and on an exchange it never sends a move twice."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.support import BASE_CONFIG, DaemonProcess, run_peaktrade, run_ptctl, wait_for

SWING_S = 3  # the scripted BTC price moves 5 % up or down every SWING_S seconds

REBALANCE = """
[exchange]
symbols = ["BTC/USDT"]
[live_risk]
max_order_notional = 5000.0
[sim]
prices_file = "{prices}"
volatility = 0.0
tick_interval_s = 0.1
[strategy]
name = "rebalance"
interval_s = 0.2
[strategy.rebalance]
weights = {{ "BTC/USDT" = 0.02 }}
threshold_pct = 2.0
min_order_notional = 6.0
"""


def sawtooth(path: Path) -> Path:
    """BTC between 65000 and 68250 and back, every SWING_S seconds, for ten minutes."""
    lines = ["t_offset_s,symbol,price"]
    for i, t in enumerate(range(0, 600, SWING_S)):
        lines.append(f"{t},BTCUSDT,{65000 if i % 2 == 0 else 68250}")
    path.write_text("\n".join(lines) + "\n")
    return path


def ptctl(daemon: DaemonProcess, *args: str) -> dict[str, Any]:
    done = run_ptctl("-s", str(daemon.socket), *args, "--json")
    reply: dict[str, Any] = json.loads(done.stdout)
    assert reply["ok"], done.stdout
    return reply["result"]


def strategy_orders(daemon: DaemonProcess, name: str = "rebalance") -> list[dict[str, Any]]:
    """The strategy's orders in the journal, newest first."""
    orders = ptctl(daemon, "orders", "list", "--all", "--limit", "1000")["orders"]
    return [o for o in orders if o["source"] == name]


def preview_sides(daemon: DaemonProcess, code: str) -> set[str]:
    """Sides of the orders the strategy would send now that are refused with ``code``."""
    decisions = ptctl(daemon, "orders", "preview")["decisions"]
    return {
        d["side"]
        for d in decisions
        if not d["allowed"] and any(c["code"] == code for c in d["checks"])
    }


def rebalancing_daemon(make_daemon: Callable[..., DaemonProcess], tmp_path: Path) -> DaemonProcess:
    prices = sawtooth(tmp_path / "prices.csv")
    return make_daemon(BASE_CONFIG + REBALANCE.format(prices=prices)).start()


def test_strategy_orders_reach_the_journal(
    make_daemon: Callable[..., DaemonProcess], tmp_path: Path
) -> None:
    daemon = rebalancing_daemon(make_daemon, tmp_path)
    orders = wait_for(lambda: len(got := strategy_orders(daemon)) >= 3 and got, timeout=30)
    assert {o["state"] for o in orders} == {"filled"}
    assert {o["side"] for o in orders} == {"buy", "sell"}  # it follows the swings both ways
    first_buy = orders[-1]  # newest first: the last is the initial buy up to 2 % of equity
    assert first_buy["side"] == "buy" and first_buy["qty"] * 65000 > 1900


def test_kill_stops_the_strategy_placing_orders(
    make_daemon: Callable[..., DaemonProcess], tmp_path: Path
) -> None:
    daemon = rebalancing_daemon(make_daemon, tmp_path)
    wait_for(lambda: len(strategy_orders(daemon)) >= 2, timeout=30)
    ptctl(daemon, "kill", "--reason", "strategy test")
    killed_at_ms = time.time_ns() // 1_000_000
    # the strategy keeps wanting to trade both ways as the price swings, and is held back
    wait_for(lambda: preview_sides(daemon, "state.halted") == {"buy"}, timeout=60)
    wait_for(lambda: preview_sides(daemon, "state.halted") == {"sell"}, timeout=60)
    orders = strategy_orders(daemon)
    assert len(orders) >= 2
    assert max(o["created_ms"] for o in orders) <= killed_at_ms


def test_preview_shows_the_orders_with_every_check(
    make_daemon: Callable[..., DaemonProcess], tmp_path: Path
) -> None:
    daemon = rebalancing_daemon(make_daemon, tmp_path)
    wait_for(lambda: strategy_orders(daemon), timeout=30)
    ptctl(daemon, "kill", "--reason", "hold the strategy for a look")
    result = wait_for(
        lambda: (r := ptctl(daemon, "orders", "preview"))["decisions"] and r, timeout=30
    )
    assert result["strategy"] == "rebalance"
    (decision,) = result["decisions"]
    assert decision["symbol"] == "BTC/USDT"
    rules = [c["rule"] for c in decision["checks"]]
    assert {"trading_state", "order_shape", "fresh_quote", "max_order_notional"} <= set(rules)
    assert strategy_orders(daemon)[0]["created_ms"] <= time.time_ns() // 1_000_000


def test_unknown_strategy_is_refused_before_start(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(BASE_CONFIG + '[strategy]\nname = "moonshot"\n')
    done = run_peaktrade("check-config", str(config))
    assert done.returncode != 0
    assert "strategy.unknown" in done.stdout + done.stderr


EXCHANGE = """
[run]
mode = "testnet"
network = "sim"
account_label = "strategy-exchange"
[exchange]
symbols = ["BTC/USDT"]
[portfolio]
balance_refresh_s = 1.0
[sim]
volatility = 0.0
tick_interval_s = 0.1
[strategy]
name = "rebalance"
interval_s = 0.1
[strategy.rebalance]
weights = {{ "BTC/USDT" = {weight} }}
threshold_pct = 5.0
max_order_notional = 1000.0
"""


def test_on_an_exchange_each_move_is_sent_once(
    make_daemon: Callable[..., DaemonProcess],
) -> None:
    # the simulator account holds 100000 USDT and 1 BTC at 65000: equity 165000; a 0.37 weight
    # is 61050 of BTC, so 3950 is to be sold, in orders of at most 1000. Balances are fetched
    # every second and lag the fills: deciding on them alone would sell the same 3950 again.
    control = BASE_CONFIG.split("[control]", 1)[1]
    daemon = make_daemon(EXCHANGE.format(weight=0.37) + "[control]" + control).start()
    wait_for(lambda: len(strategy_orders(daemon)) >= 4, timeout=30)
    wait_for(lambda: ptctl(daemon, "orders", "preview")["decisions"] == [], timeout=30)
    orders = strategy_orders(daemon)
    assert [o["side"] for o in orders] == ["sell"] * 4
    assert {o["state"] for o in orders} == {"filled"}
    sold = sum(o["filled_qty"] * o["avg_fill_price"] for o in orders)
    assert 3950 * 0.98 <= sold <= 3950 * 1.01


MA_CROSS = """
[exchange]
symbols = ["BTC/USDT"]
[sim]
prices_file = "{prices}"
volatility = 0.0
tick_interval_s = 0.1
[strategy]
name = "ma_cross"
interval_s = 0.2
timeframe = "1s"
[strategy.ma_cross]
fast = 2
slow = 4
qty = {{ "BTC/USDT" = 0.01 }}
"""


def test_ma_cross_buys_on_a_golden_cross_and_sells_on_a_death_cross(
    make_daemon: Callable[..., DaemonProcess], tmp_path: Path
) -> None:
    # one-second bars: falling for 8 s (start-up and warm-up), rising for 6 s, falling again
    prices = tmp_path / "prices.csv"
    prices.write_text(
        "t_offset_s,symbol,price\n0,BTCUSDT,65000\n8,BTCUSDT,64000\n"
        "14,BTCUSDT,66000\n20,BTCUSDT,64000\n"
    )
    daemon = make_daemon(BASE_CONFIG + MA_CROSS.format(prices=prices)).start()
    orders = wait_for(
        lambda: len(got := strategy_orders(daemon, "ma_cross")) >= 2 and got, timeout=40
    )
    sell, buy = orders[0], orders[1]  # newest first
    assert (buy["side"], buy["qty"], buy["state"]) == ("buy", 0.01, "filled")
    # flat means all that is held: the buy's fee was taken in BTC (paper taker fee 0.1 %)
    assert (sell["side"], sell["qty"], sell["state"]) == ("sell", 0.00999, "filled")
