"""Fixtures of the service tests: a prepared competition with two teams, its stage open."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from podium.service import Podium

from ..conftest import CONSTANT_PREDICT, write_submission


@pytest.fixture
def podium(competition_dir: Path) -> Iterator[Podium]:
    p = Podium.open(competition_dir)
    p.setup.add_team("Alpha", ["Ann", "Bo"])
    p.setup.add_team("Beta", ["Cy"])
    p.setup.open_stage("evaluation")
    yield p
    p.close()


def constant(tmp_path: Path, name: str = "const") -> Path:
    return write_submission(tmp_path / name, CONSTANT_PREDICT)
