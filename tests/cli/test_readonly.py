"""Commands that only show something never migrate and never write: a store behind the code
is a clear error naming `podium migrate`, which brings it up to date."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command

from podium.store.db import alembic_config, head_revision, stored_revision

from ..conftest import dump_store, store_engine

pytestmark = pytest.mark.both_stores  # a reader's schema check, on each store

READERS = (
    ("leaderboard",),
    ("submissions",),
    ("stage", "list"),
    ("questions",),
    ("hall-of-fame",),
    ("team", "list"),
    ("token", "list"),
    ("notify", "list"),
    ("data", "info"),
    ("workers",),
)


def podium(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "podium", *args], capture_output=True, text=True, timeout=120
    )


def test_readers_change_nothing_and_name_the_command_that_migrates(
    competition_dir: Path,
) -> None:
    root = str(competition_dir)
    assert podium("team", "add", "Quick Lex", "-m", "Ada", "-c", root).returncode == 0
    before = dump_store(competition_dir)
    for reader in READERS:
        done = podium(*reader, "-c", root)
        assert done.returncode == 0, (reader, done.stderr)
    assert dump_store(competition_dir) == before

    engine = store_engine(competition_dir)
    try:
        command.downgrade(alembic_config(engine), "0009")
        behind = dump_store(competition_dir)
        for reader in READERS[:3]:
            done = podium(*reader, "-c", root)
            assert done.returncode == 2, (reader, done.stdout)
            said = "".join(done.stderr.split())  # Rich wraps long lines
            assert "thestoreisatschema0009" in said
            assert f"podiummigrate-c{competition_dir}" in said
        assert stored_revision(engine) == "0009" and dump_store(competition_dir) == behind
        migrated = podium("migrate", "-c", root)
        assert migrated.returncode == 0, migrated.stderr
        assert stored_revision(engine) == head_revision()
    finally:
        engine.dispose()
    assert podium("leaderboard", "-c", root).returncode == 0
    spec = competition_dir / "competition.toml"  # a stage added: readers name migrate again
    spec.write_text(spec.read_text() + '\n[[stages]]\nname = "practice"\nsplit = "eval"\n')
    added = podium("stage", "list", "-c", root)
    assert added.returncode == 2 and "practice" in added.stderr
    assert "podiummigrate" in "".join(added.stderr.split())
    assert podium("migrate", "-c", root).returncode == 0
    assert "practice: pending" in podium("stage", "list", "-c", root).stdout
