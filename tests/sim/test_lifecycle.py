"""The simulator embeds in a task group, shuts down cleanly, and runs as ``sim-exchange``."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys

import aiohttp
import anyio
import pytest

from peaktrade.venues.sim import SimSettings, serve_sim


def _connect_refused(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


async def test_runs_inside_a_task_group_and_leaves_nothing_behind() -> None:
    before = set(asyncio.all_tasks())
    async with anyio.create_task_group() as tg:
        handle = await tg.start(serve_sim, SimSettings(history_minutes=10, tick_interval_s=0.05))
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(handle.ws_url + "/btcusdt@trade")
            await ws.receive(timeout=5)
            tg.cancel_scope.cancel()
            msg = await ws.receive(timeout=5)
            assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert _connect_refused(handle.port)
    assert set(asyncio.all_tasks()) - before == set()


async def test_port_zero_picks_a_free_port() -> None:
    async with anyio.create_task_group() as tg:
        handle = await tg.start(serve_sim, SimSettings(history_minutes=10))
        assert handle.port > 0
        assert handle.rest_url == f"http://127.0.0.1:{handle.port}"
        assert handle.ws_url == f"ws://127.0.0.1:{handle.port}/ws"
        tg.cancel_scope.cancel()


def _start_cli(*args: str) -> tuple[subprocess.Popen[str], dict[str, str]]:
    code = (
        "import sys; from peaktrade.venues.sim.cli import run_sim_exchange; "
        "sys.exit(run_sim_exchange('127.0.0.1', 0, 5, None, *sys.argv[1:3]))"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    printed = {}
    while len(printed) < 5:
        name, _, value = proc.stdout.readline().partition(":")
        printed[name.strip()] = value.strip()
    return proc, printed


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
async def test_cli_prints_urls_and_keys_then_exits_0_on_signal(sig: signal.Signals) -> None:
    proc, printed = await asyncio.to_thread(_start_cli, "key-1", "secret-1")
    try:
        assert (printed["api key"], printed["api secret"]) == ("key-1", "secret-1")
        async with aiohttp.ClientSession() as session:
            ping = await session.get(printed["rest"] + "/api/v3/ping")
            assert ping.status == 200
            ws = await session.ws_connect(printed["websocket"] + "/btcusdt@trade")
            await ws.close()
        assert printed["ws-api"].endswith("/ws-api/v3")
        proc.send_signal(sig)
        assert await asyncio.to_thread(proc.wait, 10) == 0
    finally:
        proc.kill()
