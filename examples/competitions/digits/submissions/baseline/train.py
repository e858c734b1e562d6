"""The organizers' reference: the most frequent label, or the mean value, of each task.

python train.py --data PUBLIC_DIR --out SUBMISSION_DIR [--fraction F]
PUBLIC_DIR holds {task}/train-{lang}.jsonl records: input fields and `label` or `value`.
"""

import argparse
import json
from collections import Counter
from pathlib import Path


def answers(folder: Path, fraction: float) -> list[object]:
    rows = [json.loads(line) for f in sorted(folder.glob("train-*.jsonl")) for line in f.open()]
    rows = rows[: max(1, int(len(rows) * fraction))]
    return [row["label"] if "label" in row else row["value"] for row in rows]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--fraction", type=float, default=1.0)
    args = parser.parse_args()
    model: dict[str, object] = {}
    for task in sorted(p for p in args.data.iterdir() if p.is_dir()):
        seen = answers(task, args.fraction)
        if seen and isinstance(seen[0], str):
            model[task.name] = {"label": Counter(seen).most_common(1)[0][0]}
        elif seen:
            model[task.name] = {"value": sum(float(v) for v in seen) / len(seen)}  # type: ignore[arg-type]
    (args.out / "model.json").write_text(json.dumps(model, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
