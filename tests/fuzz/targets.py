"""Fuzz targets: what any input may do to the control decoder and the config loader.

Each target returns normally or raises only the one error type its caller handles; anything
else escaping is a crash. Shared by ``make fuzz`` (atheris, millions of runs) and the suite
(hypothesis and a short atheris run).
"""

from __future__ import annotations

from pathlib import Path

from peaktrade.config import ConfigError, parse_config
from peaktrade.control import protocol
from peaktrade.control.protocol import HEADER, FrameError, decode_request, frame_length


def control_frame(data: bytes) -> None:
    """The server's path for one frame: header, length limits, then the request decoder."""
    if len(data) < HEADER.size:
        return
    try:
        length = frame_length(data[: HEADER.size])
        decode_request(data[HEADER.size : HEADER.size + length])
    except FrameError:
        pass


def config_file(data: bytes) -> None:
    """The loader on arbitrary bytes: a config or a list of problems, never anything else."""
    try:
        parse_config(data, source="fuzz.toml")
    except ConfigError as exc:
        assert exc.problems and all(p.startswith("fuzz.toml: ") for p in exc.problems)


TARGETS = {"control": control_frame, "config": config_file}

ROOT = Path(__file__).resolve().parents[2]


def seeds(name: str) -> list[bytes]:
    """Valid inputs to start from: every request type, every shipped config."""
    if name == "config":
        return [p.read_bytes() for p in sorted((ROOT / "config").glob("*.toml"))]
    spec = protocol.OrderSpec(symbol="BTC/USDT", side="buy", qty=0.1, type="limit", price=1.0)
    requests: list[protocol.Request] = [
        protocol.Health(),
        protocol.Status(),
        protocol.Kill(reason="fuzz", cancel_open=True),
        protocol.Release(reason="fuzz"),
        protocol.AuditQuery(limit=5),
        protocol.OrderPreview(order=spec),
        protocol.OrderSubmit(order=spec),
        protocol.OrdersQuery(open_only=False),
        protocol.PortfolioQuery(history=True),
        protocol.AlertsQuery(min_level="WARNING"),
        protocol.RunEventsQuery(kind="order"),
    ]
    return [protocol.encode_frame(r) for r in requests]
