"""The baseline kit packaged to run in an environment rather than the evaluator's Python:
its own requirements.txt (exact versions, torch==2.13.0 CPU) or a competition's by name.
Building that torch environment and passing `podium check` in it takes minutes, so it is
`benchmarks/baseline_env.py`, not a test."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from podium.baseline.packaging import package
from podium.core.errors import PodiumError
from podium.submission.manifest import load_submission_manifest
from podium.submission.requirements import check_requirements

from .conftest import TinyRun, cli_app


def test_packaged_with_its_own_environment_it_pins_the_runtime_as_trained(
    tiny_run: TinyRun, tmp_path: Path
) -> None:
    out = tmp_path / "own"
    args = ["baseline", "package", str(tiny_run.best), str(out), "--environment", "own"]
    result = CliRunner().invoke(cli_app(), args)
    assert result.exit_code == 0, result.output + repr(result.exception)
    pinned = check_requirements((out / "requirements.txt").read_text(), "requirements.txt")
    assert {"torch", "transformers", "tokenizers"} <= set(pinned.names)
    assert "torch==2.13.0+cpu\n" in pinned.text or "torch==2.13.0\n" in pinned.text
    assert load_submission_manifest(out).submission.environment is None  # its own file


def test_packaged_for_a_competitions_environment_it_names_it(
    tiny_run: TinyRun, tmp_path: Path
) -> None:
    out = package(tiny_run.best, tmp_path / "named", environment="torch-cpu")
    assert load_submission_manifest(out).submission.environment == "torch-cpu"
    assert not (out / "requirements.txt").exists()
    with pytest.raises(PodiumError, match="lowercase letters"):
        package(tiny_run.best, tmp_path / "bad", environment="../etc")
