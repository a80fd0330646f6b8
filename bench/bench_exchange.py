"""Exchange-layer figures: order round trip, kill with cancel-open, market-data throughput.

- Order round trip against a standalone simulator, same run, interleaved: a raw signed aiohttp
  POST /api/v3/order (the floor), ``CcxtVenue.submit`` (ccxt, with the daemon's exchange
  settings), and ``OrderPath.submit`` (intent -> screen -> journal fsync -> ccxt -> journal).
  Samples are spaced apart: this is the latency of one order, not throughput. (With ccxt's
  default leaky-bucket limiter every order also waited 10 ms, idle or not; the daemon now
  uses ccxt's rolling window for Binance, see ``build_exchange``.)
- Kill with cancel-open: a real daemon in testnet mode on a standalone simulator, 50 resting
  limit orders on 5 symbols placed over the socket, then ``Kill(cancel_open=True)``; the time
  until the daemon lists no live order (and the exchange has none open), over 20 rounds.
- Market data: the simulator's bookTicker/ticker streams at its fastest tick, counted as raw
  websocket frames by a plain aiohttp client and, in the same run, as deliveries through
  ccxt.pro into the quote book (``MarketData``).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiohttp
import anyio
from common import ROOT, figure, pct, running_daemon

from ctl.client import ask
from peaktrade.config import parse_config
from peaktrade.control.protocol import (
    Kill,
    OrderResult,
    OrderSpec,
    OrdersQuery,
    OrdersResult,
    OrderSubmit,
    Release,
    Status,
    StatusResult,
)
from peaktrade.core.model import OrderIntent, OrderType, Side
from peaktrade.core.orders import JournalOrder, OrderState
from peaktrade.daemon.clock import now_ms
from peaktrade.daemon.trading import TradingSwitch
from peaktrade.daemon.venue_stack import build_exchange
from peaktrade.execution.config import ExecutionConfig
from peaktrade.execution.engine import OrderPath
from peaktrade.store import journal
from peaktrade.store.db import Database
from peaktrade.venues.ccxt_venue import CcxtVenue
from peaktrade.venues.config import MarketDataConfig
from peaktrade.venues.quotes import QuoteBook
from peaktrade.venues.sim.settings import SimSettings
from peaktrade.venues.streams import MarketData

N_ORDERS = 300
SPACING_S = 0.02  # samples apart: the latency of one order, not of a queue of them
KILL_ROUNDS = 20
OPEN_ORDERS = 50
SYMBOLS = ["BTC/USDT", "ETH/USDT", "SOL/USDT", "BNB/USDT", "XRP/USDT"]
RESTING: dict[str, tuple[float, int]] = {  # qty, price decimals for a resting buy
    "BTC/USDT": (0.001, 2),
    "ETH/USDT": (0.01, 2),
    "SOL/USDT": (0.1, 2),
    "BNB/USDT": (0.02, 2),
    "XRP/USDT": (20.0, 4),
}
MD_WARMUP_S = 3.0
MD_WINDOW_S = 10.0

SIM_SCRIPT = """
import sys, anyio, msgspec
from peaktrade.venues.sim.server import serve_sim
from peaktrade.venues.sim.settings import SimSettings
settings = msgspec.json.decode(sys.argv[1].encode(), type=SimSettings)
async def main():
    async with anyio.create_task_group() as tg:
        handle = await tg.start(serve_sim, settings)
        print(handle.rest_url, flush=True)
anyio.run(main, backend="asyncio", backend_options={"use_uvloop": True})
"""


@contextmanager
def simulator(**settings: Any) -> Iterator[str]:
    """A standalone simulator process (own loop, own core) with these settings; yields its URL."""
    encoded = json.dumps(settings)
    proc = subprocess.Popen(
        [sys.executable, "-c", SIM_SCRIPT, encoded],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        if not url.startswith("http://127.0.0.1:"):
            raise RuntimeError("the simulator did not start")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def exchange_config(url: str) -> Any:
    text = f"""
