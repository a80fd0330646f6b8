"""Which sinks get an alert: global switch and floor, the first matching route, sink floors."""

from __future__ import annotations

from peaktrade.alerts.config import AlertsConfig, SinkName, at_least, sink_config
from peaktrade.alerts.event import AlertEvent


def sinks_for(event: AlertEvent, config: AlertsConfig, available: set[str]) -> list[str]:
    """Names of the sinks (among ``available``) that must receive ``event``, in config order."""
    if not config.enabled or not at_least(event.level, config.min_level):
        return []
    chosen: tuple[SinkName, ...] = config.sinks
    for rule in config.routes:
        if rule.matches(event.code, event.level):
            chosen = rule.sinks
            break
    return [
        name.value
        for name in config.sinks
        if name in chosen
        and name.value in available
        and name.value not in event.not_to
        and at_least(event.level, sink_config(config, name).min_level)
    ]
