"""Structured logging: JSON lines for journald, readable console on a terminal.

Our own events and the stdlib loggers of ccxt and aiohttp go through one processor chain, so
redaction and the mode/network stamp apply to every line the process writes.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog

from peaktrade.redaction import redact

_context: dict[str, str] = {}


def set_run_context(**fields: str) -> None:
    """Fields stamped on every line (mode, network, run id); set once the config is known."""
    _context.update(fields)


def _stamp(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key, value in _context.items():
        event.setdefault(key, value)
    return event


def _redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    cleaned: MutableMapping[str, Any] = redact(dict(event))
    return cleaned


def configure_logging(level: str = "info", fmt: str = "auto", stream: TextIO | None = None) -> None:
    """Install the one logging chain. Safe to call again (SIGHUP may change the level)."""
    out = stream if stream is not None else sys.stderr
    console = fmt == "console" or (fmt == "auto" and out.isatty())
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _stamp,
    ]
    renderer: Any = (
        structlog.dev.ConsoleRenderer(colors=out.isatty(), exception_formatter=_plain_exception)
        if console
        else structlog.processors.JSONRenderer()
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.UnicodeDecoder(),
            _redact,
            renderer,
        ],
    )
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # ccxt logs every request and response (headers, signed URLs) at DEBUG: it follows the
    # root level, so level = "debug" shows it, through the same redaction as everything else
    for noisy in ("aiohttp.access", "asyncio"):
        logging.getLogger(noisy).setLevel(max(logging.INFO, root.level))
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )


def _plain_exception(sio: TextIO, exc_info: Any) -> None:
    """format_exc_info already rendered (and redaction cleaned) the traceback as text."""
    del sio, exc_info


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    """A logger whose lines carry the run context."""
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger
