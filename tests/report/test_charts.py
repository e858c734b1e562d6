"""The chart data the website and the report draw from, on real leaderboards built from facts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from podium.report.charts import (
    attempt_history,
    chart_data,
    drawing_script,
    log_axis,
    pareto_front,
    plotly_js,
)
from podium.rules.leaderboard import BoardSettings, Leaderboard, RunFacts, build_leaderboard
from podium.rules.ranking import RerankRule

METRICS = {"xnli": "accuracy", "udpos": "span_f1"}
START = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)

ORIGINAL_KEYS = {"history", "teams", "overall", "duration", "duration_min", "duration_max",
                 "hardware"}  # fmt: skip
PER_TEAM = ("teams", "overall", "duration", "duration_min", "duration_max", "duration_low",
            "duration_high", "duration_level", "repeats", "duration_text", "duration_title")  # fmt: skip


def facts(
    team: str,
    attempt: int,
    run_id: int,
    xnli: float,
    udpos: float,
    walls: Sequence[float],
    hardware: str = "ref-cpu",
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
        hardware=hardware,
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
        BoardSettings(competition="cup", metrics=METRICS, hardware="ref-cpu", rule=RerankRule()),
        stage="evaluation",
        status="open",
        runs=runs,
        teams=["Slow Deep", "Quick Lex", "Late Bloomers", "Idle"],
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
    assert all(data[key] == [] for key in PER_TEAM) and data["history"] == {}
    assert data["pareto"] == [] and data["log_duration_axis"] is False
    assert data["hardware"] == "ref-cpu"


def test_the_data_is_plain_json_that_only_ever_gains_keys() -> None:
    data = chart_data(board(), RUNS)
    assert set(data) > ORIGINAL_KEYS  # the API's document: keys are added, never removed
    assert json.loads(json.dumps(data)) == data
    assert {len(data[key]) for key in PER_TEAM} == {3}


def test_each_duration_has_its_interval_and_what_it_covers() -> None:
    """Three repeats give [min, max] at 75%, two give [min, max] at 50%, and nine give the
    2nd and 8th fastest at 96%, narrower than min–max."""
    nine = facts("Steady", 1, 6, 70.0, 70.0, [5.0, 5.1, 4.9, 5.2, 4.8, 5.3, 4.7, 9.9, 5.05])
    b = board((*RUNS, nine))
    data = chart_data(b, (*RUNS, nine))
    at = {team: i for i, team in enumerate(data["teams"])}
    quick, late, steady = at["Quick Lex"], at["Late Bloomers"], at["Steady"]
    assert (data["duration_low"][quick], data["duration_high"][quick]) == (1.9, 2.1)
    assert (data["duration_level"][quick], data["repeats"][quick]) == (0.75, 3)
    assert (data["duration_level"][late], data["repeats"][late]) == (0.5, 2)
    assert (data["duration_low"][steady], data["duration_high"][steady]) == (4.8, 5.3)
    assert data["duration_max"][steady] == 9.9 and data["repeats"][steady] == 9
    assert data["duration_level"][steady] == round(1 - 2 * 10 / 512, 4)
    for row, low, high in zip(b.rows, data["duration_low"], data["duration_high"], strict=True):
        assert (low, high) == tuple(round(x, 4) for x in row.aggregate.duration_ci95)
        assert low <= row.duration <= high
    # the words every front end uses: the ± half-width, and the level in the tooltip
    assert data["duration_text"][quick] == "2.00 s ±5%"
    assert data["duration_title"][quick] == "75% interval, 3 runs: 1.90–2.10 s"
    assert data["duration_text"][steady] == "5.05 s ±5%"  # 0.25 / 5.05
    assert data["duration_title"][steady] == "95% interval: 4.80–5.30 s (9 runs)"


def test_one_run_has_no_interval_to_show() -> None:
    single = facts("Once", 1, 1, 70.0, 70.0, [2.5])
    data = chart_data(board((single,)), (single,))
    assert data["duration_low"] == data["duration_high"] == data["duration"] == [2.5]
    assert data["duration_text"] == ["2.50 s"] and data["duration_title"] == ["1 run, no interval"]


def spread(slowest: float) -> tuple[RunFacts, ...]:
    return (facts("Fast", 1, 1, 70.0, 70.0, [1.0]), facts("Slow", 1, 2, 80.0, 80.0, [slowest]))


def test_a_log_axis_only_when_durations_span_more_than_ten_times() -> None:
    assert chart_data(board(spread(10.0)), ())["log_duration_axis"] is False  # exactly 10x
    assert chart_data(board(spread(10.01)), ())["log_duration_axis"] is True
    assert chart_data(board(spread(3.0)), ())["log_duration_axis"] is False
    assert "log scale" in chart_data(board(spread(50.0)), ())["captions"]["duration"]
    assert "log scale" not in chart_data(board(spread(5.0)), ())["captions"]["duration"]
    assert log_axis([0.1, 1.0, 1.0001]) is True and log_axis([0.1, 0.5, 1.0]) is False
    assert log_axis([2.0]) is False and log_axis([]) is False
    assert log_axis([0.0, 5.0]) is False  # no log of zero


def test_the_pareto_front_keeps_teams_nobody_beats_on_both_counts_fastest_first() -> None:
    teams = ["Best", "Quick", "Middle", "Beaten", "Twin A", "Twin B", "Same speed", "Same score"]
    scores = [90.0, 60.0, 75.0, 70.0, 80.0, 80.0, 89.0, 60.0]
    durations = [10.0, 1.0, 4.0, 5.0, 6.0, 6.0, 10.0, 2.0]
    front = pareto_front(teams, scores, durations)
    # Beaten: Middle is better and faster; Same speed: Best is as fast and scores higher;
    # Same score: Quick scores as much in less time; the twins tie, so neither beats the other
    assert front == ["Quick", "Middle", "Twin A", "Twin B", "Best"]
    assert pareto_front(["Alone"], [50.0], [3.0]) == ["Alone"]
    assert pareto_front([], [], []) == []
    assert pareto_front(["A", "B"], [70.0, 70.0], [2.0, 2.0]) == ["A", "B"]


def test_the_chart_data_names_the_front_of_the_board() -> None:
    data = chart_data(board(), RUNS)
    # Late Bloomers scores less than Quick Lex and is slower; the other two trade off
    assert data["pareto"] == ["Quick Lex", "Slow Deep"]
    assert "Pareto front" in data["captions"]["tradeoff"]


def test_no_front_is_drawn_when_durations_cannot_be_compared() -> None:
    runs = (*spread(4.0), facts("Elsewhere", 1, 3, 75.0, 75.0, [2.0], hardware="other-cpu"))
    b = board(runs)
    assert not b.durations_comparable
    data = chart_data(b, runs)
    assert data["pareto"] == [] and "not comparable" in data["captions"]["tradeoff"]


def test_captions_and_axis_titles_name_the_metric_and_its_unit() -> None:
    data = chart_data(board(), RUNS)
    assert set(data["captions"]) == {"history", "duration", "tradeoff"}
    assert data["captions"]["duration"].startswith("Test-phase wall time: median")
    assert (data["metric"], data["unit"]) == ("wall_time", "s")
    assert data["duration_axis"] == "wall time (s) on ref-cpu"
    # a wall's: short titles (22 px in a fifth of 1920 px), the bare figure, no hardware
    assert data["titles"] == {"history": "Score by attempt", "duration": "Test-phase wall time",
                              "tradeoff": "Score vs wall time"}  # fmt: skip
    assert data["titles"]["tradeoff"] in data["captions"]["tradeoff"]
    assert all(len(title) <= 26 for title in chart_data(board(spread(50.0)), ())["titles"].values())
    assert data["duration_axis_short"] == "wall time (s)"
    assert [t.split(" ±")[0] for t in data["duration_text"]] == data["duration_figure"]


def test_the_library_and_the_drawing_script_ship_with_the_packages() -> None:
    assert plotly_js().stat().st_size > 1_000_000
    script = drawing_script().read_text(encoding="utf-8")
    assert "Plotly.newPlot" in script and "script.chart-data" in script
    for chart in ("history", "duration", "tradeoff"):
        assert f'at("{chart}")' in script
