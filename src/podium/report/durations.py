"""How a duration is written everywhere: `1.23 s ±4%`, and what its interval covers.

One wording for the terminal, the pages, the report and the charts' hover text, so that a
team reads the same number with the same uncertainty wherever it looks. Pure functions.
"""

from __future__ import annotations

import math

from podium.rules.leaderboard import EFFICIENCY_UNITS as UNITS
from podium.rules.leaderboard import Aggregate

NAMES = {"wall_time": "wall time", "cpu_time": "CPU time", "energy": "energy"}


def unit_of(metric: str) -> str:
    """The unit of an efficiency metric's figures (seconds unless it is energy)."""
    return UNITS.get(metric, "s")


def metric_name(metric: str) -> str:
    return NAMES.get(metric, metric.replace("_", " "))


def number(value: float) -> str:
    """Three significant digits, never in exponent form: 0.0123, 1.23, 12.3, 123, 1234."""
    if value == 0 or not math.isfinite(value):
        return f"{value:.2f}"
    digits = max(0, 2 - math.floor(math.log10(abs(value))))
    text = f"{value:.{digits}f}"
    if digits and abs(float(text)) >= 10 ** (3 - digits):  # 9.996 rounds up to 10.00
        text = f"{value:.{digits - 1}f}"
    return text


def figure(value: float, unit: str) -> str:
    return f"{number(value)} {unit}"


def relative_half_width(agg: Aggregate) -> float:
    """Half the interval's width as a share of the median (0 for a point)."""
    low, high = agg.duration_ci95
    return (high - low) / 2 / agg.duration if agg.duration > 0 else 0.0


def plus_minus(share: float) -> str:
    """`±4%`; below one percent one significant digit (`±0.4%`) rather than a bare `±0%`."""
    percent = share * 100
    return f"±{percent:.0f}%" if percent >= 1 or percent == 0 else f"±{percent:.1g}%"


def duration_text(agg: Aggregate, metric: str = "wall_time") -> str:
    """`1.23 s ±4%`: the median and its interval's half-width; a single run has no interval.
    A wall time standing in for an unmeasured figure (no energy counter) says `s wall`."""
    text = figure(agg.duration, unit_of(agg.duration_metric))
    if agg.duration_metric != metric:
        text += " wall"
    if agg.repeats < 2:
        return text
    return f"{text} {plus_minus(relative_half_width(agg))}"


def level_percent(level: float, confidence: float) -> int:
    """The level as a whole percent, never rounded up: an interval that reaches the asked
    confidence says the asked confidence, one that falls short says what it has."""
    if level >= confidence - 1e-9:
        return math.floor(confidence * 100 + 1e-9)
    return math.floor(level * 100 + 1e-9)


def interval_label(level: float, repeats: int, confidence: float = 0.95) -> str:
    """`95% interval`, or `75% interval, 3 runs` when too few runs reach the asked level."""
    if repeats < 2:
        return "1 run, no interval"
    label = f"{level_percent(level, confidence)}% interval"
    return label if level >= confidence - 1e-9 else f"{label}, {repeats} runs"


def interval_title(agg: Aggregate, metric: str = "wall_time", confidence: float = 0.95) -> str:
    """What the ± stands for (a tooltip, a chart's hover): `95% interval: 1.20–1.26 s (8 runs)`,
    `75% interval, 3 runs: 1.20–1.31 s`, or `1 run, no interval`."""
    label = interval_label(agg.duration_ci_level, agg.repeats, confidence)
    if agg.repeats < 2:
        return label
    low, high = agg.duration_ci95
    bounds = f"{label}: {number(low)}–{number(high)} {unit_of(metric)}"
    return bounds if "runs" in label else f"{bounds} ({agg.repeats} runs)"
