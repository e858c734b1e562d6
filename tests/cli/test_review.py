"""`podium submissions --json` shows organizers the flags; `podium review` decides, and a
disqualified submission leaves the board the terminal shows."""

from __future__ import annotations

import json
from pathlib import Path

from podium.service import Podium

from ..conftest import CONSTANT_PREDICT, write_submission
from .test_main import run


def test_flags_reach_the_organizer_and_a_review_decides(
    competition_dir: Path, tmp_path: Path
) -> None:
    root = str(competition_dir)
    code = write_submission(tmp_path / "twin", CONSTANT_PREDICT)
    with Podium.open(competition_dir) as podium:
        podium.setup.open_stage("evaluation")
        for team in ("Alpha", "Beta"):
            podium.setup.add_team(team)
            podium.submissions.submit(code, team=team)
    listed = json.loads(run("submissions", "--json", "-c", root).stdout)
    assert [[f["kind"] for f in s["flags"]] for s in listed] == [["identical"], ["identical"]]
    assert listed[1]["flags"][0]["team"] == "Alpha" and listed[1]["review"] is None
    assert "under review" in run("submissions", "-c", root).stdout
    refused = run("review", str(listed[1]["id"]), "--disqualify", "-c", root, ok=False)
    assert refused.returncode == 2 and "needs a reason" in refused.stderr
    decided = json.loads(
        run(
            "review",
            str(listed[1]["id"]),
            "--disqualify",
            "--reason",
            "copied",
            "--json",
            "-c",
            root,
        ).stdout
    )
    assert decided["decision"] == "disqualified" and decided["reason"] == "copied"
    run("review", str(listed[0]["id"]), "--clear", "-c", root)
    with Podium.open(competition_dir) as podium:
        assert [s.review for s in podium.submissions.find()] == ["cleared", "disqualified"]
