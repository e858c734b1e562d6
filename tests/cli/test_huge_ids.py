"""An id beyond the store's integer range is an unknown id with a clear error, not a
traceback (found by the hostile probe of issue 24: `podium run 99999999999999999999999`
raised OverflowError on SQLite and a DataError on PostgreSQL)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from podium.cli.main import app
from podium.service import Podium

from ..conftest import RUN_LIMIT, SMALL_SPEC

pytestmark = pytest.mark.both_stores  # ids the store's integer cannot hold

HUGE = "99999999999999999999999"  # more than a 64-bit integer holds


@pytest.mark.store
@pytest.mark.parametrize(
    "args",
    [["run", HUGE], ["final", "select", "--team", "Quick Lex", "--submission", HUGE]],
    ids=["run", "final-select"],
)
def test_an_id_too_large_for_the_store_is_a_clear_error(tmp_path: Path, args: list[str]) -> None:
    root = tmp_path / "cup"
    root.mkdir()
    (root / "competition.toml").write_text(SMALL_SPEC.format(timeout=RUN_LIMIT))
    podium = Podium.open(root)
    try:
        podium.setup.add_team("Quick Lex", ["Alan"])
    finally:
        podium.close()
    url = os.environ.get("PODIUM_STORE_URL")
    env = {"COLUMNS": "200", **({"PODIUM_STORE_URL": url} if url else {})}
    result = CliRunner().invoke(app, [*args, "-c", str(root)], env=env)
    out = result.stdout + result.stderr
    assert result.exit_code != 0, out
    assert isinstance(result.exception, SystemExit), repr(result.exception)  # no traceback
    assert HUGE in out, out  # names the id it could not find
