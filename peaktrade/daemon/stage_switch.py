"""Switching the executor behind the one order path, in the running daemon.

Order of a switch, each step before the next: new orders are blocked (the path reports
``daemon.not_reconciled``); orders being sent finish; the old stage's open orders are
cancelled with the old executor (no executor can manage another's orders); the new executor
takes over with its own book (positions, doubts and the risk ledger rebuilt from its journal
rows alone, the paper broker from its balances and paper fills, exchange balances read); the
journal is reconciled against it. The caller persists the stage, then ``resume`` reopens the path.
A promotion that cannot cancel everything, or cannot reach the exchange, is aborted with the
old executor back in place; a degrade goes ahead and reports what it left.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import anyio
import msgspec

from peaktrade.config import Mode
from peaktrade.execution.kill_actions import cancel_open
from peaktrade.execution.reconcile import reconcile
from peaktrade.log import get_logger
from peaktrade.store import journal
from peaktrade.venues.executor import Executor
from peaktrade.venues.paper import PaperBroker
from peaktrade.venues.shadow import ShadowExecutor

if TYPE_CHECKING:
    from peaktrade.daemon.venue_stack import VenueStack

log = get_logger("peaktrade.stage_switch")

EXECUTOR_OF = {
    Mode.SHADOW: "shadow",
    Mode.PAPER: "paper",
    Mode.TESTNET: "exchange",
    Mode.LIVE: "exchange",
}
_POLL_S = 0.02


class SwitchAborted(Exception):
    """Nothing changed: the old executor still serves. ``code`` is stable (stage.*)."""

    def __init__(self, code: str, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint


class SwitchReport(msgspec.Struct, frozen=True, kw_only=True):
    cancelled: int
    left_open: list[str]  # client ids still live after the cancels
    reconciled: bool
    problems: list[str]  # what reconciliation found, or why it did not finish


async def switch_executor(
    stack: VenueStack, target: Mode, *, timeout_s: float, abort_on_leftovers: bool
) -> SwitchReport:
    """Swap to ``target``'s executor; the path stays blocked until ``resume``."""
    path = stack.path
    assert path is not None
    was_reconciled = stack.reconciled
    balances = (
        await _preflight(stack, target, timeout_s) if EXECUTOR_OF[target] == "exchange" else None
    )
    stack.reconciled = False
    path.reconciled = False  # from here, new orders are refused
    try:
        with anyio.move_on_after(timeout_s) as waited:
            while path.inflight or path.sending:  # noqa: ASYNC110 - bounded by timeout_s
                await anyio.sleep(_POLL_S)
        if waited.cancelled_caught and abort_on_leftovers:
            raise SwitchAborted(
                "stage.busy", "orders were still being sent when the switch timed out", "retry"
            )
        old = path.executor.name
        before = await stack.db.call(journal.live_orders, executor=old)
        left: list[str] = []
        if before:
            with anyio.move_on_after(timeout_s):
                await cancel_open(path)
            left = [
                o.client_order_id for o in await stack.db.call(journal.live_orders, executor=old)
            ]
        if left and abort_on_leftovers:
            raise SwitchAborted(
                "stage.orders_left_open",
                f"{len(left)} order(s) of the old stage could not be cancelled: "
                + ", ".join(left[:5]),
                "cancel them (ptctl order cancel ID) or wait for the resolver, then retry",
            )
    except BaseException:
        stack.reconciled = was_reconciled
        path.reconciled = was_reconciled
        raise
    executor = await _build(stack, target, balances)
    path.executor = executor
    await path.load()  # the new executor's book: its positions and doubts, no other's
    if stack.contingent is not None:  # and its held stops: a run started elsewhere never armed them
        await stack.contingent.load()
    stack.risk.balances = stack.balances_of(executor)  # the stack's own rule
    await stack.risk.load_ledger(executor.name)
    equity = await _rebase_risk(stack)
    log.warning("executor_switched", stage=target.value, executor=executor.name, equity=equity)
    problems: list[str] = []
    reconciled = False
    try:
        with anyio.fail_after(timeout_s):
            assert stack.resolver is not None
            report = await reconcile(path, stack.resolver, stack.symbols)
        stack.last_reconcile = report
        problems = list(report.problems)
        reconciled = True
    except Exception as exc:
        problems = [f"reconciliation failed: {type(exc).__name__}: {exc}"[:300]]
        stack.reconcile_error = problems[0]
    return SwitchReport(
        cancelled=len(before) - len(left), left_open=left, reconciled=reconciled, problems=problems
    )


def resume(stack: VenueStack) -> None:
    """Reopen the path once the stage is persisted."""
    assert stack.path is not None
    stack.reconcile_error = ""
    stack.reconciled = True
    stack.path.reconciled = True


async def _preflight(
    stack: VenueStack, target: Mode, timeout_s: float
) -> tuple[dict[str, float], float]:
    """The exchange must answer (markets, balances) before anything is cancelled."""
    venue = stack.venue
    if venue is None or not stack.markets_loaded:
        raise SwitchAborted(
            "stage.exchange_unreachable",
            f"the exchange is not connected: cannot switch to {target.value}",
            "see ptctl health; retry once the exchange check is ok",
        )
    try:
        asked = time.monotonic()
        with anyio.fail_after(timeout_s):
            raw = await venue.fetch_balances()
    except Exception as exc:
        raise SwitchAborted(
            "stage.exchange_unreachable",
            f"the exchange did not answer a balance read: {type(exc).__name__}",
            "check credentials and ptctl health, then retry",
        ) from None
    return {a: free + used for a, (free, used) in raw.items()}, asked


async def _rebase_risk(stack: VenueStack) -> float:
    """The switch changed the account measured (paper book, exchange account)."""
    return await stack.risk.rebase(peak=True)


async def _build(
    stack: VenueStack, target: Mode, balances: tuple[dict[str, float], float] | None
) -> Executor:
    kind = EXECUTOR_OF[target]
    if kind == "shadow":
        return ShadowExecutor(stack.now_ms)
    if kind == "paper":
        assert stack.sync is not None
        broker = PaperBroker(
            stack.quotes, stack.config.paper, stack.sync.channel.publish, stack.now_ms
        )
        await stack.restore_paper(broker)  # as a restart in paper would
        return broker
    assert stack.venue is not None and balances is not None
    stack.exchange_balances = balances
    return stack.venue
