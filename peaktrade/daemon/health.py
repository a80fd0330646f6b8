"""Semantic health: the checks ``ptctl health`` shows, each with a value and a hint."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

from peaktrade.control.protocol import Check, CheckLevel, HealthResult
from peaktrade.core.trading_state import TradingState

if TYPE_CHECKING:
    from peaktrade.daemon.app import Daemon

_LAG_WARN_S = 0.25
_DISK_WARN_BYTES = 1 << 30
_DISK_FAIL_BYTES = 100 << 20


def collect(daemon: Daemon) -> HealthResult:
    checks = [
        _lifecycle(daemon),
        _loop_lag(daemon),
        _trading_state(daemon),
        _disk(daemon),
        _market_data(daemon),
    ]
    return HealthResult(healthy=all(c.level is not CheckLevel.FAIL for c in checks), checks=checks)


def _lifecycle(daemon: Daemon) -> Check:
    if daemon.stopping:
        return Check("lifecycle", CheckLevel.FAIL, "stopping", "the daemon is shutting down")
    return Check("lifecycle", CheckLevel.OK, "running")


def _loop_lag(daemon: Daemon) -> Check:
    lag = daemon.looplag.current_s()
    value = f"{lag * 1000:.1f} ms"
    if lag >= daemon.config.daemon.loop_lag_unhealthy_s:
        return Check("event_loop", CheckLevel.FAIL, value, "the loop is stalled; see the log")
    if lag >= _LAG_WARN_S:
        return Check("event_loop", CheckLevel.WARN, value, "the loop is slow; check CPU load")
    return Check("event_loop", CheckLevel.OK, value)


def _trading_state(daemon: Daemon) -> Check:
    assert daemon.switch is not None
    state = daemon.switch.state
    reason = daemon.switch.last.reason if daemon.switch.last else ""
    value = f"{state.value}" + (f" ({reason})" if reason else "")
    if state is TradingState.ACTIVE:
        return Check("trading_state", CheckLevel.OK, value)
    return Check(
        "trading_state",
        CheckLevel.WARN,
        value,
        "ptctl release --reason TEXT re-arms trading once the cause is understood",
    )


def _disk(daemon: Daemon) -> Check:
    free = shutil.disk_usage(daemon.state_dir).free
    value = f"{free / (1 << 30):.1f} GiB free"
    if free < _DISK_FAIL_BYTES:
        return Check("state_disk", CheckLevel.FAIL, value, "free space under the state directory")
    if free < _DISK_WARN_BYTES:
        return Check("state_disk", CheckLevel.WARN, value, "the state directory is filling up")
    return Check("state_disk", CheckLevel.OK, value)


def _market_data(daemon: Daemon) -> Check:
    return Check("market_data", CheckLevel.WARN, daemon.market_data, "no quotes: orders are off")
