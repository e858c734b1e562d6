"""`podium --help` and `--version` import no more than Typer needs, and a command that only
reads never loads the migrations (benchmarks/bench_cli.py measures the time)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ..conftest import ON_POSTGRESQL
from ..patience import HANG

pytestmark = pytest.mark.both_stores  # the driver a reader loads

HEAVY = ("sqlalchemy", "alembic", "numpy", "pyarrow", "fastapi", "podium.service", "podium.store")
OPTIONAL = ("celery", "psycopg", "torch", "datasets")


def imported(*args: str) -> set[str]:
    """The modules `podium ARGS` imports (python -X importtime writes one line each)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "podium", *args],
        capture_output=True,
        text=True,
        timeout=HANG,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [line.split("|")[-1].strip() for line in done.stderr.splitlines() if "|" in line]
    return set(lines[1:])  # the first line is the header


def loaded(modules: set[str], roots: tuple[str, ...]) -> set[str]:
    return {m for m in modules if m.split(".")[0] in roots or m.startswith(roots)}


def test_help_and_version_load_neither_the_service_nor_the_store() -> None:
    for args in (("--version",), ("--help",), ("stage", "--help")):
        assert loaded(imported(*args), HEAVY + OPTIONAL) == set(), args


def test_a_reader_loads_no_migration_and_no_optional_extra(competition_dir: Path) -> None:
    modules = imported("leaderboard", "-c", str(competition_dir))
    assert "sqlalchemy" in modules  # it did read the store
    in_use = ("psycopg",) if ON_POSTGRESQL else ()  # the store's own driver on PostgreSQL
    extras = tuple(name for name in OPTIONAL if name not in in_use)
    assert loaded(modules, ("alembic", *extras)) == set()
