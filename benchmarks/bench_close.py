"""How long a close takes: 20 teams of a tiny model, some of them twins, default settings.

A fresh competition (synthetic data, the default `[efficiency]`: "auto" photo finish sized to
the stored noise, `photo_finish_minutes` as the cap) gets 20 teams: 5 pairs of twins
(byte-identical archives submitted one after the other) and 10 teams whose test phase sleeps
a little longer each; scores differ by group (each group predicts another constant label).
Everything is evaluated, then `podium stage close evaluation` is timed; printed: the seconds,
the re-measurement runs, and the close report's budget and notes.

    .venv/bin/python benchmarks/bench_close.py [--calibrate]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from podium.rules.closing import CloseReport
from podium.service import Podium

_NONE = CloseReport("evaluation")
SPEC = """
name = "close bench"
[tasks.xnli]
languages = ["en"]
[tasks.pawsx]
languages = ["en"]
[data]
source = "synthetic"
max_examples_per_language = 60
[[stages]]
name = "evaluation"
split = "eval"
attempts = 3
declare_winner = true
"""

PREDICT = """
import json, os, pathlib, time
time.sleep({sleep})
FIRST = {{"xnli": "{label}", "pawsx": "{paws}"}}
src, dst = pathlib.Path(os.environ["PODIUM_INPUT_DIR"]), pathlib.Path(os.environ["PODIUM_OUTPUT_DIR"])
for f in sorted(src.glob("*/*.jsonl")):
    (dst / f.parent.name).mkdir(parents=True, exist_ok=True)
    with f.open() as fin, (dst / f.parent.name / f.name).open("w") as fout:
        for line in fin:
            fout.write(json.dumps({{"id": json.loads(line)["id"], "label": FIRST[f.parent.name]}}) + "\\n")
"""
LABELS = [("entailment", "1"), ("neutral", "0"), ("contradiction", "1"), ("entailment", "0")]


def archive(folder: Path, sleep: float, group: int) -> Path:
    folder.mkdir(parents=True)
    (folder / "podium.toml").write_text('[submission]\ncommand = "python predict.py"\n')
    label, paws = LABELS[group % len(LABELS)]
    (folder / "predict.py").write_text(PREDICT.format(sleep=sleep, label=label, paws=paws))
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calibrate", action="store_true", help="podium calibrate first")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "cup"
        root.mkdir()
        (root / "competition.toml").write_text(SPEC)
        podium = Podium.open(root)
        podium.setup.prepare_data()
        podium.setup.open_stage("evaluation")
        for i in range(5):  # twins: the same archive, one submitted after the other
            twin = archive(Path(tmp) / f"twin{i}", 0.05, i)
            for side in "ab":
                podium.setup.add_team(f"Twin {i}{side}")
                podium.submissions.submit(twin, team=f"Twin {i}{side}")
        for i in range(10):
            podium.setup.add_team(f"Solo {i}")
            podium.submissions.submit(
                archive(Path(tmp) / f"solo{i}", 0.05 + 0.01 * i, i), team=f"Solo {i}"
            )
        outcomes = podium.evaluation.evaluate_pending()
        print(f"evaluated {len(outcomes)} submissions: {sorted({o.status for o in outcomes})}")
        podium.close()
        if args.calibrate:
            subprocess.run(
                [sys.executable, "-m", "podium", "calibrate", "-c", str(root)], check=True
            )
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "podium", "stage", "close", "evaluation", "-c", str(root)],
            capture_output=True,
            text=True,
            check=True,
        )
        seconds = time.perf_counter() - start
        with Podium.open(root) as again:
            runs = sum(n for _, n in (again.finals.close_report("evaluation") or _NONE).remeasured)
        print(f"podium stage close: {seconds:.1f} s, {runs} re-measurement runs")
        for line in done.stdout.splitlines():
            if "photo finish" in line or line.startswith("winner"):
                print(" ", line[:400])


if __name__ == "__main__":
    main()
