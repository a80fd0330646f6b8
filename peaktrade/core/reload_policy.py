"""Limit changes by config reload: tightening applies at once, big loosening waits for approval.

Both limit sets are resolved at the same equity, so a change of risk profile is judged by the
limits it produces. Loosening a limit by more than ``reload.max_loosen_pct`` (of the limit in
force), lifting a limit, widening the whitelist, weakening a breach action or switching off
blocking is *held*: the held values stay as they were until ``ptctl risk approve-reload``.
"""

from __future__ import annotations

import enum
import math
from typing import Any

import msgspec

from peaktrade.core.risk_config import BreachAction
from peaktrade.core.risk_limits import LIMIT_KEYS, MIN_KEYS, SYMBOL_KEYS, LiveRiskLimits
from peaktrade.core.risk_rules import ACTION_SEVERITY


class Direction(enum.StrEnum):
    TIGHTEN = "tighten"
    LOOSEN = "loosen"
    CHANGE = "change"  # neither (e.g. the trading-day start): applies at once


class LimitChange(msgspec.Struct, frozen=True):
    """One changed setting; ``loosen_pct`` is inf when a limit is lifted or a guard weakened."""

    key: str
    old: Any
    new: Any
    direction: Direction
    loosen_pct: float = 0.0


class ReloadPlan(msgspec.Struct, frozen=True):
    """Every change of a reload (for the audit log) and those held for approval."""

    changes: tuple[LimitChange, ...]
    held: tuple[LimitChange, ...]

    @property
    def needs_approval(self) -> bool:
        return bool(self.held)


# Settings compared as numbers; "max" = larger is looser, "min" = smaller is looser, 0 = off.
_MAX_KIND = frozenset(
    {
        *(k for k in LIMIT_KEYS if k not in MIN_KEYS),
        "warning_fraction",
        "max_consecutive_exchange_failures",
        "max_exchange_error_rate",
        "error_rate_min_calls",
        "max_market_data_gap_min",
        "max_heartbeat_gap_s",
        "max_loosen_pct",
    }
)
_MIN_KIND = frozenset({*MIN_KEYS, "cooldown_s", "step_interval_s"})
_OFF_AT_ZERO = frozenset(
    {
        "max_consecutive_exchange_failures",
        "max_exchange_error_rate",
        "max_market_data_gap_min",
        "max_heartbeat_gap_s",
    }
)
_LOOSE_WHEN_FALSE = frozenset({"block_on_violation", "cancel_open"})
_IGNORED = frozenset({"equity_basis", "scale", "exchange_id", "risk_profile", "sources"})


def plan_reload(current: LiveRiskLimits, proposed: LiveRiskLimits) -> ReloadPlan:
    """Compare two limit sets resolved at the same equity; the threshold is the current one."""
    threshold = current.reload.max_loosen_pct
    old, new = _flatten(current), _flatten(proposed)
    changes = []
    for key in sorted(old.keys() | new.keys()):
        a, b = old.get(key), new.get(key)
        if a != b:
            changes.append(_classify(key, a, b))
    held = tuple(c for c in changes if c.direction is Direction.LOOSEN and c.loosen_pct > threshold)
    return ReloadPlan(changes=tuple(changes), held=held)


def limits_while_held(
    current: LiveRiskLimits, proposed: LiveRiskLimits, plan: ReloadPlan
) -> LiveRiskLimits:
    """The proposed limits with every held setting kept at its current value."""
    if not plan.held:
        return proposed
    data = msgspec.to_builtins(proposed)
    old = _flatten(current)
    for change in plan.held:
        path = change.key.split(".")
        if path[0] == "symbols":
            symbol, field = path[1], path[2]
            entry = data["symbols"].setdefault(symbol, dict(data["default_symbol"]))
            entry[field] = old[change.key]
        elif len(path) == 1:
            data[path[0]] = sorted(old[change.key]) if path[0] == "whitelist" else old[change.key]
            if path[0] in SYMBOL_KEYS:  # the per-symbol default the order checks read
                data["default_symbol"][path[0]] = old[change.key]
        else:
            data[path[0]][path[1]] = old[change.key]
    return msgspec.convert(data, LiveRiskLimits)


def _flatten(limits: LiveRiskLimits) -> dict[str, Any]:
    data = msgspec.to_builtins(limits)
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if key in _IGNORED or key in ("symbols", "default_symbol"):
            continue
        if key == "whitelist":
            flat[key] = frozenset(value)
        elif isinstance(value, dict):
            for k, v in value.items():
                flat[f"{key}.{k}"] = tuple(v) if isinstance(v, list) else v
        else:
            flat[key] = value
    symbols = set(limits.symbols)
    for symbol in symbols:
        for field in SYMBOL_KEYS:
            flat[f"symbols.{symbol}.{field}"] = getattr(limits.for_symbol(symbol), field)
    return flat


def _classify(key: str, old: Any, new: Any) -> LimitChange:
    leaf = key.rsplit(".", 1)[-1]
    numbers = all(v is None or isinstance(v, int | float) for v in (old, new))
    if numbers and (leaf in _MAX_KIND or leaf in _MIN_KIND or leaf in SYMBOL_KEYS):
        return _numeric(key, leaf, old, new)
    if key == "whitelist":
        loosen = bool(new - old)
        return LimitChange(key, sorted(old), sorted(new), *_loosen_if(loosen))
    if leaf in _LOOSE_WHEN_FALSE:
        return LimitChange(key, old, new, *_loosen_if(not new))
    if key.startswith("actions."):
        weaker = ACTION_SEVERITY[BreachAction(new)] < ACTION_SEVERITY[BreachAction(old)]
        return LimitChange(key, old, new, *_loosen_if(weaker))
    return LimitChange(key, old, new, Direction.CHANGE)


def _numeric(key: str, leaf: str, old: float | None, new: float | None) -> LimitChange:
    """None is "no limit" (the loosest value); for kill triggers 0 means off as well."""
    off_at_zero = leaf in _OFF_AT_ZERO

    def norm(value: float | None, off: float) -> float:
        return off if value is None or (off_at_zero and value == 0) else float(value)

    if leaf in _MIN_KIND:
        a, b = norm(old, 0.0), norm(new, 0.0)
        loosen = b < a
        pct = (a - b) / a * 100.0 if a > 0 else math.inf
    else:
        a, b = norm(old, math.inf), norm(new, math.inf)
        loosen = b > a
        pct = math.inf if b == math.inf or a == 0 else (b - a) / a * 100.0
    if not loosen:
        return LimitChange(key, old, new, Direction.TIGHTEN)
    return LimitChange(key, old, new, Direction.LOOSEN, pct)


def _loosen_if(loosen: bool) -> tuple[Direction, float]:
    return (Direction.LOOSEN, math.inf) if loosen else (Direction.TIGHTEN, 0.0)
