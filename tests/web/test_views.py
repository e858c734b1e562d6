"""What the pages and the API show, with the access rules applied: the view functions over a
real store with a real scored run, no server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from podium.core.errors import AuthenticationError, ForbiddenError, NotFoundError
from podium.rules.access import Principal, StageFacts
from podium.service import Podium
from podium.submission.archive import pack_folder
from podium.web import views

from ..conftest import CONSTANT_PREDICT, write_submission
from .conftest import Cup, make_cup

LEX = Principal(1, "team", "Quick Lex")
DEEP = Principal(2, "team", "Deep Percept")
ORG = Principal(3, "organizer", None)


@dataclass
class Scored:
    """A competition where Quick Lex's first submission is scored in the open evaluation."""

    cup: Cup
    podium: Podium
    submission_id: int

    def view(self, who: Principal | None, submission_id: int | None = None) -> views.SubmissionView:
        sub = self.podium.submissions.get(submission_id or self.submission_id)
        return views.submission_view(self.podium, sub, who)

    def run_final(self) -> int:
        """Close the evaluation (releasing its code) and run the final: its submission id."""
        self.podium.finals.close_stage("evaluation")
        self.podium.finals.run()
        return max(s.id for s in self.podium.submissions.find("Quick Lex"))


@pytest.fixture
def scored(tmp_path: Path) -> Iterator[Scored]:
    cup = make_cup(tmp_path)
    talky = write_submission(tmp_path / "talky", 'print("hello from Quick Lex")' + CONSTANT_PREDICT)
    podium = cup.podium()
    try:
        receipt = podium.submissions.submit_data(
            pack_folder(talky), team="Quick Lex", label="talky.zip", where="talky.zip"
        )
        podium.evaluation.evaluate_pending()
        yield Scored(cup, podium, receipt.submission_id)
    finally:
        podium.close()


def test_stage_facts_come_from_the_row_and_the_spec(scored: Scored) -> None:
    rows = {st.name: st for st in scored.podium.setup.stages()}
    assert rows["evaluation"].facts == StageFacts(
        "evaluation", hidden=False, revealed=False, releases_code=True, closed=False
    )
    assert rows["final"].facts == StageFacts(
        "final", hidden=True, revealed=False, releases_code=False, closed=False
    )


def test_stage_tabs_say_which_results_are_not_public_yet(scored: Scored) -> None:
    def hidden() -> dict[str, bool]:
        return {t["name"]: t["hidden"] for t in views.stage_tabs(scored.podium)}

    assert hidden() == {"evaluation": False, "final": True}
    scored.run_final()
    scored.podium.finals.reveal()
    assert hidden() == {"evaluation": False, "final": False}


def test_a_team_sees_its_scores_and_log_and_others_only_the_status(scored: Scored) -> None:
    own = scored.view(LEX)
    assert own.status == "scored" and own.run_status == "scored" and own.overall is not None
    assert own.can_download and "hello from Quick Lex" in own.log_tail
    assert scored.view(ORG).log_tail == own.log_tail
    assert set(own.tasks) == {"xnli", "pawsx", "udpos", "panx"} and not own.hidden
    for who in (DEEP, None):
        other = scored.view(who)
        assert other.overall == own.overall and not other.hidden  # the stage is public
        assert not other.can_download and other.log_tail == ""


def test_released_code_can_be_downloaded_by_every_team(scored: Scored) -> None:
    scored.podium.finals.close_stage("evaluation")
    assert scored.view(DEEP).can_download
    assert not scored.view(None).can_download  # released to teams, not to anonymous visitors


def test_final_results_are_hidden_from_teams_until_revealed(scored: Scored) -> None:
    final_id = scored.run_final()
    hidden = scored.view(LEX, final_id)
    assert hidden.stage == "final" and hidden.hidden
    assert hidden.status == "hidden until revealed"
    assert hidden.run_id is None and hidden.overall is None and hidden.log_tail == ""
    organizer = scored.view(ORG, final_id)
    assert not organizer.hidden and organizer.status == "scored" and organizer.overall is not None
    scored.podium.finals.reveal()
    assert scored.view(LEX, final_id).overall == organizer.overall


