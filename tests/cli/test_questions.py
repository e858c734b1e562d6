"""`podium questions` in a real process: the board in 80 columns, and as JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from podium.service import Podium

from ..patience import HANG

LONG_TEAM = "A Team With A Rather Long Name Indeed"


def _questions(root: Path, *args: str) -> str:
    env = {**os.environ, "COLUMNS": "80"}
    return subprocess.run(
        [sys.executable, "-m", "podium", "questions", "-c", str(root), *args],
        capture_output=True, text=True, env=env, check=True, timeout=HANG,
    ).stdout  # fmt: skip


def test_the_board_fits_80_columns_and_hides_anonymous_askers(competition_dir: Path) -> None:
    assert "no questions yet" in _questions(competition_dir)
    with Podium.open(competition_dir) as podium:
        podium.setup.add_team(LONG_TEAM, ["Ann"])
        team = podium.tokens.authenticate(podium.tokens.create("team", team=LONG_TEAM))
        org = podium.tokens.authenticate(podium.tokens.create("organizer"))
        assert team is not None and org is not None
        long = podium.questions.ask(team, "How are durations measured " * 7, "body")
        secret = podium.questions.ask(team, "Anonymous [red]one[/]", "body", anonymous=True)
        podium.questions.answer(org, long.id, "wall time, median of the repeats")
        podium.questions.pin(org, long.id)
        podium.questions.close(org, long.id)
    text = _questions(competition_dir)
    assert all(len(line) <= 80 for line in text.splitlines()), text
    rows = [line for line in text.splitlines() if line.lstrip().startswith(("1 ", "2 "))]
    assert len(rows) == 2, text  # one line a question
    assert "How are durations" in rows[0] and "…" in rows[0]
    assert "pinned closed" in rows[0] and "a team" in rows[1]
    assert "Anonymous [red]one[/]" in text and text.count("A Team Wit") == 1
    listed = json.loads(_questions(competition_dir, "--json"))
    assert [(q["id"], q["answers"]) for q in listed] == [(long.id, 1), (secret.id, 0)]
    assert LONG_TEAM not in json.dumps(listed[1])
