"""Train averaged perceptrons on the public training data.

python train.py --data PUBLIC_DIR --out SUBMISSION_DIR [--fraction F] [--epochs N]
"""

import argparse
import json
import random
from pathlib import Path

from model import Perceptron, pair_features, token_features

PAIR_TASKS = {"xnli", "pawsx"}


def read_tagged(path: Path, fraction: float) -> list[tuple[list[str], list[str]]]:
    sentences, tokens, tags = [], [], []
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if tokens:
                sentences.append((tokens, tags))
            tokens, tags = [], []
            continue
        token, t = line.split("\t")
        tokens.append(token)
        tags.append(t)
    return sentences[: max(1, int(len(sentences) * fraction))]


def read_pairs(path: Path, fraction: float) -> list[tuple[str, str, str]]:
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [(a, b, label) for a, b, label in rows[: max(1, int(len(rows) * fraction))]]


def train_tagger(sentences: list, epochs: int, rng: random.Random) -> Perceptron:
    model = Perceptron(sorted({t for _, tags in sentences for t in tags}))
    for _ in range(epochs):
        rng.shuffle(sentences)
        for tokens, tags in sentences:
            prev, prev2 = "<s>", "<s>"
            for i in range(len(tokens)):
                feats = token_features(tokens, i, prev, prev2)
                model.update(tags[i], model.predict(feats), feats)
                prev2, prev = prev, tags[i]
    model.average()
    return model


def train_pairs(rows: list, epochs: int, rng: random.Random) -> Perceptron:
    model = Perceptron(sorted({label for _, _, label in rows}))
    data = [(pair_features(a, b), label) for a, b, label in rows]
    for _ in range(epochs):
        rng.shuffle(data)
        for feats, label in data:
            model.update(label, model.predict(feats), feats)
    model.average()
    return model


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--fraction", type=float, default=1.0)
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(13)
    out = {}
    for task_dir in sorted(p for p in args.data.iterdir() if p.is_dir()):
        files = sorted(task_dir.glob("train-*.tsv"))
        if task_dir.name in PAIR_TASKS:
            model = train_pairs(
                [r for f in files for r in read_pairs(f, args.fraction)], args.epochs, rng
            )
        else:
            model = train_tagger(
                [s for f in files for s in read_tagged(f, args.fraction)], args.epochs, rng
            )
        out[task_dir.name] = {"classes": model.classes, "weights": model.weights}
    (args.out / "model.json").write_text(json.dumps(out, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
