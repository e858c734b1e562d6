"""`podium team pair` as an organizer runs it, including --apply on a real competition."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from podium.cli import teams as pairing_cli
from podium.cli.main import app
from podium.service import Podium

from ..conftest import RUN_LIMIT, SMALL_SPEC
from ..patience import HANG

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "roster"
ROSTER = str(EXAMPLE / "roster.csv")
PAIRS = str(EXAMPLE / "collaborations.csv")
NAMES = str(EXAMPLE / "names.txt")


def invoke(*args: str, input: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["team", "pair", *args], input=input, env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def cup(tmp_path: Path) -> Path:
    """A competition folder with its store: what --apply writes teams into."""
    root = tmp_path / "cup"
    root.mkdir()
    (root / "competition.toml").write_text(SMALL_SPEC.format(timeout=RUN_LIMIT))
    return root


def team_list(root: Path) -> dict[str, list[str]]:
    podium = Podium.open(root)
    try:
        return {t.name: list(t.members) for t in podium.setup.teams()}
    finally:
        podium.close()


def test_proposes_optimal_teams_with_reasons() -> None:
    code, out, _ = invoke(ROSTER, "--collaborations", PAIRS)
    assert code == 0, out
    assert "Proposed teams" in out and "OPTIMAL" in out and "spread" in out
    assert "must pair Dev Patel–Emma Stone kept" in out
    assert "past collaborations inside teams: 0" in out


def test_json_is_complete_and_reproducible() -> None:
    code, out, _ = invoke(ROSTER, "--collaborations", PAIRS, "--json", "--seed", "4")
    assert code == 0
    first = json.loads(out)
    assert first["optimal"] and first["status"] == "OPTIMAL" and first["seed"] == 4
    assert len(first["teams"]) == 6 and first["applied"] is False
    assert {"Dev Patel", "Emma Stone"} in [set(t["members"]) for t in first["teams"]]
    assert [s["objective"] for s in first["stages"]] == [
        "collaborations",
        "strength spread",
        "tie-break",
    ]
    again = json.loads(invoke(ROSTER, "--collaborations", PAIRS, "--json", "--seed", "4")[1])
    assert again["teams"] == first["teams"]


def test_bad_input_names_the_file_and_row(tmp_path: Path) -> None:
    bad = tmp_path / "pairs.csv"
    bad.write_text("person_a,person_b,count\nAna Lima,Bruno Costa,1\nAna Lima,Jia Chan,2\n")
    code, _, err = invoke(ROSTER, "--collaborations", str(bad))
    assert code == 2
    assert f"{bad}:3: 'Jia Chan' is not on the roster" in err and "did you mean 'Jia Chen'" in err


def test_an_infeasible_roster_says_which_rule(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_text("name,seniority,experience,skill\nA,9,no,5\nB,1,no,4\n")
    code, _, err = invoke(str(path))
    assert code == 2 and "nobody has topic experience" in err


def test_apply_needs_names(cup: Path, tmp_path: Path) -> None:
    code, _, err = invoke(ROSTER, "--apply", "-c", str(cup))
    assert code == 2 and "--apply needs a name for every team" in err
    short = tmp_path / "names.txt"
    short.write_text("Only One\n\n# a comment\nOnly Two\n")
    code, _, err = invoke(ROSTER, "--apply", "--names", str(short), "-c", str(cup))
    assert code == 2 and "2 team name(s) for 6 teams" in err
    assert team_list(cup) == {}


def test_apply_asks_for_names_at_a_terminal(cup: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pairing_cli, "interactive", lambda: True)
    typed = "".join(f"Team {i}\n" for i in range(1, 7))
    code, out, _ = invoke(ROSTER, "--apply", "-c", str(cup), input=typed)
    assert code == 0, out
    assert "name for team 1" in out and "created 6 teams" in out
    teams = team_list(cup)
    assert sorted(teams) == [f"Team {i}" for i in range(1, 7)]
    assert all(len(members) == 2 for members in teams.values())


def test_apply_refuses_a_taken_name_and_creates_nothing(cup: Path) -> None:
    podium = Podium.open(cup)
    podium.setup.add_team("tensor twins", ["Someone"])
    podium.close()
    code, _, err = invoke(ROSTER, "--apply", "--names", NAMES, "-c", str(cup))
    assert code == 2 and "already in the competition: Tensor Twins" in err
    assert list(team_list(cup)) == ["tensor twins"]


def test_end_to_end_in_a_real_process(cup: Path) -> None:
    """Under its old name `teams pair` (hidden, for one release), which says so."""
    command = [sys.executable, "-m", "podium"]
    env = {**os.environ, "COLUMNS": "200"}
    args = ["teams", "pair", ROSTER, "--collaborations", PAIRS, "--apply", "--names", NAMES]
    done = subprocess.run(
        [*command, *args, "-c", str(cup)],
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=HANG,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "deprecated" in done.stderr
    assert "created 6 teams" in done.stdout and "Gradient Descenders:" in done.stdout
    teams = team_list(cup)
    assert sorted(teams) == sorted(Path(NAMES).read_text().split("\n")[:6])
    members = sorted(m for ms in teams.values() for m in ms)
    assert len(members) == 12 and len(set(members)) == 12
    assert any(set(ms) == {"Dev Patel", "Emma Stone"} for ms in teams.values())
