"""Scenarios where the exchange or its data misbehaves: outage, data freeze, corrupt data,
rate limit and ban. Each injects through the simulator's admin API and checks the reactions
where an operator would see them."""

from __future__ import annotations

import time
from typing import Any

from peaktrade.control.protocol import PortfolioQuery, PortfolioResult
from peaktrade.drills.environment import DrillEnv, Probe

SYMBOLS = ("BTC/USDT", "ETH/USDT")
QTY = {"BTC/USDT": 0.001, "ETH/USDT": 0.01}


def quotes_fresh(env: DrillEnv) -> Probe:
    def probe() -> tuple[bool, str]:
        s = env.daemon.status()
        if s is None:
            return False, "daemon unreachable"
        return "STALE" not in s.market_data and "-" not in s.market_data.split(), s.market_data

    return probe


def accepted(decision: dict[str, Any]) -> tuple[bool, str]:
    order = decision.get("order") or {}
    seen = f"{decision.get('outcome')} {decision.get('code')} {order.get('state', '')}".strip()
    return decision.get("outcome") == "accepted", seen


def order_goes_through(env: DrillEnv, name: str) -> bool:
    """Once the feed is fresh again, a small market order is accepted by the exchange."""
    env.expect("quotes fresh again", quotes_fresh(env), 15)
    ok, seen = accepted(env.submit("BTC/USDT", "buy", QTY["BTC/USDT"]))
    return env.check(name, ok, seen)


def agrees(env: DrillEnv) -> Probe:
    def probe() -> tuple[bool, str]:
        problems = env.disagreements()
        return not problems, "; ".join(problems[:3]) or "journal matches the exchange"

    return probe


def exchange_outage(env: DrillEnv) -> None:
    """The exchange goes away for five seconds (every connection reset, none accepted)."""
    env.expect("quotes fresh before the outage", quotes_fresh(env), 10)
    env.sim.fault("crash", count=1, seconds=5.0)
    env.expect("exchange.disconnected alerted", env.alerted("exchange.disconnected"), 5)
    env.expect("health: exchange check fails", env.health_check("exchange", "fail"), 4)
    decision = env.submit("BTC/USDT", "buy", QTY["BTC/USDT"])
    outcome = decision.get("outcome")
    env.check(
        "an order during the outage is refused or left to the resolver, never lost",
        outcome in ("refused", "rejected", "retryable", "unknown"),
        f"{outcome} {decision.get('code')}",
    )
    env.expect(
        "exchange.disconnected resolved after the outage",
        env.alerted("exchange.disconnected", "resolved"),
        20,
    )
    env.expect("health: exchange check ok again", env.health_check("exchange", "ok"), 10)
    order_goes_through(env, "an order goes through after recovery")
    env.expect("reconciled: journal agrees with the exchange, nothing in doubt", agrees(env), 20)


def data_freeze(env: DrillEnv) -> None:
    """The market data stops: websockets silent (also after a redial), REST tickers failing."""
    env.expect("quotes fresh before the freeze", quotes_fresh(env), 10)
    env.sim.fault("http_503", scope="public")
    env.sim.fault("feed_freeze", count=1, seconds=6.0)
    for symbol in SYMBOLS:
        env.expect(f"data.stale alerted for {symbol}", env.alerted("data.stale", symbol=symbol), 8)
    before = len(env.sim.state()["by_client"])
    decision = env.submit("BTC/USDT", "buy", QTY["BTC/USDT"])
    env.check(
        "an order on a stale quote is refused with data.stale_quote",
        decision.get("outcome") == "refused" and decision.get("code") == "data.stale_quote",
        f"{decision.get('outcome')} {decision.get('code')}",
    )
    after = len(env.sim.state()["by_client"])
    env.check(
        "no order reached the exchange on a stale quote", after == before, f"{after - before}"
    )
    env.sim.clear("http_503")
    for symbol in SYMBOLS:
        env.expect(
            f"data.stale resolved for {symbol} when the feed resumes",
            env.alerted("data.stale", "resolved", symbol=symbol),
            15,
        )
    order_goes_through(env, "an order goes through once the feed is back")


_REASONS = {"crossed": "crossed", "zero": "zero_price", "outlier": "jump"}


def corrupt_data(env: DrillEnv) -> None:
    """Bad tickers on BTC: a crossed book, a zero price, a price ten times too high."""
    env.expect("quotes fresh before the corrupt ticks", quotes_fresh(env), 10)
    for corruption, reason in _REASONS.items():
        extra = {"pct": 900.0} if corruption == "outlier" else {}
        env.sim.fault("corrupt_ticker", count=3, symbol="BTCUSDT", corruption=corruption, **extra)
        env.expect(
            f"{corruption} ticker refused and reported as data.corrupt",
            env.alerted("data.corrupt", symbol="BTC/USDT", reason=reason),
            6,
        )
    env.sim.fault("corrupt_ticker", rate=0.5, count=12, symbol="BTCUSDT", pct=900.0)
    env.hold(
        "no valuation on a corrupt price: BTC mark stays near the exchange's", mark_sane(env), 4
    )
    env.check(
        "no spurious risk breach or state change",
        not any(env.webhook_count(code) for code in ("risk.portfolio_breach", "kill.engaged"))
        and env.state_is("ACTIVE")()[0],
        env.state_is("ACTIVE")()[1],
    )
    order_goes_through(env, "orders price on the real quote afterwards")


def mark_sane(env: DrillEnv) -> Probe:
    def probe() -> tuple[bool, str]:
        real = env.sim.price("BTC/USDT")
        result = env.daemon.ask(PortfolioQuery(with_risk=False)).result
        assert isinstance(result, PortfolioResult) and result.current is not None
        marks = [p.mark for p in result.current.positions if p.symbol == "BTC/USDT"]
        if not marks:
            return False, "no BTC/USDT position to value"
        return abs(marks[0] / real - 1) < 0.05, f"mark {marks[0]:g}, exchange {real:g}"

    return probe


def rate_limit(env: DrillEnv) -> None:
    """A 429 with Retry-After, later a 418 ban: no request may arrive while told to wait."""
    env.expect("quotes fresh before the rate limit", quotes_fresh(env), 10)
    for fault, code in (("http_429", "exchange.rate_limited"), ("http_418", "exchange.banned")):
        window_s = 3.0
        quiet_before = env.sim.state()["requests"]["during_backoff"]
        env.sim.fault(fault, count=1, scope="order", seconds=window_s)
        started = time.monotonic()
        first = env.submit("BTC/USDT", "buy", QTY["BTC/USDT"])
        env.check(
            f"{fault}: the order is not placed and not retried blindly",
            first.get("outcome") in ("retryable", "rejected"),
            f"{first.get('outcome')} {first.get('code')}",
        )
        env.expect(f"{code} alerted", env.alerted(code), 3)
        again = env.submit("BTC/USDT", "buy", QTY["BTC/USDT"])
        env.check(
            f"{fault}: an order during Retry-After fails fast without a request",
            again.get("code") == "venue.backoff",
            f"{again.get('outcome')} {again.get('code')}",
        )
        time.sleep(max(0.0, started + window_s - time.monotonic()))
        sent = env.sim.state()["requests"]["during_backoff"] - quiet_before
        env.check(
            f"{fault}: no request reached the exchange during Retry-After",
            sent == 0,
            f"{sent} request(s) in the window",
        )
        env.expect(
            f"{fault}: trading resumes after Retry-After",
            lambda: accepted(env.submit("BTC/USDT", "buy", QTY["BTC/USDT"])),
            5,
        )
        env.expect(f"{code} resolved after the back-off", env.alerted(code, "resolved"), 5)
