"""Scenarios about orders and the books: fills far from intent, a flash crash through the daily
loss limit, unknown outcomes, a daemon killed mid-order, a dead alert sink, and an exchange
changed behind the daemon's back."""

from __future__ import annotations

import json
from typing import Any

from peaktrade.control.protocol import AlertsQuery, AlertsResult, PortfolioQuery, PortfolioResult
from peaktrade.drills.environment import DrillEnv, Probe
from peaktrade.drills.scenarios_market import QTY, accepted, agrees, quotes_fresh


def order_state(env: DrillEnv, cid: str) -> str:
    _, reply = env.daemon.ptctl("orders", "list", "--all")
    for order in (reply.get("result") or {}).get("orders") or []:
        if order.get("client_order_id") == cid:
            return str(order.get("state"))
    return "not listed"


def state_of(env: DrillEnv, cid: str, want: str) -> Probe:
    def probe() -> tuple[bool, str]:
        state = order_state(env, cid)
        return state == want, state

    return probe


def fill_divergence(env: DrillEnv) -> None:
    """A market buy is held up on its way (latency) while the price jumps 3 % against it."""
    env.expect("quotes fresh", quotes_fresh(env), 10)
    env.sim.fault("latency", count=1, scope="order", fixed_ms=1500.0)
    call = env.daemon.ptctl_background(
        "order", "submit", "--symbol", "BTC/USDT", "--side", "buy", "--qty", "0.01"
    )
    env.expect("the order is in flight", lambda: (env.sim.fired("latency") >= 1, "latency"), 8)
    env.sim.fault("price_gap", count=1, pct=3.0, symbol="BTCUSDT")
    out, _ = call.communicate(timeout=20)
    decision = (json.loads(out).get("result") or {}).get("decisions", [{}])[0] if out else {}
    ok, seen = accepted(decision)
    env.check("the order is filled", ok, seen)
    cid = (decision.get("order") or {}).get("client_order_id", "")
    probe = env.alerted("execution.fill_divergence", client_order_id=cid)
    env.expect("execution.fill_divergence alerted for the order", probe, 6)
    bps = next(
        (
            float(p["context"].get("bps", 0))
            for p in env.webhook.payloads()
            if p.get("code") == "execution.fill_divergence"
        ),
        0.0,
    )
    env.check(
        "the measured divergence is the price jump (about 300 bps)", 200 < bps < 400, f"{bps}"
    )


def flash_crash(env: DrillEnv) -> None:
    """BTC falls 50 % at once: the daily loss limit halts trading and cancels open orders."""
    env.expect("quotes fresh", quotes_fresh(env), 10)
    env.expect("the trading day has started from the exchange balances", day_started(env), 10)
    below = f"{env.sim.price('ETH/USDT') * 0.98:.2f}"  # inside the price band, resting
    resting = env.submit("ETH/USDT", "buy", 0.01, "--type", "limit", "--price", below)
    cid = (resting.get("order") or {}).get("client_order_id", "")
    env.check("a resting order is open", bool(cid) and order_state(env, cid) == "open", cid)
    env.sim.fault("price_gap", count=1, pct=-50.0, symbol="BTCUSDT")

    def halted() -> tuple[bool, str]:
        s = env.daemon.status()
        if s is None:
            return False, "unreachable"
        return s.state == "HALTED" and "max_daily_loss" in s.reason, f"{s.state} ({s.reason})"

    env.expect("HALTED automatically, the reason naming the daily loss", halted, 15)
    env.expect("kill.engaged alerted", env.alerted("kill.engaged"), 5)
    env.expect("risk.portfolio_breach alerted", env.alerted("risk.portfolio_breach"), 5)

    def cancelled() -> tuple[bool, str]:
        status = env.sim.state()["by_client"].get(cid, {}).get("status", "none")
        return status == "CANCELED", f"exchange: {status}"

    env.expect("the open order is cancelled on the exchange", cancelled, 10)
    reason = env.daemon.status()
    env.daemon.stop()
    env.daemon.start()
    after = env.daemon.status()
    env.check(
        "still HALTED after a daemon restart, same reason",
        after is not None
        and reason is not None
        and after.state == "HALTED"
        and after.reason == reason.reason,
        f"{after.state} ({after.reason})" if after else "unreachable",
    )
    refused = env.submit("BTC/USDT", "buy", QTY["BTC/USDT"])
    env.check(
        "a new order is refused while HALTED",
        refused.get("outcome") == "refused",
        f"{refused.get('outcome')} {refused.get('code')}",
    )


def day_started(env: DrillEnv) -> Probe:
    def probe() -> tuple[bool, str]:
        result = env.daemon.ask(PortfolioQuery(with_risk=False)).result
        assert isinstance(result, PortfolioResult)
        current = result.current
        if current is None:
            return False, "no snapshot yet"
        ok = current.day_start_equity > 0 and abs(current.daily_pnl) < 0.01 * current.equity
        return ok, f"day start {current.day_start_equity:g}, equity {current.equity:g}"

    return probe


