"""A team's choices and an organizer's grants through the real service: a cancel races a
worker's lease and the server's evaluator (whoever writes first wins, once), a cancelled
attempt comes back without its number being reused, grants raise the stage's attempts and
the day's cap, a final choice holds until the final runs; each decision is in the trail."""

from __future__ import annotations

from pathlib import Path

import pytest

from podium.core.errors import InputError, NotFoundError, RuleError
from podium.service import Podium
from podium.store.models import Submission

from ..conftest import CONSTANT_PREDICT, RUN_LIMIT, SMALL_SPEC, write_submission
from .test_fleet import _worker


@pytest.fixture
def cup(tmp_path: Path) -> Podium:
    root = tmp_path / "cup"
    root.mkdir()
    spec = SMALL_SPEC.format(timeout=RUN_LIMIT).replace("attempts = 3\n", "attempts = 2\n")
    (root / "competition.toml").write_text(spec + 'runner = "subprocess"\n')
    podium = Podium.open(root)
    podium.setup.prepare_data()
    for team in ("Ada", "Bo"):
        podium.setup.add_team(team)
    podium.setup.open_stage("evaluation")
    return podium


def _submit(podium: Podium, folder: Path, team: str = "Ada") -> int:
    return podium.submissions.submit(folder, team=team).submission_id


def test_cancel_races_a_lease_and_the_evaluator_and_gives_the_attempt_back(
    cup: Podium, tmp_path: Path
) -> None:
    folder = write_submission(tmp_path / "sub", CONSTANT_PREDICT)
    first, second = _submit(cup, folder), _submit(cup, folder)
    assert cup.submissions.attempts_left("Ada") == {"evaluation": 0}
    with pytest.raises(NotFoundError):  # another team's: as if it did not exist
        cup.choices.cancel(first, team="Bo", actor="team Bo")
    assert cup.leases.claim(_worker(cup, "gpu-01"), first) is not None  # the worker first
    with pytest.raises(RuleError, match="running, not waiting"):
        cup.choices.cancel(first, team="Ada", actor="team Ada")
    cup.choices.cancel(second, team="Ada", actor="team Ada")  # the cancel first
    assert cup.leases.claim(_worker(cup, "gpu-02"), second) is None
    assert cup.evaluation.claim_next() is None  # nothing left for the server's evaluator
    assert cup.submissions.attempts_left("Ada") == {"evaluation": 1}
    assert cup.submissions.get(second).attempt is None  # its number came back with it
    assert cup.submissions.get(second).to_dict()["attempt"] is None
    again = cup.submissions.submit(folder, team="Ada")
    assert again.attempt == 2 and again.attempts == 2  # never "attempt 3 of 2"
    with pytest.raises(RuleError, match="used all 2"):
        _submit(cup, folder)
    [honest] = cup.evaluation.evaluate_pending()  # the next honest one is scored
    assert (honest.submission_id, honest.status) == (again.submission_id, "scored")
    with cup.competition.sessions() as s:
        assert s.get_one(Submission, second).status == "cancelled"
    [(kind, actor, sub)] = [(a.kind, a.actor, a.submission_id) for a in cup.choices.trail("Ada")]
    assert (kind, actor, sub) == ("cancelled", "team Ada", second)


def test_a_cancel_moves_the_later_attempts_down(cup: Podium, tmp_path: Path) -> None:
    folder = write_submission(tmp_path / "sub", CONSTANT_PREDICT)
    first, second = _submit(cup, folder), _submit(cup, folder)
    cup.choices.cancel(first, team="Ada", actor="team Ada")
    assert [(s.id, s.attempt) for s in cup.submissions.find("Ada")] == [(first, None), (second, 1)]
    assert [team for team, _ in cup.boards.board("evaluation").attempts] == ["Ada"]  # huddle
    assert cup.submissions.queue_position(second) == 1  # the first in line now
    third = cup.submissions.submit(folder, team="Ada")
    assert (third.attempt, third.attempts, third.queue_position) == (2, 2, 2)
    assert cup.evaluation.claim_next() is not None  # the second runs: no place in the queue
    assert cup.submissions.queue_position(second) is None
    assert cup.submissions.queue_position(third.submission_id) == 1


def test_grants_raise_attempts_and_need_a_reason(cup: Podium, tmp_path: Path) -> None:
    folder = write_submission(tmp_path / "sub", CONSTANT_PREDICT)
    for bad, match in ((("", 1), "needs a reason"), (("crash", 0), "1 to 100"),
                       (("x" * 501, 1), "longer than")):  # fmt: skip
        with pytest.raises(InputError, match=match):
            cup.choices.grant("Ada", "evaluation", bad[1], bad[0], actor="organizer")
    with pytest.raises(RuleError, match="final"):
        cup.choices.grant("Ada", "final", 1, "crash", actor="organizer")
    with pytest.raises(NotFoundError, match="unknown team"):
        cup.choices.grant("Nobody", "evaluation", 1, "crash", actor="organizer")
    _submit(cup, folder), _submit(cup, folder)
    cup.choices.grant("Ada", "evaluation", 1, "the runner crashed", actor="organizer")
    assert cup.submissions.attempts_left("Ada") == {"evaluation": 1}
    assert cup.submissions.attempts_left("Bo") == {"evaluation": 2}
    assert cup.submissions.submit(folder, team="Ada").attempts == 3
    [grant] = cup.choices.trail("Ada")
    assert (grant.count, grant.reason, grant.stage) == (1, "the runner crashed", "evaluation")


def test_a_final_choice_holds_until_the_final_runs(cup: Podium, tmp_path: Path) -> None:
    good = write_submission(tmp_path / "good", CONSTANT_PREDICT)
    bad = write_submission(tmp_path / "bad", "raise SystemExit(3)")
    chosen, failed = _submit(cup, good), _submit(cup, bad)
    other = _submit(cup, good, "Bo")
    cup.evaluation.evaluate_pending()
    with pytest.raises(RuleError, match="select a scored one"):
        cup.submissions.select_for_final("Ada", failed, actor="team Ada")
    with pytest.raises(NotFoundError):
        cup.submissions.select_for_final("Ada", other, actor="team Ada")
    cup.submissions.select_for_final("Ada", chosen, actor="team Ada")
    assert cup.finals.candidates()["Ada"] == chosen
    cup.finals.close_stage("evaluation", remeasure_here=False)
    cup.finals.run()
    with pytest.raises(RuleError, match="already run"):
        cup.submissions.select_for_final("Ada", chosen, actor="organizer")
    assert [a.kind for a in cup.choices.trail("Ada")] == ["final_chosen"]
