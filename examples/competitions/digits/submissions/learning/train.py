"""A learning submission in plain Python: nearest centroid for the digits, least squares
for diabetes (with an intercept and a little ridge, solved by Gaussian elimination).

python train.py --data PUBLIC_DIR --out SUBMISSION_DIR [--fraction F]
"""

import argparse
import json
from pathlib import Path

FEATURES = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]


def rows(folder: Path, fraction: float) -> list[dict[str, object]]:
    found = [json.loads(line) for f in sorted(folder.glob("train-*.jsonl")) for line in f.open()]
    return found[: max(1, int(len(found) * fraction))]


def centroids(data: list[dict[str, object]]) -> dict[str, list[float]]:
    sums: dict[str, list[float]] = {}
    counts: dict[str, int] = {}
    for row in data:
        label, pixels = str(row["label"]), row["pixels"]
        total = sums.setdefault(label, [0.0] * len(pixels))  # type: ignore[arg-type]
        for i, v in enumerate(pixels):  # type: ignore[arg-type]
            total[i] += v
        counts[label] = counts.get(label, 0) + 1
    return {label: [v / counts[label] for v in total] for label, total in sums.items()}


def solve(a: list[list[float]], b: list[float]) -> list[float]:
    n = len(b)
    m = [[*row[:], b[i]] for i, row in enumerate(a)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(m[r][col]))
        m[col], m[pivot] = m[pivot], m[col]
        for r in range(n):
            if r != col and m[col][col]:
                factor = m[r][col] / m[col][col]
                m[r] = [x - factor * y for x, y in zip(m[r], m[col], strict=False)]
    return [m[i][n] / m[i][i] if m[i][i] else 0.0 for i in range(n)]


def least_squares(data: list[dict[str, object]]) -> dict[str, object]:
    xs = [[1.0] + [float(row[f]) for f in FEATURES] for row in data]  # type: ignore[arg-type]
    ys = [float(row["value"]) for row in data]  # type: ignore[arg-type]
    means = [sum(col) / len(xs) for col in zip(*xs, strict=False)]
    scales = [1.0] + [
        max(1e-9, (sum((x[j] - means[j]) ** 2 for x in xs) / len(xs)) ** 0.5)
        for j in range(1, len(means))
    ]
    zs = [[1.0] + [(x[j] - means[j]) / scales[j] for j in range(1, len(x))] for x in xs]
    k = len(zs[0])
    a = [
        [sum(z[i] * z[j] for z in zs) + (0.1 if i == j and i else 0.0) for j in range(k)]
        for i in range(k)
    ]
    b = [sum(z[i] * y for z, y in zip(zs, ys, strict=False)) for i in range(k)]
    return {"weights": solve(a, b), "means": means, "scales": scales}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--fraction", type=float, default=1.0)
    args = parser.parse_args()
    model = {
        "digits": centroids(rows(args.data / "digits", args.fraction)),
        "diabetes": least_squares(rows(args.data / "diabetes", args.fraction)),
    }
    (args.out / "model.json").write_text(json.dumps(model), encoding="utf-8")


if __name__ == "__main__":
    main()
