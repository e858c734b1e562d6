"""`podium env build | list | prune` on a competition with one declared environment."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from podium.cli.main import app

from ..conftest import RUN_LIMIT, SMALL_SPEC
from ..harness.test_environments import COWSAY, needs_pypi


def env(root: Path, *args: str) -> Any:
    result = CliRunner().invoke(app, ["env", *args, "-c", str(root), "--json"])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return json.loads(result.output)


@needs_pypi
def test_build_twice_builds_once_then_list_and_prune(tmp_path: Path) -> None:
    root = tmp_path / "cup"
    root.mkdir()
    spec = SMALL_SPEC.format(timeout=RUN_LIMIT) + '[environments.cows]\nrequirements = "c.txt"\n'
    (root / "competition.toml").write_text(spec)
    (root / "c.txt").write_text(f"{COWSAY}\n")
    first, again = env(root, "build"), env(root, "build")
    assert [(e["name"], e["built"]) for e in first] == [("cows", True)]
    assert [(e["name"], e["built"]) for e in again] == [("cows", False)]
    listed = env(root, "list")
    assert [(e["names"], e["packages"]) for e in listed] == [(["cows"], 1)]
    assert env(root, "prune") == []  # the declared one stays
    (root / "competition.toml").write_text(SMALL_SPEC.format(timeout=RUN_LIMIT))  # none left
    assert len(env(root, "prune")) == 1
    assert env(root, "list") == []
