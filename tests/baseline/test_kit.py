"""The kit in one call (what the demo runs): trained, packaged, and quiet about it."""

from __future__ import annotations

from pathlib import Path

import pytest

from podium.baseline.kit import train_and_package
from podium.baseline.network import load_net
from podium.core.errors import PodiumError


def test_one_call_trains_and_packages_without_lightning_chatter(
    tiny_competition: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    out = train_and_package(tiny_competition, tmp_path / "run", tmp_path / "sub", 0.02)
    assert out == tmp_path / "sub" and (out / "predict.py").is_file()
    assert (tmp_path / "run" / "checkpoints" / "best.ckpt").is_file()
    assert {h.id for h in load_net(out).config.tasks} == {"xnli", "pawsx", "udpos", "panx"}
    said = capfd.readouterr()
    assert "GPU available" not in said.out + said.err and "Time limit" not in said.err


def test_a_folder_without_training_data_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(PodiumError) as err:
        train_and_package(tmp_path / "empty", tmp_path / "run", tmp_path / "sub", 0.02)
    assert "empty" in err.value.message and not (tmp_path / "sub").exists()
