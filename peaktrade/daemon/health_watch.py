"""The ``daemon.unhealthy`` alert: the verdict of ``ptctl health``, judged every few seconds.

One failing evaluation is not news (a slow disk call, a reconnect in progress): the alert is
raised after two in a row and resolved at the first healthy one after it, also when the run
before a (watchdog) restart raised it.
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING

import anyio
import msgspec

from peaktrade.control.protocol import CheckLevel, HealthResult
from peaktrade.core.events import DaemonEvent
from peaktrade.daemon import health
from peaktrade.daemon.clock import now_ms
from peaktrade.log import get_logger
from peaktrade.store import alerts as alert_store

if TYPE_CHECKING:
    from peaktrade.daemon.app import Daemon

log = get_logger("peaktrade.health_watch")

FAILS_TO_RAISE = 2  # consecutive failing evaluations before the alert is raised
_KEY = "daemon.unhealthy"  # one condition per daemon


class Action(Enum):
    RAISE = "raise"
    RESOLVE = "resolve"


class Watch(msgspec.Struct, frozen=True):
    """What the watcher remembers between evaluations."""

    failing: int = 0  # failing evaluations in a row
    raised: bool = False  # the alert is open


def observe(watch: Watch, healthy: bool) -> tuple[Watch, Action | None]:
    """The next state and what to send, if anything."""
    if healthy:
        return Watch(), Action.RESOLVE if watch.raised else None
    failing = watch.failing + 1
    if failing >= FAILS_TO_RAISE and not watch.raised:
        return Watch(failing=failing, raised=True), Action.RAISE
    return Watch(failing=failing, raised=watch.raised), None


def unhealthy_event(result: HealthResult, action: Action) -> DaemonEvent:
    """The alert naming the failing checks (``name: value``), or its resolution."""
    failed = [c for c in result.checks if c.level is CheckLevel.FAIL]
    if action is Action.RAISE:
        message = "unhealthy: " + "; ".join(f"{c.name}: {c.value}" for c in failed)
    else:
        message = "healthy again: no health check fails"
    return DaemonEvent(
        code="daemon.unhealthy",
        level="CRITICAL" if action is Action.RAISE else "INFO",
        message=message,
        ts_ms=now_ms(),
        context={"failing": ",".join(c.name for c in failed)},
        dedupe_key=_KEY,
        resolved=action is Action.RESOLVE,
    )


async def watch_health(daemon: Daemon) -> None:
    """Until cancelled, or the daemon stops (shutting down fails ``lifecycle`` by design)."""
    watch = Watch(raised=await _left_open(daemon))
    while True:
        await anyio.sleep(daemon.config.daemon.health_alert_interval_s)
        if daemon.stopping:
            return
        try:
            result = health.collect(daemon)
        except Exception:  # a broken check must not end the watch; the next tick retries
            log.exception("health_watch_failed")
            continue
        watch, action = observe(watch, result.healthy)
        if action is not None:
            daemon.emit(unhealthy_event(result, action))


async def _left_open(daemon: Daemon) -> bool:
    """Whether an earlier run left the alert open (the alert service restores it as well)."""
    if daemon.db is None:
        return False
    try:
        rows = await daemon.db.call(alert_store.open_conditions)
    except Exception:
        log.exception("health_watch_seed_failed")
        return False
    return any(r.dedupe_key == _KEY for r in rows)
