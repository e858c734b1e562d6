"""Metrics over one label or one number per record (the averages are in `averages`).

Label metrics (accuracy, macro-F1) are percentages, 0..100. Correlations (Pearson, Spearman)
are multiplied by 100, as GLUE reports them: -100..100. Errors (MAE, RMSE) are in the unit of
the values, and lower is better. Where a score is undefined (no items; a constant side makes a
correlation 0/0) it is 0, like every zero division here, so one degenerate language never
makes a whole leaderboard undefined.
"""

from __future__ import annotations

import math
import operator
from collections import Counter
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt


def percent(numerator: int, denominator: int) -> float:
    """A percentage where nothing to count scores 0 (seqeval's zero-division convention)."""
    return 100.0 * numerator / denominator if denominator else 0.0


def reject_string(value: object, what: str) -> None:
    """A bare string is a Sequence[str] too; catch it instead of scoring its characters."""
    if isinstance(value, str):
        raise TypeError(f"{what} must be a sequence, not a string: {value[:40]!r}")


def _same_length(gold: Sequence[object], pred: Sequence[object], what: str) -> None:
    reject_string(gold, "gold")
    reject_string(pred, "pred")
    if len(gold) != len(pred):
        raise ValueError(f"gold has {len(gold)} {what} but pred has {len(pred)}")


def accuracy(gold: Sequence[str], pred: Sequence[str]) -> float:
    """Percentage of items whose predicted label equals the gold label (XNLI, PAWS-X).

    No items score 0, like every zero division here.
    """
    _same_length(gold, pred, "labels")
    correct = sum(map(operator.eq, gold, pred))
    return percent(int(correct), len(gold))


def macro_f1(gold: Sequence[str], pred: Sequence[str]) -> float:
    """Unweighted mean of per-label F1 (0..100) over the labels in gold or pred.

    Equals ``100 * sklearn.metrics.f1_score(gold, pred, average="macro", zero_division=0)``:
    a label never predicted (or never gold) has F1 0; no items score 0.
    """
    _same_length(gold, pred, "labels")
    if not gold:
        return 0.0
    true_pos = Counter(g for g, p in zip(gold, pred, strict=True) if g == p)
    gold_count, pred_count = Counter(gold), Counter(pred)
    scores = []
    for label in gold_count.keys() | pred_count.keys():
        tp = true_pos[label]
        denominator = gold_count[label] + pred_count[label]  # 2tp + fp + fn
        scores.append(2 * tp / denominator if denominator else 0.0)
    return 100.0 * math.fsum(scores) / len(scores)


def _numbers(gold: Sequence[float], pred: Sequence[float]) -> tuple[npt.NDArray[np.float64], ...]:
    _same_length(gold, pred, "values")
    arrays = tuple(np.asarray(side, dtype=np.float64) for side in (gold, pred))
    for what, values in zip(("gold", "pred"), arrays, strict=True):
        if values.ndim != 1:
            raise ValueError(f"{what} must hold one number per item")
        if not np.isfinite(values).all():
            raise ValueError(f"{what} holds a value that is not a finite number")
    return arrays


def _correlation(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> float:
    """Pearson's r of two finite arrays; 0 where it is undefined (fewer than two items, or a
    constant side)."""
    if x.size < 2:
        return 0.0
    dx, dy = x - x.mean(), y - y.mean()
    sxx, syy = float(np.dot(dx, dx)), float(np.dot(dy, dy))
    if sxx == 0.0 or syy == 0.0:
        return 0.0
    r = float(np.dot(dx, dy)) / math.sqrt(sxx) / math.sqrt(syy)
    return max(-1.0, min(1.0, r))


def pearson(gold: Sequence[float], pred: Sequence[float]) -> float:
    """Pearson correlation x 100 (-100..100), as GLUE reports STS-B; 0 when a side is
    constant (the correlation is undefined: a constant prediction earns nothing)."""
    x, y = _numbers(gold, pred)
    return 100.0 * _correlation(x, y)


def _ranks(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """1-based ranks, ties sharing their average rank (scipy.stats.rankdata's default)."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    new_value = np.concatenate(([True], ordered[1:] != ordered[:-1]))
    group = np.cumsum(new_value) - 1  # tie group of each sorted position
    starts = np.flatnonzero(new_value)
    ends = np.append(starts[1:], values.size)
    average = (starts + ends + 1) / 2.0  # mean of the 1-based positions start+1..end
    ranks = np.empty(values.size, dtype=np.float64)
    ranks[order] = average[group]
    return ranks


def spearman(gold: Sequence[float], pred: Sequence[float]) -> float:
    """Spearman rank correlation x 100 (Pearson's r of the ranks, ties averaged); 0 when a side
    is constant."""
    x, y = _numbers(gold, pred)
    if x.size < 2:
        return 0.0
    return 100.0 * _correlation(_ranks(x), _ranks(y))


def mae(gold: Sequence[float], pred: Sequence[float]) -> float:
    """Mean absolute error, in the unit of the values (lower is better); no items: 0."""
    x, y = _numbers(gold, pred)
    return float(np.abs(x - y).mean()) if x.size else 0.0


def rmse(gold: Sequence[float], pred: Sequence[float]) -> float:
    """Root mean squared error, in the unit of the values (lower is better); no items: 0."""
    x, y = _numbers(gold, pred)
    return math.sqrt(float(np.square(x - y).mean())) if x.size else 0.0
