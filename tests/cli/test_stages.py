"""`podium stage list` with a schedule: readable at 80 columns, the same state the server
sees (every command applies the schedule first), and clear errors for bad times."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ..patience import HANG

PODIUM = [sys.executable, "-m", "podium"]


def podium(*args: str, columns: int = 80) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": str(columns)}
    return subprocess.run([*PODIUM, *args], env=env, capture_output=True, text=True, timeout=HANG)


def schedule(root: Path, lines: str) -> None:
    spec = root / "competition.toml"
    stage = 'name = "evaluation"\nsplit = "eval"\nattempts = 3\n'
    spec.write_text(spec.read_text().replace(stage, stage + lines + "\n"))


def test_stage_list_shows_the_schedule_within_80_columns(competition_dir: Path) -> None:
    schedule(
        competition_dir,
        "max_per_day = 2\nopens = 2099-01-01T09:00:00+01:00\ncloses = 2099-01-05T18:00:00Z",
    )
    done = podium("stage", "list", "-c", str(competition_dir))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), done.stdout
    assert lines[0].startswith("evaluation: pending; split eval, 3 attempt(s) (2 a day)")
    assert "  scheduled 2099-01-01 08:00 UTC → 2099-01-05 18:00 UTC" in lines
    assert any(line.startswith("  opens in ") for line in lines)
    records = json.loads(podium("stage", "list", "--json", "-c", str(competition_dir)).stdout)
    evaluation = records[0]
    assert evaluation["opens"] == "2099-01-01T09:00:00+01:00"
    assert evaluation["next"] == "opens" and evaluation["seconds_left"] > 0


def test_a_window_already_past_closes_on_the_first_command(competition_dir: Path) -> None:
    schedule(competition_dir, "opens = 2020-01-01T00:00:00Z\ncloses = 2020-02-01T00:00:00Z")
    done = podium("stage", "list", "-c", str(competition_dir))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("evaluation: closed;")
    again = podium("stage", "open", "evaluation", "-c", str(competition_dir))
    assert again.returncode == 2 and "closed and cannot reopen" in again.stderr


def test_a_time_without_an_offset_is_refused_with_an_example(competition_dir: Path) -> None:
    schedule(competition_dir, "closes = 2099-01-05T18:00:00")
    done = podium("stage", "list", "-c", str(competition_dir), columns=300)
    assert done.returncode == 2
    assert (
        "stages.0: stage 'evaluation': closes = 2099-01-05T18:00:00 has no UTC offset"
        in done.stderr
    )
    assert "closes = 2026-12-01T09:00:00+01:00" in done.stderr
