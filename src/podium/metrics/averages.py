"""The averages every score goes through: task score = mean over languages, overall = mean
of task scores. Plain Python, so that boards and spec checks load no numpy."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping


def mean(values: Iterable[float]) -> float:
    """Plain average: task score = mean over languages, overall = mean of task scores.

    Empty input is an error rather than 0, so that a missing language cannot pass unnoticed.
    """
    items = list(values)
    if not items:
        raise ValueError("mean of no values")
    return math.fsum(items) / len(items)


def task_means(per_language: Mapping[tuple[str, str], float]) -> dict[str, float]:
    """(task, language) -> score, to task -> mean over its languages (sorted by task)."""
    by_task: dict[str, list[float]] = {}
    for (task, _), value in sorted(per_language.items()):
        by_task.setdefault(task, []).append(value)
    return {task: mean(values) for task, values in by_task.items()}
