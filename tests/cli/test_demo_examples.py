"""The second competition that ships: `podium demo --example digits` end to end (data
made offline from scikit-learn, a reference team, learning and constant submissions, the
final and the hall of fame), and what a wrong name says."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from podium.service import Podium

pytest.importorskip("sklearn", reason="scikit-learn (the test extra) makes the digits data")


def _podium(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "podium", *args], capture_output=True, text=True)


def test_the_digits_competition_runs_end_to_end(tmp_path: Path) -> None:
    done = _podium("demo", "--example", "digits", str(tmp_path / "demo"), "--quiet")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Hall of fame" in done.stdout and "Traceback" not in done.stderr
    with Podium.open(tmp_path / "demo") as podium:
        board = podium.results.leaderboard("final")
        assert board.aggregate == "mean_rank"
        assert [r.team for r in board.references] == ["Organizers"]  # shown, never ranked
        assert {r.team for r in board.rows} == {"Nearest Neighbours", "Quick Constants"}
        reference = board.references[0]
        for row in board.rows:  # learning beats the constants on both tasks
            assert row.tasks["digits"] > reference.tasks["digits"] + 30
            assert row.tasks["diabetes"] < reference.tasks["diabetes"]  # rmse: lower is better
        fame = [e.team_name for e in podium.finals.hall_of_fame()]
        assert fame and "Organizers" not in fame
        scores = {(s.task, s.metric) for s in podium.results.run(board.rows[0].run_id).scores}
        assert {("digits", "macro_f1"), ("diabetes", "spearman")} <= scores
    document = json.loads(_podium("leaderboard", "-c", str(tmp_path / "demo"), "--stage",
                                  "final", "--json").stdout)  # fmt: skip
    assert document["references"][0]["team"] == "Organizers"


def test_an_unknown_example_competition_is_named_with_a_suggestion(tmp_path: Path) -> None:
    done = _podium("demo", "--competition", "digit", str(tmp_path / "demo"))
    assert done.returncode != 0 and "no example competition 'digit'" in done.stderr
    assert "digits" in done.stderr and "Traceback" not in done.stderr
    assert "now `--example NAME`" in done.stderr  # the old name, for one release
