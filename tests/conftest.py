"""Shared fixtures: real files, real stores, real subprocesses."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO.parent / "shared" / "xtreme-sample"
EXAMPLES = REPO / "examples"


@pytest.fixture
def sample_dir() -> Path:
    if not SAMPLE.is_dir():
        pytest.skip(f"the shared XTREME sample is not at {SAMPLE}")
    return SAMPLE


def write_submission(folder: Path, predict: str, command: str = "python predict.py") -> Path:
    """A submission folder with the given predict.py source."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "podium.toml").write_text(f'[submission]\ncommand = "{command}"\n')
    (folder / "predict.py").write_text(predict)
    return folder


# A correct submission that predicts the first label / "O"-like first tag for everything.
CONSTANT_PREDICT = """
import json, os, pathlib
FIRST = {"xnli": "entailment", "pawsx": "1", "udpos": "NOUN", "panx": "O"}
src, dst = pathlib.Path(os.environ["PODIUM_INPUT_DIR"]), pathlib.Path(os.environ["PODIUM_OUTPUT_DIR"])
for f in sorted(src.glob("*/*.jsonl")):
    task = f.parent.name
    (dst / task).mkdir(parents=True, exist_ok=True)
    with f.open() as fin, (dst / task / f.name).open("w") as fout:
        for line in fin:
            r = json.loads(line)
            if "tokens" in r:
                out = {"id": r["id"], "tags": [FIRST[task]] * len(r["tokens"])}
            else:
                out = {"id": r["id"], "label": FIRST[task]}
            fout.write(json.dumps(out) + "\\n")
"""


SMALL_SPEC = """
name = "test cup"
[tasks.xnli]
languages = ["en", "de"]
[tasks.pawsx]
languages = ["en"]
[tasks.udpos]
languages = ["en"]
[tasks.panx]
languages = ["en", "ja"]
[data]
source = "synthetic"
max_examples_per_language = 120
[[stages]]
name = "evaluation"
split = "eval"
attempts = 3
release_code = true
declare_winner = true
[[stages]]
name = "final"
split = "final"
attempts = 1
leaderboard = "hidden"
[sandbox]
timeout_seconds = {timeout}
"""


@pytest.fixture
def competition_dir(tmp_path: Path) -> Path:
    """A prepared competition folder with small synthetic data and a real SQLite store."""
    from podium.service import Podium

    root = tmp_path / "cup"
    root.mkdir()
    (root / "competition.toml").write_text(SMALL_SPEC.format(timeout=10.0))
    podium = Podium.open(root)
    podium.setup.prepare_data()
    podium.close()
    return root
