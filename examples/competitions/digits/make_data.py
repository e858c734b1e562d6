"""Write the competition's data from scikit-learn's bundled sets (no network needed).

python make_data.py DATA_DIR   ->  DATA_DIR/digits/all-default.jsonl, DATA_DIR/diabetes/...

Each line is one record: the task's input fields and its answer (`label` or `value`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def records() -> dict[str, list[dict[str, object]]]:
    from sklearn.datasets import load_diabetes, load_digits

    digits = load_digits()
    diabetes = load_diabetes(scaled=False)
    names = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]
    return {
        "digits": [
            {"pixels": [int(v) for v in image], "label": str(int(target))}
            for image, target in zip(digits.data, digits.target, strict=True)
        ],
        "diabetes": [
            {**{n: float(v) for n, v in zip(names, row, strict=True)}, "value": float(target)}
            for row, target in zip(diabetes.data, diabetes.target, strict=True)
        ],
    }


def main(out: Path) -> None:
    for task, rows in records().items():
        (out / task).mkdir(parents=True, exist_ok=True)
        with (out / task / "all-default.jsonl").open("w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "data"))
