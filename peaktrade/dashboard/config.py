"""Settings of the dashboard and of the daemon's read-only HTTP listener (``[dashboard]``)."""

from __future__ import annotations

from typing import Annotated

import msgspec

Host = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9.:-]{1,253}$")]


class DashboardConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A read-only web page of the running daemon, updated live; also where ``/metrics`` is
    served when ``[metrics]`` is enabled (the listener runs if either is on)."""

    enabled: bool = False
    """Serve the dashboard page."""
    host: Host = "127.0.0.1"
    """Listen address. Anything but loopback requires the ``dashboard-token`` credential, sent
    as ``Authorization: Bearer TOKEN`` or ``?token=TOKEN``; without it the listener is not
    started."""
    port: Annotated[int, msgspec.Meta(ge=0, le=65535)] = 8765
    """Listen port; 0 picks a free one (the ``dashboard_listening`` log line names it)."""
    push_interval_s: Annotated[float, msgspec.Meta(gt=0, le=60)] = 1.0
    """Most time between two updates of an open page (ages and health move on their own)."""
    min_push_interval_s: Annotated[float, msgspec.Meta(ge=0, le=10)] = 0.2
    """Least time between two updates: a burst of fills becomes one update."""
    max_clients: Annotated[int, msgspec.Meta(ge=1, le=256)] = 16
    """Open live streams at most; more are answered 503."""