[run]
mode = "testnet"
network = "sim"
[exchange]
symbols = {json.dumps(SYMBOLS)}
sim_url = "{url}"
"""
    return parse_config(text.encode(), source="bench").config


# --- order round trip --------------------------------------------------------------------


class RawClient:
    """A signed POST /api/v3/order as Binance documents it: the least any client can do."""

    def __init__(self, url: str, session: aiohttp.ClientSession) -> None:
        defaults = SimSettings()
        self.url, self.session = url, session
        self.key, self.secret = defaults.api_key, defaults.api_secret

    async def market(self, side: str, cid: str) -> dict[str, Any]:
        body = (
            f"symbol=BTCUSDT&side={side.upper()}&type=MARKET&quantity=0.001"
            f"&newClientOrderId={cid}&newOrderRespType=FULL&timestamp={now_ms()}"
        )
        signature = hmac.new(self.secret.encode(), body.encode(), hashlib.sha256).hexdigest()
        async with self.session.post(
            f"{self.url}/api/v3/order",
            data=f"{body}&signature={signature}",
            headers={
                "X-MBX-APIKEY": self.key,
                "Content-Type": "application/x-www-form-urlencoded",
            },
        ) as response:
            result: dict[str, Any] = await response.json()
            if response.status != 200:
                raise RuntimeError(f"raw order refused: {result}")
            return result


async def order_round_trips(url: str, workdir: Path) -> dict[str, list[float]]:
    config = exchange_config(url)
    exchange = build_exchange(config, (url, url.replace("http://", "ws://") + "/ws"))
    venue = CcxtVenue(exchange, lambda e: None, now_ms)
    await exchange.load_markets()
    db = Database(workdir / "rtt.sqlite3")
    quotes = QuoteBook(SYMBOLS, stale_after_s=600.0)
    await MarketData(venue, quotes, MarketDataConfig(), lambda e: None, now_ms).snapshot()
    switch = await TradingSwitch.load(db)
    path = OrderPath(
        db=db,
        ns=await db.call(journal.journal_namespace, "bench"),
        executor=venue,
        switch=switch,
        quotes=quotes,
        events=lambda e: None,
        config=ExecutionConfig(),
        now_ms=now_ms,
        quote_currency="USDT",
    )
    samples: dict[str, list[float]] = {"raw": [], "ccxt": [], "path": []}
    try:
        async with aiohttp.ClientSession() as session:
            raw = RawClient(url, session)
            for i in range(N_ORDERS + 30):
                side = Side.BUY if i % 2 == 0 else Side.SELL
                intent = OrderIntent(symbol="BTC/USDT", side=side, qty=0.001, type=OrderType.MARKET)
                order = JournalOrder(
                    client_order_id=f"bench-{i}",
                    seq=i,
                    intent=intent,
                    executor="exchange",
                    state=OrderState.PENDING,
                    created_ms=0,
                    updated_ms=0,
                )
                timings = {}
                await asyncio.sleep(SPACING_S)
                start = time.perf_counter()
                await raw.market(side.value, f"raw-{i}")
                timings["raw"] = time.perf_counter() - start
                await asyncio.sleep(SPACING_S)
                start = time.perf_counter()
                result = await venue.submit(order)
                timings["ccxt"] = time.perf_counter() - start
                assert result.report is not None, result
                await asyncio.sleep(SPACING_S)
                start = time.perf_counter()
                (done,) = await path.submit([intent])
                timings["path"] = time.perf_counter() - start
                assert done.outcome == "accepted", done
                if i >= 30:  # warm-up: connections, caches
                    for name, value in timings.items():
                        samples[name].append(value)
    finally:
        await venue.close()
        db.close()
    return samples


# --- kill with cancel-open ---------------------------------------------------------------

DAEMON_CONFIG = """
[run]
mode = "testnet"
network = "sim"
account_label = "bench-kill"
[exchange]
symbols = {symbols}
sim_url = "{url}"
[live_risk]
max_orders_per_second = 0
max_orders_per_minute = 0
[logging]
level = "warning"
"""


def sim_state(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{url}/sim/state", timeout=5) as response:
        state: dict[str, Any] = json.loads(response.read())
    return state


def place_resting(sock: Path, prices: dict[str, float]) -> None:
    """50 buys well under the market (inside the 5 % price band), 10 per symbol, in parallel."""
    specs = []
    for symbol in SYMBOLS:
        qty, decimals = RESTING[symbol]
        mid = prices[symbol.replace("/", "")]
        for k in range(OPEN_ORDERS // len(SYMBOLS)):
            price = round(mid * (0.96 - 0.001 * k), decimals)
            specs.append(OrderSpec(symbol=symbol, side="buy", qty=qty, type="limit", price=price))
    failures: list[str] = []

    def submit(batch: list[OrderSpec]) -> None:
        for spec in batch:
            result = ask(sock, OrderSubmit(order=spec), timeout_s=10).result
            assert isinstance(result, OrderResult)
            order = result.decisions[0].order
            if order is None or order.state != "open":
                failures.append(f"{spec.symbol}: {result.decisions[0].code}")

    threads = [threading.Thread(target=submit, args=(specs[i::5],)) for i in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError(f"resting orders not placed: {failures[:5]}")


def live_orders(sock: Path) -> int:
    result = ask(sock, OrdersQuery(open_only=True, limit=1000), timeout_s=10).result
    assert isinstance(result, OrdersResult)
    return len(result.orders)


def kill_cancel_open(url: str) -> tuple[list[float], list[float]]:
    config = DAEMON_CONFIG.format(symbols=json.dumps(SYMBOLS), url=url)
    to_cancelled: list[float] = []
    to_ack: list[float] = []
    with running_daemon(config) as sock:
        deadline = time.monotonic() + 30
        while True:
            status = ask(sock, Status(), timeout_s=5).result
            if isinstance(status, StatusResult) and status.reconciled:
                break
            if time.monotonic() > deadline:
                raise RuntimeError("the daemon did not reconcile")
            time.sleep(0.05)
        for round_no in range(KILL_ROUNDS):
            prices = {s: float(p) for s, p in sim_state(url)["prices"].items()}
            place_resting(sock, prices)
            if live_orders(sock) != OPEN_ORDERS:
                raise RuntimeError("not every resting order is listed open")
            start = time.perf_counter()
            reply = ask(sock, Kill(reason=f"bench round {round_no}", cancel_open=True), 10)
            to_ack.append(time.perf_counter() - start)
            assert reply.ok, reply
            while live_orders(sock):
                time.sleep(0.002)
            to_cancelled.append(time.perf_counter() - start)
            if sim_state(url)["open_orders"]:
                raise RuntimeError("the journal says cancelled, the exchange still has orders")
            assert ask(sock, Release(reason="bench round over"), 10).ok
    return to_ack, to_cancelled


# --- market data throughput --------------------------------------------------------------


RAW_COUNTER = """
import asyncio, sys, time, aiohttp
url, start, end = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
async def main():
    frames = drops = 0
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < end:
            async with session.ws_connect(url, max_msg_size=0) as ws:
                async for message in ws:
                    now = time.monotonic()
                    if now > end:
                        break
                    if now >= start and "@bookTicker" in message.data:
                        frames += 1
                else:
                    drops += 1
    print(frames, drops, flush=True)
