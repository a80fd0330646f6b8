"""Account balances, free and locked, kept exact in ``Decimal``."""

from __future__ import annotations

from decimal import Decimal

from peaktrade.venues.sim.decimals import ZERO, fmt
from peaktrade.venues.sim.errors import INSUFFICIENT_BALANCE, rejected


class Balances:
    """Free and locked amount per asset; remembers which assets changed for the user stream."""

    def __init__(self, initial: dict[str, Decimal]) -> None:
        self.free: dict[str, Decimal] = dict(initial)
        self.locked: dict[str, Decimal] = {asset: ZERO for asset in initial}
        self._dirty: list[str] = []

    def _touch(self, asset: str) -> None:
        self.free.setdefault(asset, ZERO)
        self.locked.setdefault(asset, ZERO)
        if asset not in self._dirty:
            self._dirty.append(asset)

    def require_free(self, asset: str, amount: Decimal) -> None:
        if self.free.get(asset, ZERO) < amount:
            raise rejected(INSUFFICIENT_BALANCE)

    def lock(self, asset: str, amount: Decimal) -> None:
        self.require_free(asset, amount)
        self._touch(asset)
        self.free[asset] -= amount
        self.locked[asset] += amount

    def unlock(self, asset: str, amount: Decimal) -> None:
        self._touch(asset)
        self.locked[asset] -= amount
        self.free[asset] += amount

    def pay_locked(self, asset: str, amount: Decimal) -> None:
        self._touch(asset)
        self.locked[asset] -= amount

    def pay_free(self, asset: str, amount: Decimal) -> None:
        self.require_free(asset, amount)
        self._touch(asset)
        self.free[asset] -= amount

    def credit(self, asset: str, amount: Decimal) -> None:
        self._touch(asset)
        self.free[asset] += amount

    def position_event(self, now: int) -> dict[str, object] | None:
        """outboundAccountPosition for the assets changed since the last call, if any."""
        changed, self._dirty = self._dirty, []
        if not changed:
            return None
        rows = [{"a": a, "f": fmt(self.free[a]), "l": fmt(self.locked[a])} for a in changed]
        return {"e": "outboundAccountPosition", "E": now, "u": now, "B": rows}
