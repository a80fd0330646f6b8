"""Loopback servers and helpers for the alert tests: real HTTP and SMTP, no mocks."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import anyio
import msgspec
from aiohttp import web

from peaktrade.alerts.config import AlertsConfig
from peaktrade.alerts.service import AlertService
from peaktrade.alerts.sinks.factory import build_sinks
from peaktrade.log import configure_logging
from peaktrade.store.db import Database

FIXED_MS = 1_700_000_000_000  # 2023-11-14T22:13:20Z
FIXED_ISO = "2023-11-14T22:13:20.000+00:00"


class Planned(msgspec.Struct, frozen=True):
    """How the receiver answers one request."""

    status: int = 200
    body: str = ""
    headers: dict[str, str] = {}
    delay_s: float = 0.0
    hang: bool = False


class Received(msgspec.Struct, frozen=True):
    path: str
    headers: dict[str, str]
    body: Any
    at_s: float


class Receiver:
    """An aiohttp server on 127.0.0.1 that records every request and answers as planned."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self._plans: dict[str, deque[Planned]] = {}
        self._defaults: dict[str, Planned] = {}
        self._release = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def start(self) -> Receiver:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return self

    async def stop(self) -> None:
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def plan(self, path: str, *answers: Planned, then: Planned | None = None) -> None:
        """Answer the next requests to ``path`` with ``answers``, later ones with ``then``."""
        self._plans.setdefault(path, deque()).extend(answers)
        if then is not None:
            self._defaults[path] = then

    def at(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        self.requests.append(Received(request.path, dict(request.headers), body, time.monotonic()))
        queue = self._plans.get(request.path)
        answer = queue.popleft() if queue else self._defaults.get(request.path, Planned())
        if answer.hang:
            await self._release.wait()
        if answer.delay_s:
            await asyncio.sleep(answer.delay_s)
        return web.Response(status=answer.status, text=answer.body, headers=answer.headers)


async def until(predicate: Callable[[], bool], timeout_s: float = 10.0) -> None:
    """Poll with a deadline; fail loudly instead of sleeping a guessed time."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout_s} s")
        await anyio.sleep(0.01)


def alerts_config(**overrides: Any) -> AlertsConfig:
    """Fast settings for tests: short flushes and retry delays, no rate limit unless asked."""
    base: dict[str, Any] = {
        "history_flush_s": 0.05,
        "timeout_s": 5.0,
        "retry": {"max_attempts": 3, "base_delay_s": 0.01, "max_delay_s": 0.05},
    }
    for name in ("webhook", "slack", "discord", "pagerduty", "telegram", "email"):
        base[name] = {"rate_per_min": 0}
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key] = {**base[key], **value}
        else:
            base[key] = value
    return msgspec.convert(base, AlertsConfig)


@asynccontextmanager
async def running(service: AlertService) -> AsyncIterator[AlertService]:
    """The service's tasks in a task group for the duration of the block."""
    async with anyio.create_task_group() as tg:
        await tg.start(service.run)
        try:
            yield service
        finally:
            tg.cancel_scope.cancel()


def service_for(config: AlertsConfig, db: Database | None, **options: Any) -> AlertService:
    """A service with sinks built from config and the environment's credentials, fixed clock."""
    built = build_sinks(config)
    options.setdefault("wall_ms", lambda: FIXED_MS)
    return AlertService(
        config,
        sinks=built.sinks,
        problems=built.problems,
        db=db,
        mode="paper",
        network="sim",
        run_id="run-1",
        **options,
    )


class FakeClock:
    """A monotonic clock the test moves by hand (dedupe windows without waiting)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@contextmanager
def captured_log() -> Iterator[io.StringIO]:
    """Everything the process logs, through the real chain (redaction included), as JSON."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    buffer = io.StringIO()
    configure_logging("debug", "json", stream=buffer)
    try:
        yield buffer
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
