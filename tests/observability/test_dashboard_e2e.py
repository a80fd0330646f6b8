"""End to end: a real daemon, its dashboard in headless Chromium, orders and a kill by ptctl.

The page must follow the daemon without being reloaded; the screenshot is kept under
artifacts/ for a human to look at.
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
from pathlib import Path

from tests.observability.browser import Browser
from tests.observability.support import ARTIFACTS, observed_config, running
from tests.support import free_port, run_ptctl

STATE = "document.getElementById('trading-state').textContent"
CELLS = "[...document.querySelectorAll('#{table} tbody td')].map(td => td.textContent)"
LIMITS = (
    "[live_risk]\nmax_symbol_exposure_notional = 20000.0\nmax_total_exposure_notional = 50000.0\n"
)


def cells_include(table: str, text: str) -> str:
    return f"{CELLS.format(table=table)}.some(t => t.includes({json.dumps(text)}))"


def submitted_cid(*args: str) -> str:
    result = run_ptctl(*args, "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    cid: str = json.loads(result.stdout)["result"]["decisions"][0]["order"]["client_order_id"]
    return cid


async def test_the_dashboard_follows_fills_orders_and_a_kill_without_reloading(
    tmp_path: Path,
) -> None:
    port = free_port()
    with running(tmp_path / "d", observed_config(port, extra=LIMITS), port=port) as daemon:
        order = ["--socket", str(daemon.socket), "order", "submit", "--symbol", "BTC/USDT"]
        async with Browser() as browser:
            await browser.open(f"http://127.0.0.1:{port}/")
            assert await browser.wait_for(f"{STATE} === 'ACTIVE'")
            assert await browser.wait_for("document.getElementById('link').textContent === 'live'")
            await browser.evaluate("window.loadedOnce = true")  # a reload would lose it

            filled = await asyncio.to_thread(
                submitted_cid, *order, "--side", "buy", "--qty", "0.01"
            )
            await browser.wait_for(cells_include("fills", filled))
            await browser.wait_for(cells_include("positions", "/ 20,000.00"))  # against its limit

            bid = _view(port)["quotes"][0]["bid"]
            resting = await asyncio.to_thread(
                submitted_cid, *order, "--side", "buy", "--qty", "0.01", "--type", "limit",
                "--price", f"{bid * 0.98:.2f}",
            )  # fmt: skip
            await browser.wait_for(cells_include("orders", resting))

            killed = await asyncio.to_thread(
                run_ptctl, "--socket", str(daemon.socket), "kill", "--reason", "e2e drill",
                "--cancel-open",
            )  # fmt: skip
            assert killed.returncode == 0, killed.stderr
            await browser.wait_for(f"{STATE} === 'HALTED'")
            assert (
                await browser.evaluate("document.getElementById('trading-reason').textContent")
                == "e2e drill"
            )
            await browser.wait_for(cells_include("alerts", "kill.engaged"))
            await browser.wait_for(f"!{cells_include('orders', resting)}")  # cancelled by the kill

            assert await browser.evaluate("window.loadedOnce") is True
            assert await browser.evaluate("window.peaktradeViews") >= 4
            assert browser.errors == []
            await browser.screenshot(ARTIFACTS / "dashboard.png")
    assert (ARTIFACTS / "dashboard.png").stat().st_size > 10_000


def _view(port: int) -> dict[str, list[dict[str, float]]]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/view", timeout=5) as response:
        view: dict[str, list[dict[str, float]]] = json.loads(response.read())
    return view
