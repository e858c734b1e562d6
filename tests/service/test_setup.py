"""Setting up: stages, data, teams."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from podium.core.errors import PodiumError, RuleError
from podium.service import Podium

from .conftest import constant


def test_teams_need_unique_names(podium: Podium) -> None:
    with pytest.raises(RuleError, match="already exists"):
        podium.setup.add_team("alpha")
    with pytest.raises(PodiumError, match="needs a name"):
        podium.setup.add_team("  ")


def test_team_and_member_names_are_checked_where_they_are_made(podium: Podium) -> None:
    from podium.core.errors import PodiumError

    bad = {
        "Slash/Team": "holds a '/'",
        " Padded": "starts or ends with a space",
        "Tab\tTeam": "control or invisible character U+0009",
        "Bidi\u202eTeam": "control or invisible character U+202E",
        "x" * 61: "61 characters; at most 60",
        "..": "only dots",
    }
    for name, needle in bad.items():
        with pytest.raises(PodiumError, match=re.escape(needle)):
            podium.setup.add_team(name)
        with pytest.raises(PodiumError, match=re.escape(needle)):
            podium.setup.add_team("Fine", [name])
    assert [t.name for t in podium.setup.teams()] == ["Alpha", "Beta"]
    for name in ["Q&A #1?", "100% \"quoted\" 'team'", "Équipe café 名前", "x" * 60]:
        podium.setup.add_team(name, ["Zoë Ölçer"])
    with pytest.raises(RuleError, match="already exists"):
        podium.setup.add_team("ÉQUIPE CAFÉ 名前")


def test_one_stage_open_at_a_time_and_closed_stays_closed(podium: Podium) -> None:
    assert podium.setup.current_stage() == "evaluation"
    with pytest.raises(RuleError, match="'evaluation' is still open"):
        podium.setup.open_stage("final")
    podium.finals.close_stage("evaluation")
    with pytest.raises(RuleError, match="closed and cannot reopen"):
        podium.setup.open_stage("evaluation")
    with pytest.raises(RuleError, match="no stage is open"):
        podium.setup.current_stage()
    assert [s.status for s in podium.setup.stages()] == ["closed", "pending"]
    assert podium.setup.final_stage() == "final"


def test_resealing_is_refused_once_anything_was_submitted(podium: Podium, tmp_path: Path) -> None:
    podium.submissions.submit(constant(tmp_path), team="Alpha")
    with pytest.raises(RuleError, match="1 submission"):
        podium.setup.prepare_data(force=True)


def test_split_languages_are_those_of_the_spec_present_in_the_data(podium: Podium) -> None:
    assert podium.setup.split_languages("eval") == {
        "xnli": ["en", "de"], "pawsx": ["en"], "udpos": ["en"], "panx": ["en", "ja"]}  # fmt: skip
