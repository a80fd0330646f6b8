"""``evaluate_portfolio``: the limits that a portfolio (not an order) can break, and the action.

Checked: total and per-symbol exposure, per-symbol position size, open positions, daily loss
(abs and pct) and drawdown. The action is the most severe configured action among the breached
limits (``[live_risk.actions]``); warnings alone give ALERT.
"""

from __future__ import annotations

from peaktrade.core.portfolio import LivePortfolioSnapshot
from peaktrade.core.risk_config import BreachAction
from peaktrade.core.risk_limits import LiveRiskLimits
from peaktrade.core.risk_rules import Decision, LiveRiskCheckResult, Rule, RuleStatus, strongest

_TOL = 1e-9
_OK, _WARN, _BREACH = RuleStatus.OK, RuleStatus.WARNING, RuleStatus.BREACH
_R_TOTAL = Rule.MAX_TOTAL_EXPOSURE_NOTIONAL
_R_SYM = Rule.MAX_SYMBOL_EXPOSURE_NOTIONAL
_R_POS = Rule.MAX_POSITION_QTY
_R_OPEN = Rule.MAX_OPEN_POSITIONS
_R_LOSS = Rule.MAX_DAILY_LOSS_ABS
_R_LOSS_PCT = Rule.MAX_DAILY_LOSS_PCT
_R_DD = Rule.MAX_DRAWDOWN_PCT


def daily_loss_pct(daily_pnl: float, day_start_equity: float) -> float:
    """Loss of the day in percent of its starting equity; any loss from zero equity is 100 %."""
    loss = max(0.0, -daily_pnl)
    if day_start_equity > 0:
        return min(100.0, loss / day_start_equity * 100.0)
    return 100.0 if loss else 0.0


def evaluate_portfolio(
    limits: LiveRiskLimits, snapshot: LivePortfolioSnapshot
) -> LiveRiskCheckResult:
    """Every portfolio-level limit's outcome, the decision and the strongest breach action."""
    wf = limits.warning_fraction
    rules: list[Rule] = []
    lims: list[float] = []
    values: list[float | None] = []
    statuses: list[RuleStatus] = []
    symbols: list[str] = []

    def add(rule: Rule, limit: float, value: float, symbol: str = "") -> None:
        rules.append(rule)
        lims.append(limit)
        values.append(value)
        symbols.append(symbol)
        if value > limit + abs(limit) * _TOL:
            statuses.append(_BREACH)
        elif limit > 0 and value >= limit * wf:
            statuses.append(_WARN)
        else:
            statuses.append(_OK)

    if limits.max_total_exposure_notional is not None:
        add(_R_TOTAL, limits.max_total_exposure_notional, snapshot.total_exposure)
    default = limits.default_symbol
    overrides = limits.symbols
    for p in snapshot.positions:
        sl = overrides.get(p.symbol, default)
        if sl.max_symbol_exposure_notional is not None:
            add(_R_SYM, sl.max_symbol_exposure_notional, p.notional, p.symbol)
        if sl.max_position_qty is not None:
            add(_R_POS, sl.max_position_qty, abs(p.size), p.symbol)
    if limits.max_open_positions is not None:
        add(_R_OPEN, limits.max_open_positions, float(len(snapshot.positions)))
    if limits.max_daily_loss_abs is not None:
        add(_R_LOSS, limits.max_daily_loss_abs, max(0.0, -snapshot.daily_pnl))
    if limits.max_daily_loss_pct is not None:
        pct = daily_loss_pct(snapshot.daily_pnl, snapshot.day_start_equity)
        add(_R_LOSS_PCT, limits.max_daily_loss_pct, pct)
    if limits.max_drawdown_pct is not None:
        add(_R_DD, limits.max_drawdown_pct, snapshot.drawdown_pct)

    actions = limits.actions
    action: BreachAction | None = None
    warned = False
    for rule, status in zip(rules, statuses, strict=True):
        if status is _BREACH:
            action = strongest(action, getattr(actions, rule.value))
        elif status is _WARN:
            warned = True
    if action is not None:
        decision = Decision.BLOCK
    elif warned:
        decision, action = Decision.ALLOW_WITH_WARNING, BreachAction.ALERT
    else:
        decision = Decision.ALLOW
    return LiveRiskCheckResult(
        -1,
        "",
        decision,
        action,
        False,
        None,
        tuple(rules),
        tuple(lims),
        tuple(values),
        tuple(statuses),
        tuple(symbols),
    )
