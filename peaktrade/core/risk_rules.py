"""The risk rules, their stable reason codes, and the shape of every check result.

Runbooks name the codes in ``REASON_CODES``; they never change meaning. A rule is a *guard*
(always blocks, whatever ``block_on_violation`` says) or a *limit*; exposure and loss limits
let reducing orders through (status EXEMPT).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

import msgspec

from peaktrade.core.risk_config import BreachAction


class Rule(enum.StrEnum):
    """Rule names; where a config key sets the limit, the rule has the key's name."""

    INVALID_ORDER = "invalid_order"
    SYMBOL_WHITELIST = "symbol_whitelist"
    MAX_QUOTE_AGE_S = "max_quote_age_s"
    PRICE_BAND_PCT = "price_band_pct"
    MAX_ORDER_NOTIONAL = "max_order_notional"
    MAX_POSITION_QTY = "max_position_qty"
    MAX_SYMBOL_EXPOSURE_NOTIONAL = "max_symbol_exposure_notional"
    MAX_TOTAL_EXPOSURE_NOTIONAL = "max_total_exposure_notional"
    MAX_OPEN_POSITIONS = "max_open_positions"
    MIN_FREE_QUOTE_BALANCE = "min_free_quote_balance"
    MAX_DAILY_LOSS_ABS = "max_daily_loss_abs"
    MAX_DAILY_LOSS_PCT = "max_daily_loss_pct"
    MAX_DRAWDOWN_PCT = "max_drawdown_pct"
    MAX_ORDERS_PER_SECOND = "max_orders_per_second"
    MAX_ORDERS_PER_MINUTE = "max_orders_per_minute"
    MAX_RUN_NOTIONAL = "max_run_notional"
    MAX_RUN_TRADES = "max_run_trades"
    MAX_DAILY_NOTIONAL = "max_daily_notional"
    MAX_DAILY_TRADES = "max_daily_trades"


GUARDS = frozenset(
    {
        Rule.INVALID_ORDER,
        Rule.SYMBOL_WHITELIST,
        Rule.MAX_QUOTE_AGE_S,
        Rule.PRICE_BAND_PCT,
        Rule.MAX_ORDERS_PER_SECOND,
        Rule.MAX_ORDERS_PER_MINUTE,
        Rule.MAX_RUN_NOTIONAL,
        Rule.MAX_RUN_TRADES,
        Rule.MAX_DAILY_NOTIONAL,
        Rule.MAX_DAILY_TRADES,
    }
)
"""Rules that block even with ``block_on_violation = false`` (the safety policy's guards)."""

REDUCING_EXEMPT = frozenset(
    {
        Rule.MAX_POSITION_QTY,
        Rule.MAX_SYMBOL_EXPOSURE_NOTIONAL,
        Rule.MAX_TOTAL_EXPOSURE_NOTIONAL,
        Rule.MAX_OPEN_POSITIONS,
        Rule.MAX_DAILY_LOSS_ABS,
        Rule.MAX_DAILY_LOSS_PCT,
        Rule.MAX_DRAWDOWN_PCT,
    }
)
"""Exposure and loss limits: a reducing order passes them (EXEMPT) even when they are broken."""

NO_QUOTE = "risk.no_quote"
NO_PRICE = "risk.no_price"

REASON_CODES: Mapping[str, str] = {
    "risk.invalid_order": "guard: quantity or price not a positive finite number",
    "risk.symbol_whitelist": "guard: symbol not in the whitelist (symbol_whitelist)",
    NO_QUOTE: "guard: no quote for the symbol; the order cannot be priced or banded",
    "risk.max_quote_age_s": "guard: the symbol's quote is older than max_quote_age_s",
    "risk.price_band_pct": "guard: limit price further from mid than price_band_pct",
    NO_PRICE: "limit: no price to value the order (no quote and no limit price)",
    "risk.max_order_notional": "limit: one order's notional above max_order_notional",
    "risk.max_position_qty": "limit: position size after the order above max_position_qty",
    "risk.max_symbol_exposure_notional": "limit: one symbol's exposure above its limit",
    "risk.max_total_exposure_notional": "limit: total exposure above its limit",
    "risk.max_open_positions": "limit: more non-zero positions than max_open_positions",
    "risk.min_free_quote_balance": "limit: buys would leave less free quote than the minimum",
    "risk.max_daily_loss_abs": "limit: loss of the trading day above max_daily_loss_abs",
    "risk.max_daily_loss_pct": "limit: loss of the trading day above max_daily_loss_pct",
    "risk.max_drawdown_pct": "limit: fall from the equity peak above max_drawdown_pct",
    "risk.max_orders_per_second": "guard: more orders in one second than allowed",
    "risk.max_orders_per_minute": "guard: more orders in sixty seconds than allowed",
    "risk.max_run_notional": "guard: notional traded by this run above its cap",
    "risk.max_run_trades": "guard: orders sent by this run above its cap",
    "risk.max_daily_notional": "guard: notional traded today above its cap",
    "risk.max_daily_trades": "guard: orders sent today above its cap",
    "risk.release_cooldown": "release refused: the automatic kill's cool-down has not passed",
    "risk.reload_needs_approval": "reload held: a limit loosens by more than max_loosen_pct",
    "risk.no_pending_reload": "approve-reload refused: no reload is waiting for approval",
    "kill.exchange_failures": "auto-kill: exchange calls failed N times in a row",
    "kill.exchange_error_rate": "auto-kill: exchange error rate over the window above limit",
    "kill.market_data_gap": "auto-kill: no market data for longer than the limit",
    "kill.heartbeat_missing": "auto-kill: the daemon's own heartbeat is older than the limit",
}
"""Every stable reason code of the risk layer and what it means (the runbooks' index)."""


