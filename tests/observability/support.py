"""Test support: daemons with the dashboard, metrics and run log configured; free ports."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from tests.support import BASE_CONFIG, DaemonProcess, listening, wait_for

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


def observed_config(
    port: int, *, host: str = "127.0.0.1", page: bool = True, metrics: bool = True, extra: str = ""
) -> str:
    return (
        BASE_CONFIG
        + f"""
[dashboard]
enabled = {str(page).lower()}
host = "{host}"
port = {port}
push_interval_s = 0.5
[metrics]
enabled = {str(metrics).lower()}
[run_log]
jsonl = true
flush_interval_s = 0.2
alert_poll_s = 0.2
"""
        + extra
    )


@contextmanager
def running(
    workdir: Path, config: str, env: Mapping[str, str] | None = None, *, port: int | None = None
) -> Iterator[DaemonProcess]:
    """A started daemon (with its HTTP listener up, given ``port``), stopped at the end."""
    workdir.mkdir(parents=True, exist_ok=True)
    daemon = DaemonProcess(workdir, config).start(env=env)
    try:
        if port is not None:
            wait_for(lambda: listening(port))
        yield daemon
    finally:
        if daemon.proc is not None and daemon.proc.poll() is None:
            try:
                daemon.stop()
            except Exception:
                daemon.proc.kill()
                daemon.proc.wait()
