"""Fault hooks for drills and the reliability campaign; inert unless ``PEAKTRADE_CHAOS=1``.

``SIGUSR2`` then wedges the event loop for ``PEAKTRADE_CHAOS_WEDGE_S`` seconds (a blocking
sleep on the loop thread, as a runaway computation or a blocking call would): what the
systemd watchdog exists to catch. Nothing here runs in a normal deployment.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Mapping

import anyio

from peaktrade.log import get_logger

log = get_logger("peaktrade.chaos")


def enabled(env: Mapping[str, str] | None = None) -> bool:
    return (os.environ if env is None else env).get("PEAKTRADE_CHAOS") == "1"


async def chaos_hooks() -> None:
    seconds = float(os.environ.get("PEAKTRADE_CHAOS_WEDGE_S", "5"))
    log.warning("chaos_hooks_enabled", wedge_s=seconds)
    with anyio.open_signal_receiver(signal.SIGUSR2) as received:
        async for _ in received:
            log.warning("chaos_wedging_loop", seconds=seconds)
            time.sleep(seconds)  # noqa: ASYNC251 - the point: block the loop
            log.warning("chaos_loop_released")