def code_of(rule: Rule) -> str:
    """The reason code of a rule's own outcome (special conditions use NO_QUOTE / NO_PRICE)."""
    return f"risk.{rule.value}"


class RuleStatus(enum.StrEnum):
    OK = "OK"
    WARNING = "WARNING"  # at or above warning_fraction of the limit
    BREACH = "BREACH"
    EXEMPT = "EXEMPT"  # would breach, but the order reduces exposure


class Decision(enum.StrEnum):
    ALLOW = "allow"
    ALLOW_WITH_WARNING = "allow_with_warning"
    BLOCK = "block"


class RuleOutcome(msgspec.Struct, frozen=True, gc=False):
    """One rule applied to one order or one portfolio aspect."""

    rule: Rule
    code: str
    symbol: str  # "" for portfolio-wide rules
    limit: float
    value: float | None  # None: could not be computed (no quote, no price)
    status: RuleStatus

    @property
    def passed(self) -> bool:
        return self.status is not RuleStatus.BREACH

    @property
    def key(self) -> str:
        """Identifies the condition for alert dedupe: rule and symbol."""
        return f"{self.rule.value}:{self.symbol}" if self.symbol else self.rule.value


_NO_QUOTE_RULES = frozenset({Rule.MAX_QUOTE_AGE_S, Rule.PRICE_BAND_PCT})
_CODES = {rule: code_of(rule) for rule in Rule}


class LiveRiskCheckResult(msgspec.Struct, frozen=True):
    """The verdict on one order (``index`` in its batch) or on the portfolio (``index`` -1).

    Rule outcomes are held as columns (row i of ``rules``, ``limits``, ``values``, ``statuses``
    is one rule); ``outcomes`` gives them as rows. A ``None`` value means it could not be
    computed: code ``risk.no_quote`` for the quote and band rules, ``risk.no_price`` otherwise.
    """

    index: int
    symbol: str  # the order's symbol; "" for the portfolio
    decision: Decision
    action: BreachAction | None  # portfolio: strongest configured action; orders: ALERT or None
    reducing: bool
    notional: float | None  # the order's notional at its reference price
    rules: tuple[Rule, ...]
    limits: tuple[float, ...]
    values: tuple[float | None, ...]
    statuses: tuple[RuleStatus, ...]
    symbols: tuple[str, ...] = ()  # per-row symbols (portfolio); empty: every row is ``symbol``

    @property
    def allowed(self) -> bool:
        return self.decision is not Decision.BLOCK

    @property
    def outcomes(self) -> tuple[RuleOutcome, ...]:
        codes, row = _CODES, RuleOutcome
        columns = (self.rules, self.limits, self.values, self.statuses)
        if self.symbols:
            return tuple(
                row(r, codes[r] if v is not None else outcome_code(r, v), s, lim, v, st)
                for r, lim, v, st, s in zip(*columns, self.symbols, strict=True)
            )
        sym = self.symbol
        return tuple(
            row(r, codes[r] if v is not None else outcome_code(r, v), sym, lim, v, st)
            for r, lim, v, st in zip(*columns, strict=True)
        )

    @property
    def breaches(self) -> tuple[RuleOutcome, ...]:
        return tuple(o for o in self.outcomes if o.status is RuleStatus.BREACH)

    @property
    def warnings(self) -> tuple[RuleOutcome, ...]:
        return tuple(o for o in self.outcomes if o.status is RuleStatus.WARNING)

    @property
    def reason_codes(self) -> tuple[str, ...]:
        """Codes of the breached rules, for the order's rejection."""
        return tuple(o.code for o in self.breaches)

    def outcome(self, rule: Rule) -> RuleOutcome | None:
        """The (first) outcome of ``rule``, or None when the rule is not active."""
        return next((o for o in self.outcomes if o.rule is rule), None)


def outcome_code(rule: Rule, value: float | None) -> str:
    """The reason code of one outcome."""
    if value is None:
        return NO_QUOTE if rule in _NO_QUOTE_RULES else NO_PRICE
    return _CODES[rule]


ACTION_SEVERITY: Mapping[BreachAction, int] = {
    BreachAction.ALERT: 1,
    BreachAction.REDUCE: 2,
    BreachAction.HALT: 3,
    BreachAction.HALT_CANCEL_OPEN: 4,
}


def strongest(a: BreachAction | None, b: BreachAction | None) -> BreachAction | None:
    """The more severe of two actions (None is no action)."""
    if a is None:
        return b
    if b is None:
        return a
    return a if ACTION_SEVERITY[a] >= ACTION_SEVERITY[b] else b
