"""Records of any task type (`GenericExample`): what makes one sealable, and its public file.

A sealed inputs file holds `id` and exactly the task's input fields; a labels file `id` and
the answer (`label`, `tags` or `value`). Public train/dev files of these tasks are JSON Lines
holding both, `{task}/{split}-{lang}.jsonl` (XTREME-shaped examples keep their TSV files).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from podium.data.examples import GenericExample
from podium.data.jsonl import write_jsonl
from podium.tasks import Task, TaskType

_MAX_DEPTH = 32


def json_problem(value: Any, depth: int = 0) -> str | None:
    """Why `value` cannot be written as strict JSON (NaN, infinity, other types), or None."""
    if depth > _MAX_DEPTH:
        return "nested too deeply"
    if value is None or isinstance(value, str | bool | int):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else f"{value} is not a finite number"
    if isinstance(value, list | tuple):
        return next((p for v in value if (p := json_problem(v, depth + 1))), None)
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            return "an object with a key that is not a string"
        return next((p for v in value.values() if (p := json_problem(v, depth + 1))), None)
    return f"a {type(value).__name__} is not a JSON value"


def is_number(value: object) -> bool:
    """A finite int or float, not a bool (True is an int to Python, not a number to people)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a float
        return False


def record_problem(task: Task, ex: GenericExample) -> str | None:
    """Why `ex` is not a labelled record of `task` that can be sealed, or None."""
    names = set(ex.fields)
    missing = [f for f in task.inputs if f not in names]
    if missing:
        return (
            f"input field(s) {', '.join(map(repr, missing))} missing (inputs: {list(task.inputs)})"
        )
    extra = sorted(names - set(task.inputs))
    if extra:
        return (
            f"field(s) {', '.join(map(repr, extra))} are not inputs of {task.id} "
            f"(inputs: {list(task.inputs)}); a source gives exactly the inputs"
        )
    for name in task.inputs:
        problem = json_problem(ex.fields[name])
        if problem is not None:
            return f"input {name!r}: {problem}"
    label = ex.label
    if label is None:
        return "the example has no label"
    if task.type is TaskType.REGRESSION:
        return None if is_number(label) else f"value {label!r} is not a finite number"
    if task.type is TaskType.TAGGING:
        tokens = ex.fields["tokens"]
        if not isinstance(tokens, list | tuple) or not all(isinstance(t, str) for t in tokens):
            return "'tokens' must be a list of strings"
        if not tokens:
            return "the example has no tokens"
        if not isinstance(label, tuple) or len(label) != len(tokens):
            size = len(label) if isinstance(label, tuple) else "no"
            return f"{len(tokens)} tokens but {size} tags"
        bad = next((t for t in label if t not in task.labels), None)
        if bad is not None:
            return f"tag {bad!r} is not a {task.id} tag (allowed: {', '.join(task.labels)})"
        return None
    if not isinstance(label, str) or label not in task.labels:
        return f"label {label!r} is not a {task.id} label (allowed: {', '.join(task.labels)})"
    return None


def write_records_file(path: Path, task: Task, examples: Iterable[GenericExample]) -> int:
    """A public train/dev file: one record a line, `id`, the inputs and the answer."""
    key = task.answer_key
    return write_jsonl(
        path,
        ({**ex.input_record(), key: ex.label_record()[ex.answer_key]} for ex in examples),
    )
