"""Thinning a series for a chart keeps its endpoints and every extreme."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from peaktrade.report.downsample import minmax_indices

values = st.lists(st.floats(-1e9, 1e9, allow_nan=False), min_size=1, max_size=3000)


@given(values=values, buckets=st.integers(1, 200))
def test_thinned_series_keeps_ends_and_extremes_within_its_bound(
    values: list[float], buckets: int
) -> None:
    kept = minmax_indices(values, buckets)
    assert kept == sorted(set(kept))
    assert kept[0] == 0 and kept[-1] == len(values) - 1
    assert len(kept) <= 2 * buckets + 2
    chosen = [values[i] for i in kept]
    assert min(chosen) == min(values) and max(chosen) == max(values)
