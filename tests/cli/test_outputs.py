"""Read-only commands replay what they printed while nothing they show changed
(`service/outputs.py`): the replay is the full path's output byte for byte and loads no
SQLAlchemy, pydantic, numpy nor Rich's console; the first command after any change (a scored
run, a team, a question, a closed stage) takes the full path again; a store behind the code
still names `podium migrate`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alembic import command

from podium.service import Podium
from podium.store.db import alembic_config

from ..conftest import CONSTANT_PREDICT, store_engine, write_submission
from ..patience import HANG

READERS: tuple[tuple[str, ...], ...] = (
    ("leaderboard", "--languages"),
    ("submissions",),
    ("run", "1"),
    ("stage", "list"),
    ("questions",),
    ("hall-of-fame",),
)
_LOADED_SQLALCHEMY = re.compile(r"\|\s+sqlalchemy$", re.MULTILINE)
_HEAVY = re.compile(r"\|\s+(sqlalchemy|pydantic|numpy|rich\.console)$", re.MULTILINE)


def podium(root: Path, *args: str) -> tuple[int, str, str]:
    """Exit code, output and error output; the error output holds `-X importtime`'s lines."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "podium", *args, "-c", str(root)],
        capture_output=True, text=True, timeout=HANG, env={**os.environ, "COLUMNS": "100"},
    )  # fmt: skip
    return done.returncode, done.stdout, done.stderr


def read_twice(root: Path) -> dict[tuple[str, ...], str]:
    """Each reader on the full path, then replayed: the same text."""
    shown: dict[tuple[str, ...], str] = {}
    for reader in READERS:
        code, full, err = podium(root, *reader)
        assert code == 0 and _LOADED_SQLALCHEMY.search(err), (reader, err[-2000:])
        code, again, err = podium(root, *reader)
        heavy = _HEAVY.findall(err)  # typer 0.29 would load pydantic for the options
        assert code == 0 and not heavy, (reader, "not replayed", heavy)
        assert again == full, reader
        shown[reader] = full
    return shown


def test_replayed_outputs_are_the_full_paths_and_follow_every_change(
    competition_dir: Path, tmp_path: Path
) -> None:
    root = competition_dir
    assert podium(root, "team", "add", "Quick Lex", "-m", "Ada")[0] == 0
    assert podium(root, "stage", "open", "evaluation")[0] == 0
    sub = write_submission(tmp_path / "constant", CONSTANT_PREDICT)
    assert podium(root, "submit", str(sub), "--team", "Quick Lex")[0] == 0
    assert podium(root, "evaluate", "--quiet")[0] == 0
    before = {reader: podium(root, *reader)[1] for reader in READERS}  # each one kept
    assert "Quick Lex" in before[READERS[0]] and "no questions yet" in before[("questions",)]

    with Podium.open(root) as service:  # changes by another process, through the service
        service.setup.add_team("Slow Vec", ["Bo"])
        team = service.tokens.authenticate(service.tokens.create("team", team="Slow Vec"))
        assert team is not None
        service.questions.ask(team, "How are durations measured?", "body")
    assert podium(root, "stage", "close", "evaluation")[0] == 0
    after = read_twice(root)  # none of the kept outputs: each command reads, then replays
    assert "Slow Vec" in after[READERS[0]] and "(closed)" in after[READERS[0]]
    assert "How are durations" in after[("questions",)]
    assert after[("stage", "list")] != before[("stage", "list")]
    assert after[("hall-of-fame",)] != before[("hall-of-fame",)]  # the close named a winner
    with Podium.open(root) as service:  # a question alone moves what `questions` shows
        service.questions.ask(team, "May we use a GPU?", "body")
    assert "May we use a GPU?" in podium(root, "questions")[1]

    engine = store_engine(root)
    try:  # the code moved on, the store did not: the kept outputs are not shown
        command.downgrade(alembic_config(engine), "0013")
    finally:
        engine.dispose()
    for reader in READERS[:3]:
        code, out, err = podium(root, *reader)
        assert code == 2 and "podiummigrate" in "".join(err.split()), (reader, out)


def test_a_scheduled_competition_s_outputs_lapse_at_its_next_change(
    competition_dir: Path,
) -> None:
    from podium.service import outputs

    closes = datetime.now(UTC) + timedelta(days=2)
    spec = competition_dir / "competition.toml"
    text = spec.read_text().replace(
        "attempts = 3\n", f"attempts = 3\ncloses = {closes.isoformat()}\n", 1
    )
    spec.write_text(text)
    words = ["leaderboard", "test"]
    with Podium.open(competition_dir) as service:
        assert outputs.mark(service, timeless=False) is None  # a countdown is never kept
        mark = outputs.mark(service)
        assert mark is not None and mark.valid_until == closes.timestamp()
        outputs.keep(service, words, mark, "kept\n")
        assert outputs.replay(competition_dir, words) == "kept\n"
        assert outputs.replay(competition_dir, [*words, "80"]) is None  # another terminal
        due = outputs.Mark(mark.revision, datetime.now(UTC).timestamp() - 1)
        outputs.keep(service, words, due, "kept\n")
        assert outputs.replay(competition_dir, words) is None  # the schedule is due: full path


def test_a_store_made_anew_in_the_folder_never_replays_the_old_one_s_outputs(
    competition_dir: Path,
) -> None:
    from podium.service import outputs

    words = ["leaderboard", "test"]
    with Podium.open(competition_dir) as service:
        mark = outputs.mark(service)
        assert mark is not None
        outputs.keep(service, words, mark, "kept\n")
    assert outputs.replay(competition_dir, words) == "kept\n"
    for path in competition_dir.glob("podium.db*"):
        path.unlink()
    with Podium.open(competition_dir) as service:  # a fresh store, migrated, nothing written
        assert outputs.replay(competition_dir, words) is None
