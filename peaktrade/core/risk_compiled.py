"""Limit sets compiled into ready thresholds for ``check_orders``, once per limit set.

A threshold pair is (breach when the value is above, warn at or above); ``None`` is a rule that
is off. Each symbol's table lists its active rules in the exact order ``check_orders`` appends
their values, so results can share the rule and limit columns.
"""

from __future__ import annotations

import math

from peaktrade.core.risk_limits import LiveRiskLimits, SymbolLimits
from peaktrade.core.risk_rules import Rule, RuleStatus

_INF = math.inf
TOL = 1e-9  # relative slack so a value equal to its limit is not lost to float rounding
_OK, _WARN, _BREACH, _EXEMPT = (
    RuleStatus.OK,
    RuleStatus.WARNING,
    RuleStatus.BREACH,
    RuleStatus.EXEMPT,
)
WARNED, SOFT, HARD = 1, 2, 4  # severity bits: a warning, a limit breach, a guard breach


Thresholds = tuple[float, float] | None  # (breach above, warn at or above); None: rule off


def _thresholds(limit: float | None, fraction: float) -> Thresholds:
    if limit is None:
        return None
    return limit + abs(limit) * TOL, (limit * fraction if limit > 0 else _INF)


class _Table:
    """One symbol's active rules in evaluation order, with their thresholds."""

    __slots__ = ("band", "limits", "order", "pos", "rules", "sym")

    def __init__(self, limits: LiveRiskLimits, sl: SymbolLimits, wf: float) -> None:
        self.order = _thresholds(sl.max_order_notional, wf)
        self.pos = _thresholds(sl.max_position_qty, wf)
        self.sym = _thresholds(sl.max_symbol_exposure_notional, wf)
        self.band = _thresholds(sl.price_band_pct, wf)
        age = limits.max_quote_age_s
        r = Rule
        rows: list[tuple[Rule, float | None]] = [
            (r.INVALID_ORDER, 0.0),
            (r.SYMBOL_WHITELIST, 0.0),
            (r.MAX_QUOTE_AGE_S, _INF if age is None else age),
            (r.PRICE_BAND_PCT, sl.price_band_pct),
            (r.MAX_ORDER_NOTIONAL, sl.max_order_notional),
            (r.MAX_SYMBOL_EXPOSURE_NOTIONAL, sl.max_symbol_exposure_notional),
            (r.MAX_TOTAL_EXPOSURE_NOTIONAL, limits.max_total_exposure_notional),
            (r.MIN_FREE_QUOTE_BALANCE, limits.min_free_quote_balance),
            (r.MAX_RUN_NOTIONAL, limits.max_run_notional),
            (r.MAX_DAILY_NOTIONAL, limits.max_daily_notional),
            (r.MAX_POSITION_QTY, sl.max_position_qty),
            (r.MAX_OPEN_POSITIONS, limits.max_open_positions),
            (r.MAX_DAILY_LOSS_ABS, limits.max_daily_loss_abs),
            (r.MAX_DAILY_LOSS_PCT, limits.max_daily_loss_pct),
            (r.MAX_DRAWDOWN_PCT, limits.max_drawdown_pct),
            (r.MAX_ORDERS_PER_SECOND, limits.max_orders_per_second),
            (r.MAX_ORDERS_PER_MINUTE, limits.max_orders_per_minute),
            (r.MAX_RUN_TRADES, limits.max_run_trades),
            (r.MAX_DAILY_TRADES, limits.max_daily_trades),
        ]
        active = [(rule, limit) for rule, limit in rows if limit is not None]
        self.rules = tuple(rule for rule, _ in active)
        self.limits = tuple(limit for _, limit in active)


class Compiled:
    """A limit set turned into ready thresholds; built once per ``LiveRiskLimits`` object."""

    def __init__(self, limits: LiveRiskLimits) -> None:
        wf = limits.warning_fraction
        self.age = _thresholds(limits.max_quote_age_s, wf) or (_INF, _INF)
        self.total = _thresholds(limits.max_total_exposure_notional, wf)
        self.open = _thresholds(limits.max_open_positions, wf)
        free = limits.min_free_quote_balance
        # a minimum: breach below the limit, warn below limit / fraction
        self.free = None if free is None else (free * (1 - TOL), free / wf)
        self.globals = tuple(
            _thresholds(limit, wf)
            for limit in (
                limits.max_run_notional,
                limits.max_daily_notional,
                limits.max_daily_loss_abs,
                limits.max_daily_loss_pct,
                limits.max_drawdown_pct,
                limits.max_orders_per_second,
                limits.max_orders_per_minute,
                limits.max_run_trades,
                limits.max_daily_trades,
            )
        )
        self.default = _Table(limits, limits.default_symbol, wf)
        self.symbols = {s: _Table(limits, sl, wf) for s, sl in limits.symbols.items()}


_CACHE: list[tuple[LiveRiskLimits, Compiled]] = []


def compiled(limits: LiveRiskLimits) -> Compiled:
    """Memo of the last few limit sets (by identity): thresholds are not rebuilt per batch."""
    for known, made in _CACHE:
        if known is limits:
            return made
    made = Compiled(limits)
    _CACHE.insert(0, (limits, made))
    del _CACHE[4:]
    return made


def fixed_rules(
    rules: list[tuple[tuple[float, float], float]], reducing: bool
) -> tuple[list[float | None], list[RuleStatus], int]:
    """Values, statuses and severity of the loss rules, which do not vary within a batch."""
    values: list[float | None] = []
    statuses: list[RuleStatus] = []
    sev = 0
    for (breach_at, warn_at), value in rules:
        values.append(value)
        if value > breach_at:
            if reducing:
                statuses.append(_EXEMPT)
            else:
                sev |= SOFT
                statuses.append(_BREACH)
        elif value >= warn_at:
            sev |= WARNED
            statuses.append(_WARN)
        else:
            statuses.append(_OK)
    return values, statuses, sev
