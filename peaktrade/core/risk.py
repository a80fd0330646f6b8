"""The order gate: ``check_orders`` runs a batch of intents through every active rule.

Orders are checked cumulatively in batch order: each sees the positions, exposure, balance and
counters that the *allowed* orders before it leave (a blocked order is never sent, so it adds
nothing). Whether an order reduces exposure is derived from that running position, never taken
from the order. Hot path: thresholds are compiled once per limit set, each rule appends one value
and one status to its order's columns, and the decision is folded in as severity bits.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import msgspec

from peaktrade.core.model import OrderIntent, OrderType, Quote, Side
from peaktrade.core.portfolio import LivePortfolioSnapshot
from peaktrade.core.portfolio_risk import daily_loss_pct
from peaktrade.core.risk_compiled import HARD, SOFT, TOL, WARNED, compiled, fixed_rules
from peaktrade.core.risk_config import BreachAction
from peaktrade.core.risk_limits import LiveRiskLimits
from peaktrade.core.risk_rules import Decision, LiveRiskCheckResult, RuleStatus
from peaktrade.core.trade_usage import RunUsage, sent_within
from peaktrade.core.trading_day import TradingDay

_INF = math.inf
_OK, _WARN, _BREACH, _EXEMPT = (
    RuleStatus.OK,
    RuleStatus.WARNING,
    RuleStatus.BREACH,
    RuleStatus.EXEMPT,
)
_BUY = Side.BUY
_MARKET = OrderType.MARKET
_ALLOW, _ALLOW_WARN, _BLOCK = Decision.ALLOW, Decision.ALLOW_WITH_WARNING, Decision.BLOCK
_ALERT = BreachAction.ALERT


class RiskSnapshot(msgspec.Struct, frozen=True, kw_only=True):
    """Everything an order check reads, taken at one time."""

    now_ms: int
    portfolio: LivePortfolioSnapshot
    quotes: dict[str, Quote]
    day: TradingDay
    run: RunUsage


def check_orders(
    limits: LiveRiskLimits, batch: Sequence[OrderIntent], snapshot: RiskSnapshot
) -> list[LiveRiskCheckResult]:
    """One result per order, in batch order: every active rule's outcome and the decision."""
    pf = snapshot.portfolio
    quotes = snapshot.quotes
    now = snapshot.now_ms
    block_limits = limits.block_on_violation
    whitelist = limits.whitelist
    c = compiled(limits)
    age_b, age_w = c.age
    t_total, t_open, t_free = c.total, c.open, c.free
    t_run_n, t_day_n, t_loss, t_loss_pct, t_dd, t_ps, t_pm, t_run_t, t_day_t = c.globals
    tables, default_table = c.symbols, c.default

    qty_of = {p.symbol: p.size for p in pf.positions}
    contrib = {p.symbol: p.notional for p in pf.positions}
    marks = {p.symbol: p.mark for p in pf.positions}
    total = pf.total_exposure
    open_count = len(pf.positions)
    free = pf.free_quote
    run_trades, run_notional = snapshot.run.trades, snapshot.run.notional
    day_trades, day_notional = snapshot.day.trades, snapshot.day.traded_notional
    per_s = sent_within(snapshot.run, now_ms=now, window_ms=1000)
    per_min = sent_within(snapshot.run, now_ms=now, window_ms=60_000)
    loss = max(0.0, -pf.daily_pnl)
    loss_pct = daily_loss_pct(pf.daily_pnl, pf.day_start_equity)
    # the loss rules read the same value for every order: their (value, status, bits) per
    # reducing flag are worked out once per batch
    constant = [
        (t, v) for t, v in ((t_loss, loss), (t_loss_pct, loss_pct), (t_dd, pf.drawdown_pct)) if t
    ]
    fixed = {flag: fixed_rules(constant, flag) for flag in (False, True)}

    results: list[LiveRiskCheckResult] = []
    for index, order in enumerate(batch):
        sym = order.symbol
        table = tables.get(sym, default_table)
        values: list[float | None] = []
        statuses: list[RuleStatus] = []
        val = values.append
        st = statuses.append
        qty = order.qty
        price = order.price
        sev = 0
        if 0 < qty < _INF and (price is None or 0 < price < _INF):
            valid = True
            val(0.0)
            st(_OK)
        else:
            valid = False
            sev = HARD
            val(1.0)
            st(_BREACH)
        if sym in whitelist:
            val(0.0)
            st(_OK)
        else:
            sev = HARD
            val(1.0)
            st(_BREACH)

        quote = quotes.get(sym)
        buy = order.side is _BUY
        market = order.type is _MARKET or price is None
        mid: float | None = None
        ref: float | None
        if quote is None:
            sev |= HARD
            val(None)
            st(_BREACH)
            ref = None if market else price
        else:
            v = (now - quote.ts_ms) / 1000.0
            val(v)
            if v > age_b:
                sev |= HARD
                st(_BREACH)
            elif v >= age_w:
                sev |= WARNED
                st(_WARN)
            else:
                st(_OK)
            bid, ask = quote.bid, quote.ask
            if bid > 0 and ask > 0:
                mid = (bid + ask) / 2
            elif quote.last > 0:
                mid = quote.last
            if market:
                side_px = ask if buy else bid
                ref = side_px if side_px > 0 else mid
            else:
                ref = price
        t = table.band
        if t:
            if market:
                val(0.0)
                st(_OK)
            elif mid is None or price is None:
                sev |= HARD
                val(None)
                st(_BREACH)
            else:
                v = abs(price - mid) / mid * 100.0
                val(v)
                if v > t[0]:
                    sev |= HARD
                    st(_BREACH)
                elif v >= t[1]:
                    sev |= WARNED
                    st(_WARN)
                else:
                    st(_OK)

        pos = qty_of.get(sym, 0.0)
        signed = qty if buy else -qty
        new_pos = pos + signed
        if abs(new_pos) <= 1e-12 * max(abs(pos), qty):
            new_pos = 0.0
        reducing = pos != 0.0 and (signed > 0) != (pos > 0) and qty <= abs(pos) * (1 + TOL)
        notional: float | None = None
        new_sym = new_total = 0.0
        if ref is None or not valid:
            for t in (table.order, table.sym, t_total, t_free, t_run_n, t_day_n):
                if t:
                    sev |= SOFT
                    val(None)
                    st(_BREACH)
        else:
            notional = qty * ref
            mark = mid if mid is not None else marks.get(sym, ref)
            new_sym = abs(new_pos) * mark
            new_total = total - contrib.get(sym, 0.0) + new_sym
            t = table.order
            if t:
                val(notional)
                if notional > t[0]:
                    sev |= SOFT
                    st(_BREACH)
                elif notional >= t[1]:
                    sev |= WARNED
                    st(_WARN)
                else:
                    st(_OK)
            t = table.sym
            if t:
                val(new_sym)
                if new_sym > t[0]:
                    if reducing:
                        st(_EXEMPT)
                    else:
                        sev |= SOFT
                        st(_BREACH)
                elif new_sym >= t[1]:
                    sev |= WARNED
                    st(_WARN)
                else:
                    st(_OK)
            if t_total:
                val(new_total)
                if new_total > t_total[0]:
                    if reducing:
                        st(_EXEMPT)
                    else:
                        sev |= SOFT
                        st(_BREACH)
                elif new_total >= t_total[1]:
                    sev |= WARNED
                    st(_WARN)
                else:
                    st(_OK)
            if t_free:
                v = free - notional if buy else free
                val(v)
                if v < t_free[0]:
                    sev |= SOFT
                    st(_BREACH)
                elif v <= t_free[1]:
                    sev |= WARNED
                    st(_WARN)
                else:
                    st(_OK)
            run_n = run_notional + notional
            day_n = day_notional + notional
            if t_run_n:
                val(run_n)
                if run_n > t_run_n[0]:
                    sev |= HARD
                    st(_BREACH)
                elif run_n >= t_run_n[1]:
                    sev |= WARNED
                    st(_WARN)
                else:
                    st(_OK)
            if t_day_n:
                val(day_n)
                if day_n > t_day_n[0]:
                    sev |= HARD
                    st(_BREACH)
                elif day_n >= t_day_n[1]:
                    sev |= WARNED
                    st(_WARN)
                else:
                    st(_OK)
        opened = (new_pos != 0.0) - (pos != 0.0)  # +1 opens a position, -1 closes one
        t = table.pos
        size = abs(new_pos)
        count = open_count + opened
        if t:
            val(size)
            if size > t[0]:
                if reducing:
                    st(_EXEMPT)
                else:
                    sev |= SOFT
                    st(_BREACH)
            elif size >= t[1]:
                sev |= WARNED
                st(_WARN)
            else:
                st(_OK)
        if t_open:
            val(count)
            if count > t_open[0]:
                if reducing:
                    st(_EXEMPT)
                else:
                    sev |= SOFT
                    st(_BREACH)
            elif count >= t_open[1]:
                sev |= WARNED
                st(_WARN)
            else:
                st(_OK)
        fixed_values, fixed_statuses, fixed_sev = fixed[reducing]
        values += fixed_values
        statuses += fixed_statuses
        sev |= fixed_sev
        n_s, n_min, n_run, n_day = per_s + 1, per_min + 1, run_trades + 1, day_trades + 1
        if t_ps:
            val(n_s)
            if n_s > t_ps[0]:
                sev |= HARD
                st(_BREACH)
            elif n_s >= t_ps[1]:
                sev |= WARNED
                st(_WARN)
            else:
                st(_OK)
        if t_pm:
            val(n_min)
            if n_min > t_pm[0]:
                sev |= HARD
                st(_BREACH)
            elif n_min >= t_pm[1]:
                sev |= WARNED
                st(_WARN)
            else:
                st(_OK)
        if t_run_t:
            val(n_run)
            if n_run > t_run_t[0]:
                sev |= HARD
                st(_BREACH)
            elif n_run >= t_run_t[1]:
                sev |= WARNED
                st(_WARN)
            else:
                st(_OK)
        if t_day_t:
            val(n_day)
            if n_day > t_day_t[0]:
                sev |= HARD
                st(_BREACH)
            elif n_day >= t_day_t[1]:
                sev |= WARNED
                st(_WARN)
            else:
                st(_OK)

        blocked = bool(sev & HARD or (sev & SOFT and block_limits))
        results.append(
            LiveRiskCheckResult(
                index,
                sym,
                _BLOCK if blocked else (_ALLOW_WARN if sev else _ALLOW),
                _ALERT if sev else None,
                reducing,
                notional,
                table.rules,
                table.limits,
                tuple(values),
                tuple(statuses),
            )
        )
        if blocked:
            continue
        qty_of[sym] = new_pos
        if notional is not None:
            contrib[sym] = new_sym
            total = new_total
            if sym not in marks:
                marks[sym] = notional / qty
            if buy:
                free -= notional
            run_notional += notional
            day_notional += notional
        open_count += opened
        per_s += 1
        per_min += 1
        run_trades += 1
        day_trades += 1
    return results
