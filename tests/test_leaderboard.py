"""Leaderboards derived from raw facts."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from podium.rules.leaderboard import BoardSettings, RunFacts, aggregate, build_leaderboard
from podium.rules.ranking import RerankRule

FP = {"cpu": "X", "cores": 2, "machine": "x86_64", "gpu": None, "kernel": "6.1", "python": "3.11"}
METRICS = {"xnli": "accuracy", "udpos": "span_f1"}
SUBMISSION_IDS = itertools.count(1)  # earlier facts, smaller ids: ties are deterministic


def facts(team: str, xnli: float, udpos: float, walls: list[float], **fp: object) -> RunFacts:
    return RunFacts(
        team=team, members=(), submission_id=next(SUBMISSION_IDS), attempt=1, run_id=1,
        submitted_at=datetime(2026, 1, 1, tzinfo=UTC),
        scores={("xnli", "en", "accuracy"): xnli, ("xnli", "de", "accuracy"): xnli - 10,
                ("udpos", "en", "span_f1"): udpos, ("udpos", "en", "token_accuracy"): 99.0},
        walls=walls, cpu_seconds=1.0, peak_rss_bytes=1, hardware="ref", fingerprint={**FP, **fp},
    )  # fmt: skip


def test_aggregate_means_and_median_duration() -> None:
    agg = aggregate(facts("A", 80.0, 60.0, [3.0, 1.0, 2.0]), METRICS)
    assert agg.tasks == {"udpos": 60.0, "xnli": 75.0}
    assert agg.overall == 67.5
    assert (agg.duration, agg.duration_min, agg.duration_max) == (2.0, 1.0, 3.0)
    # the metric choice matters: token accuracy when the spec asks for it
    assert aggregate(facts("A", 80.0, 60.0, [1.0]), {"udpos": "token_accuracy"}).overall == 99.0


def _board(runs: list[RunFacts]):  # type: ignore[no-untyped-def]
    return build_leaderboard(BoardSettings(competition="c", metrics=METRICS, hardware="ref", rule=RerankRule()), stage="s", status="open", runs=runs, teams=[r.team for r in runs])  # fmt: skip


def test_efficient_team_is_lifted_when_fingerprints_match() -> None:
    board = _board([facts("Slow", 80.0, 80.0, [10.0]), facts("Fast", 78.0, 78.0, [1.0])])
    assert [r.team for r in board.rows] == ["Fast", "Slow"] and board.durations_comparable


def test_durations_from_other_hardware_are_not_compared() -> None:
    board = _board([facts("Slow", 80.0, 80.0, [10.0]), facts("Fast", 78.0, 78.0, [1.0], cpu="Y")])
    assert [r.team for r in board.rows] == ["Slow", "Fast"]
    assert not board.durations_comparable
    assert "different cpu" in board.notes[0] and "withheld" in board.notes[-1]


def test_rows_carry_their_aggregate_and_flatten_to_the_published_json() -> None:
    board = _board([facts("Slow", 80.0, 80.0, [10.0]), facts("Fast", 78.0, 78.0, [1.0, 1.02])])
    fast = next(r for r in board.rows if r.team == "Fast")
    assert fast.duration == fast.aggregate.duration == 1.01 and fast.arrow == "▲1"
    slow = next(r for r in board.rows if r.team == "Slow")
    assert slow.arrow == "▼1"
    row = board.to_dict()["rows"][0]
    assert "aggregate" not in row
    assert {"overall", "tasks", "languages", "duration", "duration_min", "duration_max"} <= set(row)
    assert row["duration_min"] == 1.0 and row["duration_max"] == 1.02
