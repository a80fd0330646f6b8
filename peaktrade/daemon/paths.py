"""Where state and the socket live: flags, environment, systemd, config, then ./var."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from peaktrade.config import Config

SOCKET_NAME = "peaktrade.sock"


def state_dir(config: Config, flag: str | None, env: Mapping[str, str] | None = None) -> Path:
    """``--state-dir`` > ``PEAKTRADE_STATE_DIR`` > ``$STATE_DIRECTORY`` > config > ``./var``."""
    e = os.environ if env is None else env
    systemd = e.get("STATE_DIRECTORY", "").split(":")[0]  # several dirs are ':'-separated
    chosen = flag or e.get("PEAKTRADE_STATE_DIR") or systemd or config.daemon.state_dir or "var"
    return Path(chosen).absolute()


def socket_path(config: Config, flag: str | None, env: Mapping[str, str] | None = None) -> Path:
    """``--socket`` > ``PEAKTRADE_SOCKET`` > config > ``$RUNTIME_DIRECTORY`` > ``./var/run``."""
    e = os.environ if env is None else env
    runtime = e.get("RUNTIME_DIRECTORY", "").split(":")[0]
    chosen = (
        flag
        or e.get("PEAKTRADE_SOCKET")
        or config.control.socket
        or (str(Path(runtime) / SOCKET_NAME) if runtime else str(Path("var/run") / SOCKET_NAME))
    )
    return Path(chosen).absolute()
