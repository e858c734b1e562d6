"""Shared fixtures of the baseline kit's tests: one tiny training run, packaged once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from podium.baseline.cli import baseline_app

from ..conftest import SMALL_SPEC

TINY_ARGS = ["--layers", "2", "--hidden", "32", "--vocab", "500", "--max-len", "48"]


def cli_app() -> typer.Typer:
    """The baseline commands mounted as the lead mounts them under `podium`."""
    app = typer.Typer()
    app.add_typer(baseline_app, name="baseline")
    return app


@dataclass(frozen=True)
class TinyRun:
    competition: Path
    out: Path
    output: str

    @property
    def best(self) -> Path:
        return self.out / "checkpoints" / "best.ckpt"


@pytest.fixture(scope="session")
def tiny_competition(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A prepared synthetic competition (no external files needed), sealed by the data layer:
    the kit reads only its files, so no store is opened for it."""
    from podium.config.layout import CompetitionLayout
    from podium.config.spec import load_spec
    from podium.data.prepare import prepare
    from podium.data.sources import load_source
    from podium.tasks import default_registry

    root = tmp_path_factory.mktemp("baseline") / "cup"
    root.mkdir()
    (root / "competition.toml").write_text(SMALL_SPEC.format(timeout=300.0))
    spec, registry = load_spec(root), default_registry()
    examples, label = load_source(spec, root, registry)
    prepare(spec, CompetitionLayout(root), examples, source_label=label, registry=registry)
    return root


@pytest.fixture(scope="session")
def tiny_run(tiny_competition: Path, tmp_path_factory: pytest.TempPathFactory) -> TinyRun:
    """`podium baseline train` with a tiny encoder for a few dozen steps."""
    out = tmp_path_factory.mktemp("run")
    args = ["baseline", "train", "--data", str(tiny_competition), "--out", str(out)]
    args += [*TINY_ARGS, "--max-steps", "40", "--steps-per-epoch", "20", "--quiet"]
    args += ["--token-budget", "1024", "--workers", "2"]
    result = CliRunner().invoke(cli_app(), args)
    assert result.exit_code == 0, result.output + repr(result.exception)
    return TinyRun(tiny_competition, out, result.output)


@pytest.fixture(scope="session")
def tiny_package(tiny_run: TinyRun, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("package") / "submission"
    result = CliRunner().invoke(cli_app(), ["baseline", "package", str(tiny_run.best), str(out)])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return out
