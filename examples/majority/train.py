"""Count the labels of the public training data and keep the most frequent of each task.

python train.py --data PUBLIC_DIR --out SUBMISSION_DIR [--fraction F]
PUBLIC_DIR holds {task}/train-{lang}.tsv in the XTREME format.
"""

import argparse
import json
from collections import Counter
from pathlib import Path


def labels(path: Path, fraction: float) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    lines = lines[: max(1, int(len(lines) * fraction))]
    return [line.split("\t")[-1] for line in lines if "\t" in line]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--fraction", type=float, default=1.0)
    args = parser.parse_args()
    model = {}
    for task_dir in sorted(p for p in args.data.iterdir() if p.is_dir()):
        counts = Counter(t for f in task_dir.glob("train-*.tsv") for t in labels(f, args.fraction))
        if counts:
            model[task_dir.name] = counts.most_common(1)[0][0]
    (args.out / "model.json").write_text(json.dumps(model, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
