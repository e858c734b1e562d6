"""`[leaderboard]` as configured, through the real service: weighted and mean-rank overall
scores, and a reference team shown beside the ranking but never in it."""

from __future__ import annotations

from pathlib import Path

import pytest

from podium.core.errors import SpecError
from podium.rules.leaderboard import Combine, rank_scores
from podium.service import Podium

from ..conftest import CONSTANT_PREDICT, RUN_LIMIT, SMALL_SPEC, write_submission

NEUTRAL = CONSTANT_PREDICT.replace('"xnli": "entailment"', '"xnli": "neutral"')
ZERO = CONSTANT_PREDICT.replace('"pawsx": "1"', '"pawsx": "0"')


def _cup(tmp_path: Path, board: str) -> Podium:
    root = tmp_path / "cup"
    root.mkdir()
    spec = SMALL_SPEC.format(timeout=RUN_LIMIT) + 'runner = "subprocess"\n' + board
    spec += "[efficiency]\nphoto_finish_runs = 3\n"  # a close here is about the board's make
    (root / "competition.toml").write_text(spec)
    podium = Podium.open(root)
    podium.setup.prepare_data()
    for team in ("Ada", "Bo", "Baseline"):
        podium.setup.add_team(team)
    podium.setup.open_stage("evaluation")
    for team, predict in (("Ada", CONSTANT_PREDICT), ("Bo", ZERO), ("Baseline", NEUTRAL)):
        folder = write_submission(tmp_path / team, predict)
        podium.submissions.submit(folder, team=team)
    assert {o.status for o in podium.evaluation.evaluate_pending()} == {"scored"}
    return podium


def test_weights_and_a_reference_row(tmp_path: Path) -> None:
    podium = _cup(tmp_path, '[leaderboard]\naggregate = "weighted"\nweights = { pawsx = 3 }\n'
                            'references = ["Baseline"]\n')  # fmt: skip
    board = podium.results.leaderboard("evaluation")
    assert {r.team for r in board.rows} == {"Ada", "Bo"}  # the reference is not ranked
    [ref] = board.references
    assert ref.team == "Baseline" and ref.place == 0 and "never ranked" in ref.reasons[0]
    assert all(d.team != "Baseline" and d.past != "Baseline" for d in board.decisions)
    for row in (*board.rows, ref):  # recomputed from the task scores, weights as configured
        tasks = row.tasks
        expected = (sum(tasks.values()) + 2 * tasks["pawsx"]) / (len(tasks) + 2)
        assert row.overall == pytest.approx(expected)
    document = board.to_dict()
    assert document["aggregate"] == "weighted" and document["references"][0]["team"] == "Baseline"
    winners = podium.finals.close_stage("evaluation")
    assert [w.team_name for w in winners] == [board.rows[0].team]
    assert "Baseline" not in [e.team_name for e in podium.finals.hall_of_fame()]


def test_mean_rank_orders_by_rank_on_the_score_scale(tmp_path: Path) -> None:
    podium = _cup(tmp_path, '[leaderboard]\naggregate = "mean_rank"\n')
    board = podium.results.leaderboard("evaluation")
    tasks = {r.team: r.tasks for r in board.rows}
    expected = rank_scores(tasks)
    assert {r.team: r.overall for r in board.rows} == pytest.approx(expected)
    assert max(r.overall for r in board.rows) <= 100 and min(r.overall for r in board.rows) >= 0


def test_rank_scores_and_combine_by_hand() -> None:
    scores = rank_scores({"a": {"x": 90, "y": 10}, "b": {"x": 80, "y": 20}, "c": {"x": 80, "y": 0}})
    # x: a first (100), b and c share ranks 2-3 (25 each); y: b 100, a 50, c 0
    assert scores == pytest.approx({"a": 75.0, "b": 62.5, "c": 12.5})
    assert rank_scores({"only": {"x": 1}}) == {"only": 100.0}
    assert Combine("weighted", {"x": 3}).overall({"x": 10, "y": 50}) == pytest.approx(20.0)
    assert Combine().overall({}) == 0.0


def test_bad_leaderboard_sections_are_refused(tmp_path: Path) -> None:
    from podium.config.spec import parse_spec

    base = SMALL_SPEC.format(timeout=RUN_LIMIT)
    for bad, match in (
        ('[leaderboard]\naggregate = "median"\n', "aggregate"),
        ('[leaderboard]\naggregate = "weighted"\nweights = { xnlii = 2 }\n', "unknown task"),
        ('[leaderboard]\naggregate = "weighted"\nweights = { xnli = -1 }\n', "positive"),
        ("[leaderboard]\nweights = { xnli = 2 }\n", "not 'weighted'"),
    ):
        with pytest.raises(SpecError, match=match):
            parse_spec(base + bad)


def test_columns_choose_what_is_shown_not_what_is_stored(tmp_path: Path) -> None:
    from rich.console import Console

    from podium.cli.render import print_leaderboard

    podium = _cup(tmp_path, '[leaderboard]\ncolumns = ["pawsx", "xnli"]\n')
    board = podium.results.leaderboard("evaluation")
    assert board.shown_tasks == ["pawsx", "xnli"]
    assert set(board.to_dict()["rows"][0]["tasks"]) == {"xnli", "pawsx", "udpos", "panx"}
    console = Console(record=True, width=200)
    print_leaderboard(console, board)
    text = console.export_text()
    header = next(line for line in text.splitlines() if "overall" in line)
    assert "pawsx" in header and "xnli" in header and "udpos" not in header
    assert header.index("pawsx") < header.index("xnli")
