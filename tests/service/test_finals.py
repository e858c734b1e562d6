"""Stage endings, the final and the hall of fame."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from podium.core.errors import RuleError
from podium.service import Podium

from ..conftest import write_submission
from .conftest import constant


@pytest.fixture
def podium(competition_dir: Path) -> Iterator[Podium]:
    """The service's cup with a photo finish of 3 runs a team: these tests are about stage
    endings (the "auto" budget has its own tests, tests/test_sequential.py and test_twins)."""
    toml = competition_dir / "competition.toml"
    toml.write_text(toml.read_text() + "\n[efficiency]\nphoto_finish_runs = 3\n")
    p = Podium.open(competition_dir)
    p.setup.add_team("Alpha", ["Ann", "Bo"])
    p.setup.add_team("Beta", ["Cy"])
    p.setup.open_stage("evaluation")
    yield p
    p.close()


def test_final_hidden_until_revealed_then_hall_of_fame(podium: Podium, tmp_path: Path) -> None:
    podium.submissions.submit(constant(tmp_path), team="Alpha")
    podium.submissions.submit(
        write_submission(tmp_path / "crash", "raise SystemExit(1)"), team="Beta"
    )
    podium.submissions.submit(constant(tmp_path, "c2"), team="Beta")
    podium.evaluation.evaluate_pending()
    with pytest.raises(RuleError, match="still open"):
        podium.finals.run()
    with pytest.raises(RuleError, match="only once closed"):
        podium.finals.export_code("evaluation", tmp_path / "code")
    [winner] = podium.finals.close_stage("evaluation")
    assert winner.stage_name == "evaluation" and winner.place == 1
    exported = podium.finals.export_code("evaluation", tmp_path / "code")
    assert len(exported) == 3 and all((e / "podium.toml").is_file() for e in exported)
    candidates = podium.finals.candidates()
    assert set(candidates) == {"Alpha", "Beta"}
    outcomes = podium.finals.run()
    assert sorted(o.team for o in outcomes) == ["Alpha", "Beta"]
    assert all(o.status == "scored" for o in outcomes)
    with pytest.raises(RuleError, match="hidden until revealed"):
        podium.results.leaderboard("final")
    with pytest.raises(RuleError, match="already run"):
        podium.finals.run()
    entries = podium.finals.reveal()
    assert [e.place for e in entries] == [1, 2]
    assert len(podium.results.leaderboard("final").rows) == 2
    fame = podium.finals.hall_of_fame()
    assert [(e.stage_name, e.place) for e in fame] == [  # newest stage first, then place
        ("final", 1),
        ("final", 2),
        ("evaluation", 1),
    ]
