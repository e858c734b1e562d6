"""Personal tokens: a member of a team signs in as themself, acts for the team, and their
submissions carry their name; leaving the team ends their token, not their record."""

from __future__ import annotations

from pathlib import Path

import pytest

from podium.core.errors import NotFoundError, PodiumError
from podium.service import Podium
from podium.store.models import Submission
from podium.submission.archive import read_submission

from .conftest import constant


def test_a_personal_token_names_the_member_and_acts_for_the_team(podium: Podium) -> None:
    token = podium.tokens.create("team", team="Alpha", member="Ann")
    who = podium.tokens.authenticate(token)
    assert who is not None and (who.role, who.team, who.member) == ("team", "Alpha", "Ann")
    assert who.display == "Ann · Alpha"
    assert podium.tokens.principal_by_id(who.token_id) == who
    team_wide = podium.tokens.authenticate(podium.tokens.create("team", team="Alpha"))
    assert team_wide is not None and team_wide.member is None
    assert team_wide.display == "team Alpha"
    assert [(t.team, t.member) for t in podium.tokens.find()] == [
        ("Alpha", "Ann"), ("Alpha", None)]  # fmt: skip


def test_a_member_not_in_the_team_is_refused_with_the_closest_names(podium: Podium) -> None:
    with pytest.raises(NotFoundError, match="team 'Alpha' has no member 'Anne'") as err:
        podium.tokens.create("team", team="Alpha", member="Anne")
    assert err.value.hint is not None and "'Ann'" in err.value.hint
    with pytest.raises(NotFoundError, match="no member 'Cy'"):  # Cy is in Beta
        podium.tokens.create("team", team="Alpha", member="Cy")
    with pytest.raises(PodiumError, match="pass --team too"):
        podium.tokens.create("organizer", member="Ann")
    assert podium.tokens.find() == []


def test_submissions_record_who_sent_them(podium: Podium, tmp_path: Path) -> None:
    archive = tmp_path / "a.zip"
    archive.write_bytes(read_submission(constant(tmp_path)))
    incoming = podium.competition.layout.incoming_dir
    incoming.mkdir(parents=True, exist_ok=True)
    for member in ("Bo", None):
        copy = incoming / f"upload-{member}"
        copy.write_bytes(archive.read_bytes())
        receipt = podium.submissions.submit_file(
            copy, team="Alpha", stage="evaluation", label="a.zip", where="a.zip", member=member
        )
        assert receipt.member == member
    assert [s.to_dict()["member"] for s in podium.submissions.find("Alpha")] == ["Bo", None]


def test_a_member_who_leaves_loses_their_token_and_keeps_their_record(
    podium: Podium, tmp_path: Path
) -> None:
    ann = podium.tokens.create("team", team="Alpha", member="Ann")
    bo = podium.tokens.create("team", team="Alpha", member="Bo")
    podium.submissions.submit(constant(tmp_path), team="Alpha")
    with podium.competition.sessions.begin() as s:  # as if Ann had sent it
        s.get(Submission, 1).member = "Ann"  # type: ignore[union-attr]
    assert podium.setup.remove_member("Alpha", "Ann") == 1
    assert podium.tokens.authenticate(ann) is None
    assert podium.tokens.authenticate(bo) is not None
    [info, _] = podium.tokens.find()
    assert (info.revoked, info.member, info.label) == (True, None, "Ann")
    assert podium.setup.teams()[0].members == ("Bo",)
    assert podium.submissions.get(1).member == "Ann"
    with pytest.raises(NotFoundError, match="no member 'Ann'"):
        podium.setup.remove_member("Alpha", "Ann")
    with pytest.raises(NotFoundError, match="no member 'Ann'"):
        podium.tokens.create("team", team="Alpha", member="Ann")
