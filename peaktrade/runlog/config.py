"""Settings of the run log (``[run_log]``)."""

from __future__ import annotations

from typing import Annotated

import msgspec


class RunLogConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Each daemon start is a run; its typed events are kept in the state database."""

    jsonl: bool = False
    """Also append every event to a JSON-lines file per run, ``<jsonl_dir>/<run_id>.jsonl``."""
    jsonl_dir: str | None = None
    """Directory of the JSONL files; default ``runs/`` under the state directory."""
    flush_interval_s: Annotated[float, msgspec.Meta(gt=0, le=60)] = 0.5
    """Events are written in batches this often; a crash loses at most this much of the log."""
    max_pending: Annotated[int, msgspec.Meta(ge=1000, le=1_000_000)] = 100_000
    """Events held while the database is slow; more are counted as lost, never waited for."""
    alert_poll_s: Annotated[float, msgspec.Meta(gt=0, le=60)] = 1.0
    """How often new alerts are read from the alert history into the log."""
    retention_days: Annotated[int, msgspec.Meta(ge=0, le=3650)] = 90
    """Runs that stopped longer ago are deleted with their events at start-up; 0 keeps all."""