def unknown_outcome(env: DrillEnv) -> None:
    """The exchange takes the order but the answer is lost (-1007, then a 503)."""
    env.expect("quotes fresh", quotes_fresh(env), 10)
    for fault in ("timeout_1007_committed", "http_503_committed"):
        env.sim.fault(fault, count=1, scope="order")
        decision = env.submit("BTC/USDT", "buy", QTY["BTC/USDT"])
        cid = (decision.get("order") or {}).get("client_order_id", "")
        env.check(
            f"{fault}: the order goes UNKNOWN",
            decision.get("outcome") == "unknown",
            f"{decision.get('outcome')} {decision.get('code')} {cid}",
        )
        env.expect(
            f"{fault}: order.unknown alerted",
            env.alerted("order.unknown", client_order_id=cid),
            5,
        )
        env.expect(f"{fault}: resolved by lookup (filled)", state_of(env, cid, "filled"), 10)
        count = env.sim.state()["accepted"].get(cid, 0)
        env.check(f"{fault}: exactly one order on the exchange", count == 1, f"{count}")


def daemon_crash(env: DrillEnv) -> None:
    """SIGKILL while two orders are on their way (latency), then restart and reconcile."""
    env.expect("quotes fresh", quotes_fresh(env), 10)
    env.sim.fault("latency", count=2, scope="order", fixed_ms=2000.0)
    calls = [
        env.daemon.ptctl_background(
            "order", "submit", "--symbol", s, "--side", "buy", "--qty", f"{QTY[s]:g}"
        )
        for s in ("BTC/USDT", "ETH/USDT")
    ]
    env.expect("two orders in flight", lambda: (env.sim.fired("latency") >= 2, "latency"), 8)
    env.daemon.kill9()
    for call in calls:
        call.communicate(timeout=20)
    ns = env.namespace()

    def executed() -> tuple[bool, str]:
        ours = [c for c in env.sim.state()["by_client"] if c.startswith(f"pt-{ns}-")]
        return len(ours) == 2, f"{len(ours)} of ours on the exchange"

    env.expect("the exchange executed both orders after the crash", executed, 8)
    env.daemon.start()
    env.expect("after restart the journal agrees with the exchange", agrees(env), 20)
    problems = env.disagreements()
    env.check("0 lost fills", not any("fill" in p for p in problems), "; ".join(problems[:3]))
    env.check("nothing left in doubt", not any("still" in p for p in problems), str(problems[:2]))


def alert_sink_down(env: DrillEnv) -> None:
    """The webhook answers 500: the other sink hears of it, and of its recovery."""

    def on_second(code: str, resolved: bool) -> Probe:
        def probe() -> tuple[bool, str]:
            hits = [
                body
                for _, body in list(env.second.received)
                if code in body and ("RESOLVED" in body) == resolved
            ]
            return bool(hits), f"{len(env.second.received)} message(s) on the other sink"

        return probe

    env.expect("the other sink receives alerts", on_second("daemon.started", False), 10)
    env.webhook.failing = True
    env.daemon.ptctl("reduce", "--reason", "drill: traffic for the failing sink")
    env.expect("the webhook is failing", lambda: (env.webhook.refused > 0, "refused"), 5)
    env.expect(
        "alerts.sink_failing reaches the other sink", on_second("alerts.sink_failing", False), 8
    )

    def listed() -> tuple[bool, str]:
        result = env.daemon.ask(AlertsQuery(limit=50)).result
        assert isinstance(result, AlertsResult)
        codes = [a.code for a in result.alerts]
        return "alerts.sink_failing" in codes, ", ".join(codes[:8])

    env.expect("ptctl alerts lists alerts.sink_failing", listed, 5)
    env.webhook.failing = False
    env.daemon.ptctl("release", "--reason", "drill: the sink is back")
    env.expect("the webhook delivers again", env.alerted("state.changed", state="ACTIVE"), 8)
    env.expect(
        "alerts.sink_failing resolved on the other sink",
        on_second("alerts.sink_failing", True),
        8,
    )


def reconcile_mismatch(env: DrillEnv) -> None:
    """While the daemon is stopped, an order carrying its namespace appears on the exchange."""
    env.expect("quotes fresh", quotes_fresh(env), 10)
    env.daemon.stop()
    cid = f"pt-{env.namespace()}-999999"
    placed = place_order(env, cid)
    env.check("an order the journal never placed rests on the exchange", "orderId" in placed, cid)
    env.daemon.start()
    probe = env.alerted("reconcile.mismatch")
    env.expect("reconcile.mismatch alerted", probe, 10)
    level = next(
        (p.get("level") for p in env.webhook.payloads() if p.get("code") == "reconcile.mismatch"),
        None,
    )
    env.check("reconcile.mismatch is CRITICAL", level == "CRITICAL", str(level))
    env.expect("trading moved to REDUCING", env.state_is("REDUCING"), 5)
    env.expect("health: reconciliation warns", env.health_check("reconciliation", "warn"), 5)
    refused = env.submit("BTC/USDT", "buy", QTY["BTC/USDT"])
    env.check(
        "a new buy is refused while REDUCING",
        refused.get("outcome") == "refused",
        f"{refused.get('outcome')} {refused.get('code')}",
    )


def place_order(env: DrillEnv, cid: str) -> dict[str, Any]:
    """A signed limit buy far below the market, sent straight to the simulator."""
    params = {
        "symbol": "BTCUSDT",
        "side": "BUY",
        "type": "LIMIT",
        "timeInForce": "GTC",
        "quantity": "0.001",
        "price": "30000",
        "newClientOrderId": cid,
    }
    result: dict[str, Any] = env.sim.signed_post("/api/v3/order", params)
    return result
