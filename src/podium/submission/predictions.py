"""Checking a submission's predictions against the contract before anything is scored.

Every expected id exactly once, labels from the task's label set, one tag per token, a finite
number for regression, no unexpected files. Problems are collected
grouped by kind (`podium.rules.problems`: counts, files, a few examples) so a team sees them all
at once.
"""

from __future__ import annotations

import codecs
import json
import math
import reprlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from podium.core.errors import PredictionError
from podium.core.escapes import shown_name
from podium.data.jsonl import iter_jsonl
from podium.rules.problems import Problems
from podium.tasks import Task, TaskType

Prediction = str | tuple[str, ...] | float
MAX_LINE_BYTES = 2**20  # a tagging record of a thousand tokens takes about 10 kB


@dataclass
class ExpectedFile:
    """The ids of one sealed inputs file, with token counts for tagging tasks."""

    task: Task
    language: str
    lengths: dict[str, int] = field(default_factory=dict)  # id -> tokens (0 unless tagging)

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
                tagging = task.type is TaskType.TAGGING
                exp.lengths[str(record["id"])] = len(record["tokens"]) if tagging else 0
            result.append(exp)
    return result


CHECK_LOCALLY = "; `podium check` finds these locally"  # `podium check` itself leaves it out


class _Problems(Problems):
    def raise_if_any(self) -> None:
        if self.total:
            raise PredictionError(
                self.text("predictions"),
                hint="see the submission contract in README.md" + CHECK_LOCALLY,
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
                    f"{shown_name(rel)}: unexpected file "
                    "(expected only {task}/{lang}.jsonl files)"
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
    key = task.answer_key
    out: dict[str, Prediction] = {}
    start = problems.total
    for lineno, record in _records(path, exp.relpath, problems):
        where = f"{exp.relpath}:{lineno}"
        rid = record.get("id")
        if not isinstance(rid, str):
            problems.add(f"{where}: 'id' must be a string, got {_as_json(rid)}")
            continue
        if rid not in exp.lengths:
            problems.add(f"{where}: unknown id {_short(rid)}")
            continue
        if rid in out:
            problems.add(f"{where}: id {_short(rid)} predicted twice")
            continue
        if key not in record:
            problems.add(f"{where}: no {key!r} (a {task.type} prediction is id and {key!r})")
            continue
        value = record[key]
        if task.type is TaskType.REGRESSION:
            number = _finite(value)
            if number is None:
                problems.add(f"{where}: 'value' must be a finite number, got {_as_json(value)}")
                continue
            out[rid] = number
        elif task.type is not TaskType.TAGGING:
            if not isinstance(value, str) or value not in labels:
                problems.add(
                    f"{where}: label {_as_json(value)} is not one of {sorted(labels)}"
                    + (" (labels are strings)" if _stringly(value, labels) else "")
                )
                continue
            out[rid] = value
        else:
            if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
                problems.add(f"{where}: 'tags' must be a list of strings")
                continue
            if len(value) != exp.lengths[rid]:
                problems.add(
                    f"{where}: {len(value)} tags for {exp.lengths[rid]} tokens (id {_short(rid)})"
                )
                continue
            bad = sorted(set(value) - labels)
            if bad:
                problems.add(f"{where}: tags {_short(bad)} not in {list(task.labels)}")
                continue
            out[rid] = tuple(value)
    missing = len(exp.lengths) - len(out)
    if missing > 0 and problems.total == start:
        first = next(i for i in exp.lengths if i not in out)
        problems.add(f"{exp.relpath}: {missing} id(s) without a prediction, e.g. {first!r}")
    return out


def _records(path: Path, relpath: str, problems: _Problems) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) of every well-formed line; every other line is a problem.

    Written by a submission, so nothing is assumed: lines are read in bounded pieces, bytes
    decoded strictly, JSON's NaN/Infinity refused, and deep nesting or huge numbers reported
    instead of raised. CRLF line ends are fine (JSON whitespace).
    """
    with path.open("rb") as handle:
        for lineno, raw in enumerate(_bounded_lines(handle), start=1):
            where = f"{relpath}:{lineno}"
            if raw is None:
                problems.add(f"{where}: the line is longer than {MAX_LINE_BYTES // 2**20} MiB")
                continue
            if lineno == 1 and raw.startswith(codecs.BOM_UTF8):
                problems.add(
                    f"{where}: the file starts with a byte order mark; write UTF-8 without one"
                )
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as err:
                problems.add(f"{where}: not valid UTF-8 (byte {err.start + 1} of the line)")
                continue
            if not text.strip():
                continue
            try:
                record = _DECODER.decode(text)
            except RecursionError:
                problems.add(f"{where}: JSON nested too deeply")
                continue
            except ValueError as err:  # JSONDecodeError, NaN, integers past Python's limit
                problems.add(f"{where}: not valid JSON ({getattr(err, 'msg', str(err))[:120]})")
                continue
            if not isinstance(record, dict):
                problems.add(
                    f"{where}: each line must be a JSON object, got {type(record).__name__}"
                )
                continue
            yield lineno, record


def _bounded_lines(handle: BinaryIO, chunk: int = 1 << 20) -> Iterator[bytes | None]:
    """Lines of at most MAX_LINE_BYTES (read a block at a time, split at newlines); None
    stands for a longer line, whose rest is skipped."""
    pending = b""
    overlong = False
    while block := handle.read(chunk):
        lines = (pending + block).split(b"\n")
        pending = lines.pop()
        for line in lines:
            yield None if overlong or len(line) > MAX_LINE_BYTES else line
            overlong = False
        if len(pending) > MAX_LINE_BYTES:
            overlong, pending = True, b""
    if pending or overlong:
        yield None if overlong or len(pending) > MAX_LINE_BYTES else pending


def _finite(value: object) -> float | None:
    """A JSON number as a finite float (1e999 parses as infinity; a 400-digit integer does
    not fit a float); None for anything else, booleans included."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _stringly(value: object, labels: set[str]) -> bool:
    """Whether a number or bool was meant as one of the (string) labels, e.g. 3 for "3"."""
    if isinstance(value, bool):
        return json.dumps(value) in labels
    return isinstance(value, int | float) and _short(value) in labels


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


_DECODER = json.JSONDecoder(
    parse_constant=_no_constant
)  # made once: loads(kw=...) makes one a line


def _as_json(value: object) -> str:
    """A value as the submission wrote it (JSON), shortened."""
    if isinstance(value, str):
        return json.dumps(value[:60], ensure_ascii=False) + ("..." if len(value) > 60 else "")
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    return _short(value)


def _short(value: object) -> str:
    """A value from a submission, shown briefly whatever its size or depth."""
    brief = reprlib.Repr()
    brief.maxlevel, brief.maxstring, brief.maxother, brief.maxlong = 2, 60, 60, 40
    return brief.repr(value)
