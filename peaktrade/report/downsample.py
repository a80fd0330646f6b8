"""Series thinned for a chart without hiding what matters: each bucket keeps its extremes.

A plain stride would skip the one tick where equity dipped; min/max per bucket keeps every
spike, the first and the last point, so a drawdown drawn from the thinned series is the
drawdown of the whole run.
"""

from __future__ import annotations

from collections.abc import Sequence


def minmax_indices(values: Sequence[float], buckets: int) -> list[int]:
    """Indices to keep (ascending): at most ``2 * buckets + 2`` of them."""
    n = len(values)
    if n <= 2 * buckets + 2:
        return list(range(n))
    keep = {0, n - 1}
    size = n / buckets
    for b in range(buckets):
        lo, hi = int(b * size), int((b + 1) * size)
        if lo >= hi:
            continue
        window = range(lo, hi)
        keep.add(min(window, key=values.__getitem__))
        keep.add(max(window, key=values.__getitem__))
    return sorted(keep)


def thin(
    times: Sequence[int], values: Sequence[float], buckets: int
) -> tuple[list[int], list[float]]:
    """``times`` and ``values`` at the kept indices."""
    kept = minmax_indices(values, buckets)
    return [times[i] for i in kept], [values[i] for i in kept]
