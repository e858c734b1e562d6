"""Checking a submission's predictions against the contract before anything is scored.

Every expected id exactly once, labels from the task's label set, one tag per token, no
unexpected files. Problems are collected (up to a cap) so a team sees them all at once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from podium.data.jsonl import iter_jsonl
from podium.errors import PredictionError
from podium.tasks import Task

Prediction = str | tuple[str, ...]
MAX_PROBLEMS = 20


@dataclass
class ExpectedFile:
    """The ids of one sealed inputs file, with token counts for tagging tasks."""

    task: Task
    language: str
    lengths: dict[str, int] = field(default_factory=dict)  # id -> tokens (0 for pair tasks)

    @property
    def relpath(self) -> str:
        return f"{self.task.id}/{self.language}.jsonl"


def expected_files(
    inputs_dir: Path, tasks: Mapping[str, Task], languages: Mapping[str, Sequence[str]]
) -> list[ExpectedFile]:
    """Read the sealed inputs once to learn which ids (and lengths) predictions must cover."""
    result = []
    for task_id, langs in languages.items():
        task = tasks[task_id]
        for lang in langs:
            exp = ExpectedFile(task, lang)
            for _, record in iter_jsonl(inputs_dir / task_id / f"{lang}.jsonl"):
                exp.lengths[str(record["id"])] = len(record["tokens"]) if not task.is_pair else 0
            result.append(exp)
    return result


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []
        self.total = 0

    def add(self, text: str) -> None:
        self.total += 1
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(text)

    def raise_if_any(self) -> None:
        if self.total:
            more = (
                f"\n... and {self.total - len(self.items)} more"
                if self.total > len(self.items)
                else ""
            )
            raise PredictionError(
                f"{self.total} problem(s) with the predictions:\n  "
                + "\n  ".join(self.items)
                + more,
                hint="see the submission contract in README.md; `podium check` finds these locally",
            )


def read_predictions(
    output_dir: Path, expected: Sequence[ExpectedFile]
) -> dict[tuple[str, str], dict[str, Prediction]]:
    """Validate and load predictions; raise PredictionError listing every problem found."""
    problems = _Problems()
    wanted = {exp.relpath for exp in expected}
    if output_dir.is_dir():
        for path in sorted(output_dir.rglob("*")):
            rel = path.relative_to(output_dir).as_posix()
            if path.is_file() and rel not in wanted:
                problems.add(
                    f"{rel}: unexpected file (expected only {{task}}/{{lang}}.jsonl files)"
                )
    loaded: dict[tuple[str, str], dict[str, Prediction]] = {}
    for exp in expected:
        path = output_dir / exp.relpath
        if not path.is_file():
            problems.add(
                f"{exp.relpath}: missing predictions file ({len(exp.lengths)} ids expected)"
            )
            continue
        loaded[(exp.task.id, exp.language)] = _read_file(path, exp, problems)
    problems.raise_if_any()
    return loaded


def _read_file(path: Path, exp: ExpectedFile, problems: _Problems) -> dict[str, Prediction]:
    task = exp.task
    labels = set(task.labels)
    key = "label" if task.is_pair else "tags"
    out: dict[str, Prediction] = {}
    start = problems.total
    try:
        for lineno, record in iter_jsonl(path, error=PredictionError):
            where = f"{exp.relpath}:{lineno}"
            rid = record.get("id")
            if not isinstance(rid, str):
                problems.add(f"{where}: 'id' must be a string, got {json.dumps(rid)}")
                continue
            if rid not in exp.lengths:
                problems.add(f"{where}: unknown id {rid!r}")
                continue
            if rid in out:
                problems.add(f"{where}: id {rid!r} predicted twice")
                continue
            value = record.get(key)
            if task.is_pair:
                if not isinstance(value, str) or value not in labels:
                    problems.add(
                        f"{where}: label {json.dumps(value)} is not one of {sorted(labels)}"
                    )
                    continue
                out[rid] = value
            else:
                if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
                    problems.add(f"{where}: 'tags' must be a list of strings")
                    continue
                if len(value) != exp.lengths[rid]:
                    problems.add(
                        f"{where}: {len(value)} tags for {exp.lengths[rid]} tokens (id {rid!r})"
                    )
                    continue
                bad = sorted(set(value) - labels)
                if bad:
                    problems.add(f"{where}: tags {bad} not in {list(task.labels)}")
                    continue
                out[rid] = tuple(value)
    except PredictionError as err:
        problems.add(err.message)
        return out
    missing = len(exp.lengths) - len(out)
    if missing > 0 and problems.total == start:
        first = next(i for i in exp.lengths if i not in out)
        problems.add(f"{exp.relpath}: {missing} id(s) without a prediction, e.g. {first!r}")
    return out
