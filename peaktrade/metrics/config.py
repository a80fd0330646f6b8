"""Settings of the Prometheus endpoint (``[metrics]``)."""

from __future__ import annotations

import msgspec


class MetricsConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """``/metrics`` in the Prometheus text format, on the ``[dashboard]`` listener (same host,
    port and token rule)."""

    enabled: bool = False
    """Serve ``/metrics``; the listener starts for it even when the dashboard page is off."""