def test_a_team_page_is_for_its_members_and_organizers(scored: Scored) -> None:
    page = views.team_page(scored.podium, "Quick Lex", LEX)
    assert page["members"] == ["Alan", "Barbara"] and page["current_stage"] == "evaluation"
    assert page["attempts_left"]["evaluation"] == 2
    assert [s["id"] for s in page["submissions"]] == [scored.submission_id]
    assert views.team_page(scored.podium, "Quick Lex", ORG)["team"] == "Quick Lex"
    with pytest.raises(ForbiddenError, match="visible only to its members and organizers"):
        views.team_page(scored.podium, "Quick Lex", DEEP)
    with pytest.raises(AuthenticationError):
        views.team_page(scored.podium, "Quick Lex", None)
    with pytest.raises(NotFoundError, match="unknown team 'Nobody'"):
        views.team_page(scored.podium, "Nobody", ORG)


def test_a_team_page_lists_newest_first_and_hides_the_unrevealed_final(scored: Scored) -> None:
    final_id = scored.run_final()
    subs = views.team_page(scored.podium, "Quick Lex", LEX)["submissions"]
    assert [s["id"] for s in subs] == [final_id, scored.submission_id]
    assert subs[0]["hidden"] and not subs[1]["hidden"]
    assert subs[1]["can_download"]


def test_a_submission_record_is_its_team_s(scored: Scored) -> None:
    record = views.submission_record(scored.podium, scored.submission_id, LEX)
    assert record["team"] == "Quick Lex" and record["id"] == scored.submission_id
    assert views.submission_record(scored.podium, scored.submission_id, ORG) == record
    with pytest.raises(ForbiddenError, match=f"submission {scored.submission_id} belongs"):
        views.submission_record(scored.podium, scored.submission_id, DEEP)
    with pytest.raises(AuthenticationError):
        views.submission_record(scored.podium, scored.submission_id, None)
    with pytest.raises(NotFoundError):  # an unknown id is unknown to everyone
        views.submission_record(scored.podium, 99, None)


def test_runs_overview_shows_every_run_newest_first(scored: Scored) -> None:
    final_id = scored.run_final()
    runs = views.runs_overview(scored.podium)
    assert [(r["team"], r["stage"], r["submission_id"]) for r in runs] == [
        ("Quick Lex", "final", final_id),
        ("Quick Lex", "evaluation", scored.submission_id),
    ]
    assert runs[0]["run_id"] > runs[1]["run_id"]
    assert all(r["status"] == "scored" and not r["retryable"] and not r["attention"] for r in runs)
    assert all(r["fingerprint"] and r["submission_sha256"] and r["walls"] for r in runs)


def test_a_board_is_computed_once_and_still_refused_to_those_it_is_hidden_from(
    scored: Scored,
) -> None:
    scored.run_final()
    final = views.board_view(scored.podium, "final", ORG)
    assert final.leaderboard.stage == "final"
    assert [r.team for r in final.leaderboard.rows] == ["Quick Lex"]
    assert views.board_view(scored.podium, "final", ORG) is final  # cached
    for who in (LEX, DEEP, None):
        with pytest.raises(ForbiddenError, match="'final' are hidden until revealed"):
            views.board_view(scored.podium, "final", who)
    scored.podium.finals.reveal()  # a new board revision: computed again, shown to all
    shown = views.board_view(scored.podium, "final", None)
    assert shown is not final and shown.stage.revealed
    # the same numbers, now final, with what the reveal's close did
    made_final, before = json.loads(shown.json), json.loads(final.json)
    assert made_final.pop("closing") and before.pop("closing") == []
    assert made_final == before


def test_the_default_board_is_the_open_stage_s_with_its_csv(scored: Scored) -> None:
    view = views.board_view(scored.podium, None, None)
    assert view.leaderboard.stage == "evaluation" and view.stage.name == "evaluation"
    assert views.board_view(scored.podium, "evaluation", None).json == view.json
    lines = views.leaderboard_csv(view.leaderboard).splitlines()
    assert lines[0].startswith("place,move,team") and lines[1].split(",")[2] == "Quick Lex"
