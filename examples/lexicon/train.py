"""Train the lexicon model: the most frequent tag of each word, and pair features.

python train.py --data PUBLIC_DIR --out SUBMISSION_DIR [--fraction F]
Tagging tasks (udpos, panx): word -> most frequent tag. Pair tasks (xnli, pawsx): the mean
(word overlap, cue-word rate, same first word) per label, where cue words are those far more
frequent in the second text of one label than overall (e.g. negations for contradiction).
"""

import argparse
import json
from collections import Counter, defaultdict
from pathlib import Path

PAIR_TASKS = {"xnli", "pawsx"}


def words(text: str) -> list[str]:
    return text.split() if " " in text else list(text)


def read_tagged(path: Path, fraction: float) -> list[tuple[list[str], list[str]]]:
    sentences, tokens, tags = [], [], []
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if tokens:
                sentences.append((tokens, tags))
            tokens, tags = [], []
            continue
        token, tag = line.split("\t")
        tokens.append(token)
        tags.append(tag)
    return sentences[: max(1, int(len(sentences) * fraction))]


def read_pairs(path: Path, fraction: float) -> list[tuple[str, str, str]]:
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [(a, b, label) for a, b, label in rows[: max(1, int(len(rows) * fraction))]]


def features(a: str, b: str, cues: set[str]) -> list[float]:
    """Word overlap, rate of cue words, and whether both texts start alike."""
    la, wb = words(a), words(b)
    overlap = len(set(la) & set(wb)) / max(1, len(set(wb)))
    same_start = 0.3 * float(bool(la and wb and la[0] == wb[0]))
    return [overlap, sum(w in cues for w in wb) / max(1, len(wb)), same_start]


def train_pairs(rows: list[tuple[str, str, str]]) -> dict:
    by_label: dict[str, Counter] = defaultdict(Counter)
    total: Counter = Counter()
    for _, b, label in rows:
        by_label[label].update(set(words(b)))
        total.update(set(words(b)))
    n = len(rows)
    cues = {
        w
        for counts in by_label.values()
        for w, c in counts.items()
        if c >= 5 and c / total[w] > 0.9 and total[w] / n < 0.5 and len(by_label) > 2
    }
    centroids = {}
    for label in by_label:
        feats = [features(a, b, cues) for a, b, lab in rows if lab == label]
        centroids[label] = [sum(f[i] for f in feats) / len(feats) for i in range(3)]
    return {"cues": sorted(cues), "centroids": centroids}


def train_tagger(sentences: list[tuple[list[str], list[str]]]) -> dict:
    counts: dict[str, Counter] = defaultdict(Counter)
    overall: Counter = Counter()
    for tokens, tags in sentences:
        for token, tag in zip(tokens, tags, strict=False):
            counts[token][tag] += 1
            overall[tag] += 1
    return {
        "lexicon": {w: c.most_common(1)[0][0] for w, c in counts.items()},
        "default": overall.most_common(1)[0][0],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--fraction", type=float, default=1.0)
    args = parser.parse_args()
    model = {}
    for task_dir in sorted(p for p in args.data.iterdir() if p.is_dir()):
        files = sorted(task_dir.glob("train-*.tsv"))
        if task_dir.name in PAIR_TASKS:
            model[task_dir.name] = train_pairs(
                [r for f in files for r in read_pairs(f, args.fraction)]
            )
        else:
            model[task_dir.name] = train_tagger(
                [s for f in files for s in read_tagged(f, args.fraction)]
            )
    (args.out / "model.json").write_text(json.dumps(model, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
