"""The report's charts: matplotlib (Agg) drawn to SVG, embedded inline in the page.

Series are thinned with min/max buckets first, so a run of any length draws in bounded time
and size. Each SVG's ids get a prefix of its own: several charts share one document.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import Any

import matplotlib
import matplotlib.dates as mdates
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.typing import RcKeyType

from peaktrade.report.data import RunData, Series
from peaktrade.report.downsample import thin
from peaktrade.runlog.events import KillEngaged

BUCKETS = 1000  # per series: at most ~2000 points drawn
MAX_SYMBOLS = 8  # exposure lines drawn; the rest are summed as "other"
_LEVELS = ("INFO", "WARNING", "CRITICAL")
_LEVEL_COLOURS = {"INFO": "#1a73e8", "WARNING": "#c77700", "CRITICAL": "#c5221f"}
_STATE_COLOURS = {"HALTED": "#c5221f", "REDUCING": "#c77700"}
_NO_METADATA = {"Creator": None, "Date": None, "Format": None, "Type": None}

_STYLE: dict[RcKeyType, Any] = {
    "svg.fonttype": "none",  # text stays text: smaller, searchable
    "font.size": 9,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def equity(data: RunData) -> str:
    p = data.portfolio
    if not p.equity.times:
        return ""
    fig, ax = _figure()
    _line(ax, p.equity, "equity", "#1d2330")
    _shade_states(ax, data)
    _run_window(ax, data)
    ax.set_ylabel(f"equity ({p.quote_currency})")
    ax.ticklabel_format(axis="y", style="plain", useOffset=False)
    return _svg(fig, "equity")


def drawdown(data: RunData) -> str:
    p = data.portfolio
    if not p.drawdown.times:
        return ""
    fig, ax = _figure(height=2.2)
    t, y = thin(p.drawdown.times, p.drawdown.values, BUCKETS)
    x = _dates(t)
    ax.fill_between(x, y, 0, color="#c5221f", alpha=0.35, linewidth=0, step="post")
    ax.plot(x, y, color="#c5221f", linewidth=0.8, drawstyle="steps-post")
    ax.set_ylabel("drawdown (%)")
    _run_window(ax, data)
    return _svg(fig, "drawdown")


def exposure(data: RunData) -> str:
    p = data.portfolio
    if not p.total_exposure.times or not any(max(s.values, default=0) for s in p.exposure.values()):
        return ""
    fig, ax = _figure()
    ranked = sorted(p.exposure.items(), key=lambda kv: -max(kv[1].values, default=0.0))
    for symbol, series in ranked[:MAX_SYMBOLS]:
        _line(ax, series, symbol, None, steps=True)
    if len(ranked) > MAX_SYMBOLS:
        times = p.total_exposure.times
        top = np.zeros(len(times))
        for _, series in ranked[:MAX_SYMBOLS]:
            top += np.interp(times, series.times, series.values)
        rest = np.maximum(0.0, np.asarray(p.total_exposure.values) - top)
        other = Series(times=times, values=[float(x) for x in rest])
        _line(ax, other, f"{len(ranked) - MAX_SYMBOLS} other symbols", "#999999", steps=True)
    _line(ax, p.total_exposure, "total", "#1d2330", steps=True, dashed=True)
    _run_window(ax, data)
    ax.set_ylabel(f"exposure ({p.quote_currency})")
    ax.ticklabel_format(axis="y", style="plain", useOffset=False)
    _legend_above(ax)
    return _svg(fig, "exposure")


def timeline(data: RunData) -> str:
    """Alerts by level over the run, with kills and state changes as vertical lines."""
    if not data.alert_marks and not data.transitions:
        return ""
    fig, ax = _figure(height=2.0)
    for level_index, level in enumerate(_LEVELS):
        times = [t for t, lv in data.alert_marks if lv == level]
        if times:
            ax.scatter(
                _dates(times),
                [level_index] * len(times),
                s=14,
                color=_LEVEL_COLOURS[level],
                label=f"{level} ({data.alerts_by_level.get(level, 0)})",
                zorder=3,
            )
    for ts, change in data.transitions:
        state = "HALTED" if isinstance(change, KillEngaged) else change.state
        ax.axvline(_dates([ts])[0], color=_STATE_COLOURS.get(state, "#1e8e3e"), linewidth=1)
    ax.set_yticks(range(len(_LEVELS)), list(_LEVELS))
    ax.set_ylim(-0.6, len(_LEVELS) - 0.4)
    _run_window(ax, data)
    if data.alert_marks:
        _legend_above(ax)
    return _svg(fig, "timeline")


# --- drawing ---------------------------------------------------------------------------------


def _figure(height: float = 3.0) -> tuple[Figure, Axes]:
    """A figure of the object API: no pyplot, no global backend, nothing to close."""
    with matplotlib.rc_context(_STYLE):
        fig = Figure(figsize=(10, height), layout="constrained")
        ax = fig.subplots()
    return fig, ax


def _dates(times_ms: Sequence[int]) -> np.ndarray:
    return np.asarray(times_ms, dtype="datetime64[ms]")


def _line(
    ax: Axes,
    series: Series,
    label: str,
    colour: str | None,
    *,
    steps: bool = False,
    dashed: bool = False,
) -> None:
    t, y = thin(series.times, series.values, BUCKETS)
    ax.plot(
        _dates(t),
        y,
        label=label,
        color=colour,
        linewidth=1.0,
        linestyle="--" if dashed else "-",
        drawstyle="steps-post" if steps else "default",
    )
    _time_axis(ax)


def _shade_states(ax: Axes, data: RunData) -> None:
    """REDUCING and HALTED periods behind the curve."""
    state, since = None, data.start_ms
    for ts, change in data.transitions:
        if state in _STATE_COLOURS:
            ax.axvspan(*_dates([since, ts]), color=_STATE_COLOURS[state], alpha=0.12, linewidth=0)
        state = "HALTED" if isinstance(change, KillEngaged) else change.state
        since = ts
    if state in _STATE_COLOURS:
        ax.axvspan(
            *_dates([since, data.end_ms]), color=_STATE_COLOURS[state], alpha=0.12, linewidth=0
        )


def _legend_above(ax: Axes) -> None:
    """Outside the plot: it must not hide the data it names."""
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), fontsize=8, ncol=6, frameon=False)


def _run_window(ax: Axes, data: RunData) -> None:
    """Every chart spans the whole run, so they line up one under another."""
    start, end = _dates([data.start_ms, max(data.end_ms, data.start_ms + 1000)])
    ax.set_xlim(start, end)
    _time_axis(ax)


def _time_axis(ax: Axes) -> None:
    locator = mdates.AutoDateLocator()  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]


_ID = re.compile(r'\bid="([^"]+)"')
_HREF = re.compile(r'href="#([^"]+)"')
_URL = re.compile(r"url\(#([^)]+)\)")


def _svg(fig: Figure, name: str) -> str:
    buffer = io.StringIO()
    with matplotlib.rc_context(_STYLE):
        fig.savefig(buffer, format="svg", metadata=_NO_METADATA)
    text = buffer.getvalue()
    text = text[text.index("<svg") :]  # no XML prolog or DTD reference inside HTML
    text = _ID.sub(rf'id="{name}-\1"', text)
    text = _HREF.sub(rf'href="#{name}-\1"', text)
    return _URL.sub(rf"url(#{name}-\1)", text)
