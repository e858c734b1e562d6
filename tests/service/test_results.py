"""Results: leaderboards and runs derived from raw rows, scoped to one competition."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from podium.core.errors import NotFoundError
from podium.metrics import mean
from podium.rules.leaderboard import aggregate
from podium.service import Podium
from podium.store.models import Run, Score

from .conftest import constant


def test_submit_evaluate_and_rank(podium: Podium, tmp_path: Path) -> None:
    receipt = podium.submissions.submit(constant(tmp_path), team="Alpha")
    assert (receipt.attempt, receipt.attempts, receipt.queue_position) == (1, 3, 1)
    [outcome] = podium.evaluation.evaluate_pending()
    assert outcome.status == "scored", outcome.error
    board = podium.results.leaderboard("evaluation")
    [row] = board.rows
    assert row.team == "Alpha" and row.place == 1
    assert set(row.tasks) == {"xnli", "pawsx", "udpos", "panx"}
    assert row.languages["panx"].keys() == {"en", "ja"}
    assert 0 < row.overall < 100
    assert board.unranked == (("Beta", "no scored submission yet"),)
    # every shown number is recomputable from the stored raw rows
    with podium.competition.sessions() as s:
        scores = s.scalars(select(Score).where(Score.run_id == row.run_id)).all()
        run = s.get_one(Run, row.run_id)
        assert run.fingerprint["spec_hash"] == podium.competition.spec_hash
        assert len(run.inputs_sha256) == 64 and run.submission_sha256 == receipt.sha256
    metrics = podium.competition.metrics()
    task_means = {
        t: mean(s.value for s in scores if s.task == t and s.metric == metrics[t]) for t in metrics
    }
    assert row.overall == pytest.approx(mean(task_means.values()))
    assert row.duration == pytest.approx(podium.results.run(row.run_id).walls[0])
    facts = podium.results.stage_runs("evaluation")[0]
    assert aggregate(facts, metrics).overall == pytest.approx(row.overall)


def test_runs_of_another_competition_in_the_same_store_are_not_returned(
    podium: Podium, tmp_path: Path
) -> None:
    from .test_tokens import _second_competition

    other = _second_competition(podium, tmp_path)
    try:
        other.setup.open_stage("evaluation")
        other.submissions.submit(constant(tmp_path, "theirs"), team="Alpha")
        [theirs] = other.evaluation.evaluate_pending()
        assert theirs.status == "scored"
        with pytest.raises(NotFoundError, match=f"no run {theirs.run_id}"):
            podium.results.run(theirs.run_id)
        with pytest.raises(NotFoundError):
            podium.submissions.get(theirs.submission_id)
        assert podium.results.leaderboard("evaluation").rows == ()
        assert podium.submissions.queue_position(theirs.submission_id) is None
    finally:
        other.close()
