"""Boards computed once per change: the store's board revision rises with every write a
board reads (and with no other), and a board cached in one process shows another process's
change at its very next read."""

from __future__ import annotations

from pathlib import Path

import pytest

from podium.core.errors import NotFoundError
from podium.service import Podium

from .conftest import constant


def test_the_revision_rises_with_every_write_a_board_reads_and_no_other(
    podium: Podium, tmp_path: Path
) -> None:
    start = podium.boards.revision()
    Podium.open(podium.competition.root).close()  # opening it again writes nothing new
    podium.tokens.create("team", team="Alpha")  # no board shows a token
    podium.questions.ask(podium.tokens.authenticate(podium.tokens.create("team", team="Beta")),
                         "When?", "When does it close?")  # fmt: skip
    assert podium.boards.revision() == start
    seen = [start]
    for change in (
        lambda: podium.submissions.submit(constant(tmp_path), team="Alpha"),
        podium.evaluation.evaluate_pending,
        lambda: podium.setup.add_team("Gamma", ["Di"]),
        lambda: podium.finals.close_stage("evaluation", publish=False),
    ):
        change()
        seen.append(podium.boards.revision())
        assert seen[-1] > seen[-2]


def test_a_board_is_read_once_per_change_and_another_process_s_change_shows_next(
    podium: Podium, tmp_path: Path
) -> None:
    reader = Podium.open(podium.competition.root)  # another server's cache, on the same store
    try:
        empty = reader.boards.board("evaluation")
        assert empty.leaderboard.rows == () and reader.boards.board("evaluation") is empty
        assert reader.boards.board(None).stage.name == "evaluation"
        podium.submissions.submit(constant(tmp_path), team="Alpha")
        [outcome] = podium.evaluation.evaluate_pending()
        scored = reader.boards.board("evaluation")
        assert [r.team for r in scored.leaderboard.rows] == ["Alpha"]
        assert scored.leaderboard.rows[0].run_id == outcome.run_id
        assert scored.charts == reader.boards.board("evaluation").charts
        podium.finals.close_stage("evaluation", publish=False)
        closed = reader.boards.board("evaluation")
        assert closed.stage.status == "closed" and closed.leaderboard.status == "closed"
        assert reader.boards.board("evaluation") is closed
    finally:
        reader.close()


def test_the_huddle_s_past_board_is_the_same_runs_finished_by_then(
    podium: Podium, tmp_path: Path
) -> None:
    podium.submissions.submit(constant(tmp_path), team="Alpha")
    podium.evaluation.evaluate_pending()
    board = podium.boards.board("evaluation")
    [(run_id, finished)] = board.finished.items()
    [(_, submitted)] = board.attempts
    before = podium.boards.changes(board, submitted)  # the run had not finished then
    [alpha] = before.teams
    assert alpha.team == "Alpha" and alpha.place_before is None and alpha.new_best
    assert alpha.attempts == 1
    after = podium.boards.changes(board, finished)
    [alpha] = after.teams
    assert alpha.place_before == 1 and not alpha.new_best and alpha.attempts == 0
    # the same as reading the past board from the store
    past = podium.results.leaderboard("evaluation", organizer=True, until=finished)
    assert [r.run_id for r in past.rows] == [run_id]


def test_a_stray_stage_name_is_not_found_and_keeps_nothing(podium: Podium) -> None:
    """`?stage=` is whatever a browser sends: a thousand names must not grow the cache."""
    for i in range(100):
        with pytest.raises(NotFoundError, match="unknown stage"):
            podium.boards.board(f"evaluation{i}")
    assert podium.boards.board("evaluation").stage.name == "evaluation"
    assert len(podium.boards._computing) == 1 and set(podium.boards._boards) == {"evaluation"}