asyncio.run(main())
"""


def raw_counter(url: str, begin: float, end: float) -> subprocess.Popen[str]:
    """Raw frames are counted in a process of their own: the feed's rate, not our loop's."""
    ws_url = url.replace("http://", "ws://")
    streams = [
        f"{s.replace('/', '').lower()}@{k}" for s in SYMBOLS for k in ("bookTicker", "ticker")
    ]
    target = f"{ws_url}/stream?streams={'/'.join(streams)}"
    return subprocess.Popen(
        [sys.executable, "-c", RAW_COUNTER, target, str(begin), str(end)],
        stdout=subprocess.PIPE,
        text=True,
    )


async def market_data_rates(url: str, begin: float, end: float) -> dict[str, float]:
    """ccxt.pro into the quote book over the same window as the raw counter."""
    ws_url = url.replace("http://", "ws://")
    config = exchange_config(url)
    exchange = build_exchange(config, (url, ws_url + "/ws"))
    venue = CcxtVenue(exchange, lambda e: None, now_ms)
    await exchange.load_markets()
    parsed = 0
    handle = exchange.handle_message

    def counting(client: Any, message: Any) -> Any:
        """ccxt parses every frame into its cache, whether or not it wakes the watcher."""
        nonlocal parsed
        if isinstance(message, dict) and "u" in message and "b" in message:  # a bookTicker
            parsed += 1
        return handle(client, message)

    exchange.handle_message = counting  # before the first watch: the clients bind it
    book = QuoteBook(SYMBOLS, stale_after_s=10.0)
    md = MarketData(venue, book, MarketDataConfig(), lambda e: None, now_ms)
    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(md.run)
            await anyio.sleep_until(begin)
            frames0, updates0, reconnects0 = md.frames, book.updates, md.health.reconnects
            parsed0 = parsed
            await anyio.sleep_until(end)
            frames, updates = md.frames - frames0, book.updates - updates0
            parsed -= parsed0
            reconnects = md.health.reconnects - reconnects0
            tg.cancel_scope.cancel()
    finally:
        await venue.close()
    return {
        "parsed": parsed / MD_WINDOW_S,
        "deliveries": frames / MD_WINDOW_S,
        "updates": updates / MD_WINDOW_S,
        "reconnects": float(reconnects),
    }


def bench_order_rtt() -> None:
    ms = 1000.0
    with tempfile.TemporaryDirectory(prefix="pt-bench-x-") as tmp, simulator() as url:
        rtt = anyio.run(order_round_trips, url, Path(tmp), backend_options={"use_uvloop": True})
    raw50, ccxt50, path50 = (pct(rtt[k], 50) for k in ("raw", "ccxt", "path"))
    raw99, ccxt99, path99 = (pct(rtt[k], 99) for k in ("raw", "ccxt", "path"))
    figure("order_rtt_raw_p50", raw50 * ms, "ms")
    figure("order_rtt_raw_p99", raw99 * ms, "ms")
    figure("order_rtt_ccxt_venue_p50", ccxt50 * ms, "ms")
    figure("order_rtt_ccxt_venue_p99", ccxt99 * ms, "ms")
    figure("order_rtt_ccxt_vs_raw_p50_ratio", ccxt50 / raw50, "x", "<= 2")
    figure("order_rtt_ccxt_vs_raw_p99_ratio", ccxt99 / raw99, "x", "<= 2")
    figure("order_rtt_order_path_p50", path50 * ms, "ms")
    figure("order_rtt_order_path_p99", path99 * ms, "ms")
    figure("order_rtt_order_path_vs_raw_p50_ratio", path50 / raw50, "x")


def bench_kill() -> None:
    ms = 1000.0
    with simulator() as url:
        acks, cancelled = kill_cancel_open(url)
    figure("kill_cancel_open_ack_p50", pct(acks, 50) * ms, "ms")
    figure("kill_cancel_open_50_orders_p50", pct(cancelled, 50) * ms, "ms")
    figure("kill_cancel_open_50_orders_p99", pct(cancelled, 99) * ms, "ms", "<= 300 ms")


def bench_market_data() -> None:
    # 2 ms ticks: the fastest the simulator sustains here (at 1 ms its own send queue overflows
    # and it drops its subscribers, the raw client included)
    with simulator(tick_interval_s=0.003, ticker_interval_s=0.05, volatility=0.001) as url:
        begin = time.monotonic() + MD_WARMUP_S
        end = begin + MD_WINDOW_S
        counter = raw_counter(url, begin, end)
        rates = anyio.run(market_data_rates, url, begin, end, backend_options={"use_uvloop": True})
        out, _ = counter.communicate(timeout=30)
    raw, raw_drops = (int(x) for x in out.split())
    figure("md_raw_book_frames_per_s", raw / MD_WINDOW_S, "/s")
    figure("md_ccxt_parsed_frames_per_s", rates["parsed"], "/s")
    figure("md_ccxt_deliveries_per_s", rates["deliveries"], "/s")
    figure("md_quote_book_updates_per_s", rates["updates"], "/s")
    figure("md_quote_book_vs_raw_ratio", rates["updates"] / (raw / MD_WINDOW_S), "x", ">= 0.5")
    figure("md_ccxt_reconnects", rates["reconnects"], "")
    figure("md_raw_reconnects", float(raw_drops), "")


BENCHES = {"rtt": bench_order_rtt, "kill": bench_kill, "md": bench_market_data}


def main() -> None:
    """Every figure, or only those named on the command line (rtt, kill, md)."""
    for name in sys.argv[1:] or list(BENCHES):
        BENCHES[name]()


if __name__ == "__main__":
    os.environ.pop("NOTIFY_SOCKET", None)
    main()
