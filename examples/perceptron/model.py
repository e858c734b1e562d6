"""An averaged perceptron for tagging (context features, greedy left to right) and for pairs
(word, order and cue features). Standard library only; shared by train.py and predict.py."""

import itertools
from collections import defaultdict


def words(text: str) -> list[str]:
    return text.split() if " " in text else list(text)


def token_features(tokens: list[str], i: int, prev: str, prev2: str) -> list[str]:
    w = tokens[i]
    before = tokens[i - 1] if i > 0 else "<s>"
    after = tokens[i + 1] if i + 1 < len(tokens) else "</s>"
    return [
        "b",
        "w=" + w,
        "s3=" + w[-3:],
        "p1=" + w[:1],
        "t-1=" + prev,
        "t-2=" + prev + "|" + prev2,
        "w-1=" + before,
        "w+1=" + after,
        "t-1w=" + prev + "|" + w,
        "w-1w=" + before + "|" + w,
        "up=" + str(w[:1].isupper()),
        "digit=" + str(w.isdigit()),
    ]


def pair_features(a: str, b: str) -> list[str]:
    wa, wb = words(a), words(b)
    sa, sb = set(wa), set(wb)
    bigrams_a = set(itertools.pairwise(wa))
    bigrams_b = list(itertools.pairwise(wb))
    overlap = len(sa & sb) / max(1, len(sb))
    order = sum(bg in bigrams_a for bg in bigrams_b) / max(1, len(bigrams_b))
    feats = [
        "b",
        f"ov={overlap:.1f}",
        f"bi={order:.1f}",
        f"len={min(len(wb) // 3, 6)}",
        f"ovbi={overlap:.1f}|{order:.1f}",
        f"new={min(len(sb - sa), 5)}",
    ]
    feats += ["h=" + w for w in sb - sa]
    return feats


class Perceptron:
    """Multiclass averaged perceptron over string features."""

    def __init__(self, classes: list[str], weights: dict[str, dict[str, float]] | None = None):
        self.classes = classes
        self.weights = weights or {}
        self._totals: dict = defaultdict(float)
        self._stamps: dict = defaultdict(int)
        self._step = 0

    def scores(self, feats: list[str]) -> dict[str, float]:
        out = dict.fromkeys(self.classes, 0.0)
        for f in feats:
            for label, weight in self.weights.get(f, {}).items():
                out[label] += weight
        return out

    def predict(self, feats: list[str]) -> str:
        scores = self.scores(feats)
        return max(self.classes, key=lambda c: (scores[c], c))

    def update(self, truth: str, guess: str, feats: list[str]) -> None:
        self._step += 1
        if truth == guess:
            return
        for f in feats:
            row = self.weights.setdefault(f, {})
            for label, delta in ((truth, 1.0), (guess, -1.0)):
                key = (f, label)
                self._totals[key] += (self._step - self._stamps[key]) * row.get(label, 0.0)
                self._stamps[key] = self._step
                row[label] = row.get(label, 0.0) + delta

    def average(self) -> None:
        for f, row in self.weights.items():
            for label, weight in list(row.items()):
                key = (f, label)
                total = self._totals[key] + (self._step - self._stamps[key]) * weight
                averaged = round(total / max(1, self._step), 3)
                if averaged:
                    row[label] = averaged
                else:
                    del row[label]
        self.weights = {f: row for f, row in self.weights.items() if row}


def tag(model: Perceptron, tokens: list[str]) -> list[str]:
    prev, prev2, out = "<s>", "<s>", []
    for i in range(len(tokens)):
        guess = model.predict(token_features(tokens, i, prev, prev2))
        out.append(guess)
        prev2, prev = prev, guess
    return out
