"""The chart data the website and the report draw from, on real leaderboards built from facts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from podium.leaderboard import Leaderboard, RunFacts, build_leaderboard
from podium.ranking import RerankRule
from podium.report.charts import attempt_history, chart_data, drawing_script, plotly_js

METRICS = {"xnli": "accuracy", "udpos": "span_f1"}
START = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def facts(
    team: str, attempt: int, run_id: int, xnli: float, udpos: float, walls: Sequence[float]
) -> RunFacts:
    """One scored run; each task has one language, so its score is the task score."""
    return RunFacts(
        team=team,
        members=(f"{team} member",),
        submission_id=run_id,
        attempt=attempt,
        run_id=run_id,
        submitted_at=START + timedelta(minutes=run_id),
        scores={
            ("xnli", "en", "accuracy"): xnli,
            ("udpos", "en", "span_f1"): udpos,
            ("udpos", "en", "token_accuracy"): 99.0,  # reported, not counted
        },
        walls=walls,
        cpu_seconds=1.0,
        peak_rss_bytes=1 << 20,
        hardware="ref-cpu",
    )


# Slow Deep scores best; Quick Lex is 4 points behind and four times faster, so the efficiency
# re-ranking lifts it past Deep. Late Bloomers' second attempt is worse than its first.
RUNS = (
    facts("Slow Deep", 1, 1, 90.0, 80.0, [8.0, 7.5, 9.0]),
    facts("Quick Lex", 1, 2, 70.0, 70.0, [2.0]),
    facts("Late Bloomers", 1, 3, 60.0, 61.0, [3.0, 3.2]),
    facts("Quick Lex", 2, 4, 82.0, 80.123456, [2.1, 1.9, 2.0]),
    facts("Late Bloomers", 2, 5, 50.0, 50.0, [3.0]),
)


def board(runs: Sequence[RunFacts] = RUNS) -> Leaderboard:
    return build_leaderboard(
        competition="cup",
        stage="evaluation",
        status="open",
        runs=runs,
        teams=["Slow Deep", "Quick Lex", "Late Bloomers", "Idle"],
        metrics=METRICS,
        rule=RerankRule(),
        hardware="ref-cpu",
    )


def test_per_team_lists_follow_the_final_order_not_the_performance_order() -> None:
    b = board()
    assert [r.team for r in b.performance_order()] == ["Slow Deep", "Quick Lex", "Late Bloomers"]
    data = chart_data(b, RUNS)
    assert data["teams"] == ["Quick Lex", "Slow Deep", "Late Bloomers"] == [r.team for r in b.rows]
    # each team's best run: overall = mean of the counted task scores, rounded to 4 digits
    assert data["overall"] == [81.0617, 85.0, 60.5]
    assert data["hardware"] == "ref-cpu"


def test_durations_are_the_median_with_min_and_max_of_the_repeats() -> None:
    data = chart_data(board(), RUNS)
    assert data["duration"] == [2.0, 8.0, 3.1]
    assert data["duration_min"] == [1.9, 7.5, 3.0]
    assert data["duration_max"] == [2.1, 9.0, 3.2]
    for low, mid, high in zip(
        data["duration_min"], data["duration"], data["duration_max"], strict=True
    ):
        assert low <= mid <= high


def test_history_has_every_scored_attempt_in_run_order_not_only_the_best() -> None:
    data = chart_data(board(), RUNS)
    assert data["history"] == {
        "Slow Deep": [[1, 85.0]],
        "Quick Lex": [[1, 70.0], [2, 81.0617]],
        "Late Bloomers": [[1, 60.5], [2, 50.0]],
    }
    assert list(data["history"]) == ["Slow Deep", "Quick Lex", "Late Bloomers"]
    # the history keeps full precision; only the chart data is rounded
    assert attempt_history(RUNS, METRICS)["Quick Lex"][1] == (2, pytest.approx(81.061728))


def test_a_team_without_a_scored_run_is_in_no_chart() -> None:
    data = chart_data(board(), RUNS)
    assert "Idle" not in data["teams"] and "Idle" not in data["history"]
    assert board().unranked == (("Idle", "no scored submission yet"),)


def test_an_empty_board_gives_empty_charts() -> None:
    data = chart_data(board(()), ())
    assert data == {
        "history": {},
        "teams": [],
        "overall": [],
        "duration": [],
        "duration_min": [],
        "duration_max": [],
        "hardware": "ref-cpu",
    }


def test_the_data_is_plain_json_with_the_keys_the_api_has_always_had() -> None:
    data = chart_data(board(), RUNS)
    assert set(data) == {
        "history", "teams", "overall", "duration", "duration_min", "duration_max", "hardware"
    }  # fmt: skip
    assert json.loads(json.dumps(data)) == data
    per_team = ("teams", "overall", "duration", "duration_min", "duration_max")
    assert {len(data[key]) for key in per_team} == {3}


def test_the_library_and_the_drawing_script_ship_with_the_packages() -> None:
    assert plotly_js().stat().st_size > 1_000_000
    script = drawing_script().read_text(encoding="utf-8")
    assert "Plotly.newPlot" in script and "script.chart-data" in script
    for chart in ("history", "duration", "tradeoff"):
        assert f'at("{chart}")' in script
