"""The leaderboard charts: their data, the library that draws them and the drawing script.

One module for the website and the HTML report, so that both draw the same three charts
(overall score per attempt, duration per team with its interval, score versus duration with
the Pareto front) from the same numbers, captions and wording, with the same plotly.js and the
same `charts.js`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from podium.report.durations import (
    duration_text,
    figure,
    interval_title,
    metric_name,
    unit_of,
)
from podium.rules.leaderboard import Leaderboard, RunFacts, aggregate

History = dict[str, list[tuple[int, float]]]  # team -> (attempt, overall) in run order

DIGITS = 4  # rounding of every number in the chart data: finer than any chart shows
LOG_SPAN = 10.0  # durations spanning more than this factor are drawn on a log axis


def attempt_history(runs: Sequence[RunFacts], metrics: Mapping[str, str]) -> History:
    """Each team's overall score per scored run, in the order of `runs` (oldest first)."""
    out: History = {}
    for facts in runs:
        out.setdefault(facts.team, []).append((facts.attempt, aggregate(facts, metrics).overall))
    return out


def chart_data(board: Leaderboard, runs: Sequence[RunFacts]) -> dict[str, Any]:
    """The JSON the three charts draw from: `runs` is the stage's run history (every scored
    run, oldest first); the per-team lists follow the board's final order.

    Keys only ever get added (the API serves this document): `duration_min`/`duration_max`
    stay beside the interval (`duration_low`/`duration_high`, covering `duration_level`)."""
    rows = board.rows
    confidence = board.rule.confidence
    durations = [r.duration for r in rows]
    log = log_axis(durations)
    comparable = board.durations_comparable
    metric, unit = board.efficiency_metric, unit_of(board.efficiency_metric)
    return {
        "history": {
            team: [[attempt, round(score, DIGITS)] for attempt, score in points]
            for team, points in attempt_history(runs, board.metrics).items()
        },
        "teams": [r.team for r in rows],
        "overall": [round(r.overall, DIGITS) for r in rows],
        "duration": [round(r.duration, DIGITS) for r in rows],
        "duration_min": [round(r.aggregate.duration_min, DIGITS) for r in rows],
        "duration_max": [round(r.aggregate.duration_max, DIGITS) for r in rows],
        "duration_low": [round(r.aggregate.duration_ci95[0], DIGITS) for r in rows],
        "duration_high": [round(r.aggregate.duration_ci95[1], DIGITS) for r in rows],
        "duration_level": [round(r.aggregate.duration_ci_level, DIGITS) for r in rows],
        "repeats": [r.aggregate.repeats for r in rows],
        "duration_text": [duration_text(r.aggregate, metric) for r in rows],
        "duration_title": [interval_title(r.aggregate, metric, confidence) for r in rows],
        "duration_figure": [figure(r.duration, unit) for r in rows],  # a wall's bare figure
        "hardware": board.hardware,
        "metric": metric,
        "unit": unit,
        "log_duration_axis": log,
        "pareto": pareto_front([r.team for r in rows], [r.overall for r in rows], durations)
        if comparable
        else [],
        "captions": captions(metric, log, comparable),
        "titles": titles(metric, log),
        "duration_axis": f"{metric_name(metric)} ({unit}) on {board.hardware}",
        "duration_axis_short": f"{metric_name(metric)} ({unit})",
    }


def log_axis(durations: Sequence[float]) -> bool:
    """Durations spanning more than `LOG_SPAN`× are drawn on a log axis: on a linear one the
    fast teams would all be squeezed against zero."""
    positive = [d for d in durations if d > 0]
    return len(positive) == len(durations) > 1 and max(positive) > LOG_SPAN * min(positive)


def pareto_front(
    teams: Sequence[str], scores: Sequence[float], durations: Sequence[float]
) -> list[str]:
    """The teams no other team beats on both counts (score at least as high and duration at
    most as long, one of them strictly), fastest first: the line the tradeoff chart draws.
    Teams with the same score and duration are on it together or not at all."""
    points = list(zip(teams, scores, durations, strict=True))
    front = [
        (duration, -score, i, team)
        for i, (team, score, duration) in enumerate(points)
        if not any(
            s >= score and d <= duration and (s > score or d < duration) for _, s, d in points
        )
    ]
    return [team for *_, team in sorted(front)]


def captions(metric: str, log: bool, comparable: bool) -> dict[str, str]:
    """Each chart's caption, the one text the site and the report show above it."""
    name = metric_name(metric)
    scale = " (log scale)" if log else ""
    front = (
        f"diamonds on the line are the Pareto front (no other team beats them on both score "
        f"and {name})"
        if comparable
        else "durations are not comparable, so no Pareto front is drawn"
    )
    return {
        "history": "Overall score by attempt",
        "duration": f"Test-phase {name}: median, whiskers its interval{scale}",
        "tradeoff": f"Score vs {name}{scale}: up and left is better; {front}",
    }


def titles(metric: str, log: bool) -> dict[str, str]:
    """Each chart's title on a wall screen: its caption's first words, short enough for a
    fifth of 1920 px at 22 px (the whole caption is its hover text)."""
    name = metric_name(metric)
    scale = " (log)" if log else ""
    return {
        "history": "Score by attempt",
        "duration": f"Test-phase {name}{scale}",
        "tradeoff": f"Score vs {name}{scale}",
    }


def plotly_js() -> Path:
    """The chart library's JavaScript as shipped inside plotly's wheel: charts work offline."""
    return Path(str(resources.files("plotly") / "package_data" / "plotly.min.js"))


def drawing_script() -> Path:
    """The script that draws every chart set on a page (served by the site, inlined by the
    report): one file, so the two can never drift apart."""
    return Path(str(resources.files("podium.report") / "charts.js"))
