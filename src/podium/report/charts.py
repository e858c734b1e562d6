"""The leaderboard charts: their data, the library that draws them and the drawing script.

One module for the website and the HTML report, so that both draw the same three charts
(overall score per attempt, duration per team with min–max, score versus duration) from the
same numbers with the same plotly.js and the same `charts.js`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from podium.leaderboard import Leaderboard, RunFacts, aggregate

History = dict[str, list[tuple[int, float]]]  # team -> (attempt, overall) in run order

DIGITS = 4  # rounding of every number in the chart data: finer than any chart shows


def attempt_history(runs: Sequence[RunFacts], metrics: Mapping[str, str]) -> History:
    """Each team's overall score per scored run, in the order of `runs` (oldest first)."""
    out: History = {}
    for facts in runs:
        out.setdefault(facts.team, []).append((facts.attempt, aggregate(facts, metrics).overall))
    return out


def chart_data(board: Leaderboard, runs: Sequence[RunFacts]) -> dict[str, Any]:
    """The JSON the three charts draw from: `runs` is the stage's run history (every scored
    run, oldest first); the per-team lists follow the board's final order."""
    rows = board.rows
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
        "hardware": board.hardware,
    }


def plotly_js() -> Path:
    """The chart library's JavaScript as shipped inside plotly's wheel: charts work offline."""
    return Path(str(resources.files("plotly") / "package_data" / "plotly.min.js"))


def drawing_script() -> Path:
    """The script that draws every chart set on a page (served by the site, inlined by the
    report): one file, so the two can never drift apart."""
    return Path(str(resources.files("podium.report") / "charts.js"))
