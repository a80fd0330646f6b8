"""One drill's world: its directory, simulator, daemon and alert receivers, and its checks.

Every expectation is a named check polled until a deadline (``expect``), held over a window
(``hold``) or taken as it stands (``check``); each records whether it passed and what was seen.
Observation goes where an operator looks: the webhook, ``ptctl``, the simulator's books, and
the drill's own state database for journal integrity.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import msgspec

from peaktrade.control.protocol import Health, HealthResult
from peaktrade.core.ids import is_ours, namespace
from peaktrade.core.orders import JournalOrder, OrderState
from peaktrade.drills.model import DrillCheck
from peaktrade.drills.processes import DaemonProcess, Receiver, SimProcess
from peaktrade.store import journal
from peaktrade.store.db import db_path

Probe = Callable[[], tuple[bool, str]]
ACCOUNT = "drill"
POLL_S = 0.1

# Fast settings so each scenario takes seconds; the auto-kill on exchange failures is raised out
# of the way so each drill shows its own fault's reaction (the triggers have their own tests).
BASE_CONFIG: dict[str, Any] = {
    "profile": "dev",
    "run": {"mode": "testnet", "network": "sim", "account_label": ACCOUNT},
    "exchange": {"symbols": ["BTC/USDT", "ETH/USDT"], "timeout_s": 3.0},
    "control": {"request_timeout_s": 5.0, "idle_timeout_s": 5.0},
    "logging": {"format": "json"},
    "daemon": {"shutdown_timeout_s": 5.0, "ready_timeout_s": 20.0},
    "execution": {"resolve_interval_s": 0.2, "resolve_bound_s": 5.0, "not_found_grace_s": 1.0},
    "account_sync": {"poll_interval_s": 1.0, "quiet_after_s": 2.0},
    "market_data": {
        "stale_after_s": 2.0,
        "reconnect_base_s": 0.1,
        "reconnect_cap_s": 0.5,
        "jump_confirm_s": 1.0,
    },
    "portfolio": {"snapshot_interval_s": 0.3, "balance_refresh_s": 1.0},
    "live_risk": {
        "kill": {"max_consecutive_exchange_failures": 10_000, "error_rate_min_calls": 1_000_000}
    },
    "live_alerts": {
        "sinks": ["log", "webhook"],
        "dedupe_window_s": 60.0,
        "sink_failing_after_s": 2.0,
        "retry": {"max_attempts": 2, "base_delay_s": 0.1, "max_delay_s": 0.5},
        "webhook": {"rate_per_min": 0.0, "timeout_s": 2.0},
        "discord": {"rate_per_min": 0.0, "timeout_s": 2.0},
    },
    "strategy": {"name": "none"},
}


def merged(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merged(out[key], value)
        else:
            out[key] = value
    return out


class DrillEnv:
    def __init__(
        self,
        workdir: Path,
        config: Mapping[str, Any] | None = None,
        prices: str | None = None,
    ) -> None:
        self.workdir = workdir
        self.checks: list[DrillCheck] = []
        self.webhook = Receiver("/drill-webhook")
        self.second = Receiver("/drill-second-sink")  # the "other sink" (discord format)
        prices_file = None
        if prices is not None:
            prices_file = workdir / "prices.csv"
            prices_file.write_text(prices)
        self.sim = SimProcess(workdir, prices_file)
        self.overrides = config or {}
        env = {
            "PEAKTRADE_ALERT_WEBHOOK_URL": self.webhook.url,
            "PEAKTRADE_ALERT_DISCORD_WEBHOOK": self.second.url,
        }
        self.daemon = DaemonProcess(workdir, env=env)

    def start(self) -> None:
        """The simulator, then the daemon pointed at it (the config needs the sim's URL)."""
        self.sim.start()
        config = merged(BASE_CONFIG, {"exchange": {"sim_url": self.sim.rest_url}})
        self.daemon.config.write_text(msgspec.toml.encode(merged(config, self.overrides)).decode())
        self.daemon.start()

    def close(self) -> None:
        for stop in (self.daemon.stop, self.sim.stop, self.webhook.close, self.second.close):
            with contextlib.suppress(Exception):  # a drill's teardown must not hide its result
                stop()

    # --- checks ----------------------------------------------------------------------------

    def check(self, name: str, passed: bool, seen: str = "") -> bool:
        self.checks.append(DrillCheck(name=name, passed=passed, seen=seen[:300]))
        return passed

    def expect(self, name: str, probe: Probe, within_s: float = 10.0) -> bool:
        """Poll ``probe`` until it holds or the deadline passes."""
        deadline = time.monotonic() + within_s
        ok, seen = _safe(probe)
        while not ok and time.monotonic() < deadline:
            time.sleep(POLL_S)
            ok, seen = _safe(probe)
        return self.check(name, ok, seen)

    def hold(self, name: str, probe: Probe, for_s: float) -> bool:
        """``probe`` must hold at every look for ``for_s`` seconds."""
        deadline = time.monotonic() + for_s
        ok, seen = _safe(probe)
        while ok and time.monotonic() < deadline:
            time.sleep(POLL_S)
            ok, seen = _safe(probe)
        return self.check(name, ok, seen)

    # --- what an operator sees ---------------------------------------------------------------

    def alerted(self, code: str, status: str = "firing", **context: object) -> Probe:
        """A webhook alert of ``code`` (firing or resolved) whose context has these values."""

        def probe() -> tuple[bool, str]:
            for p in self.webhook.payloads():
                ctx = p.get("context") or {}
                same = p.get("code") == code and p.get("status") == status
                if same and all(ctx.get(k) == v for k, v in context.items()):
                    return True, f"{p.get('level')} {p.get('message')}"
            codes = sorted({f"{p.get('code')}/{p.get('status')}" for p in self.webhook.payloads()})
            return False, "webhook got: " + ", ".join(codes)

        return probe

    def webhook_count(self, code: str, status: str = "firing") -> int:
        return sum(
            1 for p in self.webhook.payloads() if p.get("code") == code and p["status"] == status
        )

    def state_is(self, state: str) -> Probe:
        def probe() -> tuple[bool, str]:
            s = self.daemon.status()
            if s is None:
                return False, "daemon unreachable"
            return s.state == state, f"{s.state} ({s.reason})" if s.reason else s.state

        return probe

    def health_check(self, name: str, level: str) -> Probe:
        def probe() -> tuple[bool, str]:
            result = self.daemon.ask(Health(), timeout_s=3.0).result
            assert isinstance(result, HealthResult)
            found = next((c for c in result.checks if c.name == name), None)
            if found is None:
                return False, f"no health check {name}"
            return found.level.value == level, f"{found.level.value}: {found.value}"

        return probe

    def submit(self, symbol: str, side: str, qty: float, *extra: str) -> dict[str, Any]:
        """``ptctl order submit``; the one decision of the reply (empty when refused outright)."""
        _, reply = self.daemon.ptctl(
            "order", "submit", "--symbol", symbol, "--side", side, "--qty", f"{qty:g}", *extra
        )
        decisions = (reply.get("result") or {}).get("decisions") or [{}]
        decision: dict[str, Any] = decisions[0]
        return decision

    # --- what the books say ------------------------------------------------------------------

    def journal_orders(self) -> list[JournalOrder]:
        with self._db() as conn:
            return journal.recent_orders(conn, 10**6)

    def journal_problems(self) -> list[str]:
        with self._db() as conn:
            return journal.integrity_problems(conn)

    def namespace(self) -> str:
        """The daemon's client-id namespace (read-only: its journal made the epoch)."""
        with self._db() as conn:
            (epoch,) = conn.execute("SELECT value FROM journal_meta WHERE key = 'epoch'").fetchone()
        return namespace(ACCOUNT, str(epoch))

    def _db(self) -> _ReadOnly:
        return _ReadOnly(db_path(self.daemon.state_dir, "sim"))

    def disagreements(self) -> list[str]:
        """Journal against exchange: every order of ours known to both, same state and fills,
        none in doubt, none placed twice."""
        state = self.sim.state()
        ns = self.namespace()
        orders = {o.client_order_id: o for o in self.journal_orders()}
        with self._db() as conn:
            fills = {cid: {f.trade_id for f in journal.fills_of(conn, cid)} for cid in orders}
        problems = [f"{cid}: placed twice" for cid in state["duplicates"]]
        for cid, placed in state["by_client"].items():
            if not is_ours(cid, ns):
                continue
            order = orders.get(cid)
            if order is None:
                problems.append(f"{cid}: on the exchange, not in the journal")
                continue
            want = _SIM_STATES.get(placed["status"])
            if (
                want is not order.state
                or abs(float(placed["executed_qty"]) - order.filled_qty) > 1e-9
            ):
                problems.append(
                    f"{cid}: journal {order.state.value} {order.filled_qty:g}, exchange "
                    f"{placed['status']} {placed['executed_qty']}"
                )
            missing = {str(t) for t in placed["fills"]} - fills.get(cid, set())
            if missing:
                problems.append(f"{cid}: {len(missing)} fill(s) not in the journal")
        for cid, order in orders.items():
            if order.state in (OrderState.UNKNOWN, OrderState.PENDING):
                problems.append(f"{cid}: still {order.state.value}")
            elif cid not in state["by_client"] and order.state not in _NEVER_PLACED:
                problems.append(f"{cid}: journal {order.state.value}, exchange has none")
        return problems


_SIM_STATES = {
    "NEW": OrderState.OPEN,
    "PARTIALLY_FILLED": OrderState.PARTIALLY_FILLED,
    "FILLED": OrderState.FILLED,
    "CANCELED": OrderState.CANCELLED,
    "EXPIRED": OrderState.EXPIRED,
    "EXPIRED_IN_MATCH": OrderState.EXPIRED,
    "REJECTED": OrderState.REJECTED,
}
_NEVER_PLACED = (OrderState.REJECTED, OrderState.EXPIRED)


class _ReadOnly:
    """A read-only connection to the drill daemon's database (WAL: the daemon keeps writing)."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10.0)

    def __enter__(self) -> sqlite3.Connection:
        return self.conn

    def __exit__(self, *_: object) -> None:
        self.conn.close()


def _safe(probe: Probe) -> tuple[bool, str]:
    try:
        return probe()
    except Exception as exc:  # a probe that cannot look yet has simply not seen it
        return False, f"{type(exc).__name__}: {exc}"[:300]
