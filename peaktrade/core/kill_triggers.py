"""Automatic kill triggers besides the limit actions: exchange failures, data gaps, heartbeat.

Daily loss and drawdown kill through their limit actions (``evaluate_portfolio``). These triggers
watch the machinery instead: the daemon records every exchange call in an ``ExchangeHealth``
and passes the times of the last market data and of its own last heartbeat.
"""

from __future__ import annotations

from bisect import bisect_right

import msgspec

from peaktrade.core.risk_config import KillTriggerConfig

BUCKET_MS = 10_000  # error-rate resolution: calls are counted in 10-second buckets


class ExchangeHealth(msgspec.Struct, frozen=True):
    """Outcomes of recent exchange calls."""

    consecutive_failures: int = 0
    buckets: tuple[tuple[int, int, int], ...] = ()  # (bucket start ms, calls, failures)
    last_error: str = ""  # reason code of the latest failure


class KillTrigger(msgspec.Struct, frozen=True):
    """One trigger that fired: a stable code, the value seen and the limit."""

    code: str
    value: float
    limit: float
    message: str


def record_exchange_call(
    health: ExchangeHealth, *, ok: bool, now_ms: int, window_s: float, error: str = ""
) -> ExchangeHealth:
    """Count one call; buckets older than the window drop out."""
    start = now_ms - now_ms % BUCKET_MS
    keep_from = now_ms - int(window_s * 1000) - BUCKET_MS
    kept = health.buckets[bisect_right(health.buckets, (keep_from, -1, -1)) :]
    fail = 0 if ok else 1
    if kept and kept[-1][0] == start:
        _, calls, failures = kept[-1]
        buckets = (*kept[:-1], (start, calls + 1, failures + fail))
    else:
        buckets = (*kept, (start, 1, fail))
    return ExchangeHealth(
        consecutive_failures=0 if ok else health.consecutive_failures + 1,
        buckets=buckets,
        last_error=health.last_error if ok else error,
    )


def error_rate(health: ExchangeHealth, *, now_ms: int, window_s: float) -> tuple[int, int]:
    """(calls, failures) in the buckets that overlap the window."""
    since = now_ms - int(window_s * 1000) - BUCKET_MS
    calls = failures = 0
    for start, n, f in health.buckets:
        if start > since:
            calls += n
            failures += f
    return calls, failures


def kill_triggers(
    config: KillTriggerConfig,
    *,
    exchange: ExchangeHealth,
    last_market_data_ms: int,
    last_heartbeat_ms: int,
    now_ms: int,
) -> tuple[KillTrigger, ...]:
    """Every trigger that fires now. Pass the daemon's start time when no data arrived yet."""
    fired = []
    limit = config.max_consecutive_exchange_failures
    if limit and exchange.consecutive_failures >= limit:
        fired.append(
            KillTrigger(
                "kill.exchange_failures",
                float(exchange.consecutive_failures),
                float(limit),
                f"{exchange.consecutive_failures} exchange calls failed in a row"
                f" (limit {limit}; last {exchange.last_error or 'unknown'})",
            )
        )
    rate_limit = config.max_exchange_error_rate
    if rate_limit:
        calls, failures = error_rate(exchange, now_ms=now_ms, window_s=config.error_rate_window_s)
        if calls >= config.error_rate_min_calls and failures / calls > rate_limit:
            fired.append(
                KillTrigger(
                    "kill.exchange_error_rate",
                    failures / calls,
                    rate_limit,
                    f"{failures} of {calls} exchange calls failed in the last"
                    f" {config.error_rate_window_s:g} s (limit {rate_limit:.0%})",
                )
            )
    gap_min = (now_ms - last_market_data_ms) / 60_000
    if config.max_market_data_gap_min and gap_min > config.max_market_data_gap_min:
        fired.append(
            KillTrigger(
                "kill.market_data_gap",
                gap_min,
                config.max_market_data_gap_min,
                f"no market data for {gap_min:.1f} min"
                f" (limit {config.max_market_data_gap_min:g} min)",
            )
        )
    beat_s = (now_ms - last_heartbeat_ms) / 1000
    if config.max_heartbeat_gap_s and beat_s > config.max_heartbeat_gap_s:
        fired.append(
            KillTrigger(
                "kill.heartbeat_missing",
                beat_s,
                config.max_heartbeat_gap_s,
                f"the daemon's heartbeat is {beat_s:.0f} s old"
                f" (limit {config.max_heartbeat_gap_s:g} s)",
            )
        )
    return tuple(fired)
