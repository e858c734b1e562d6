"""Records from tables: rows of JSONL, CSV/TSV or parquet files (or a hub dataset) made into
`GenericExample`s of a task, through the spec's column mapping and types.

A row gives each of the task's input fields from its column (`[data.columns.TASK] text =
"review_body"`; by default the column of the field's own name) and the answer from the column of
the task's answer key (`label`, `tags` or `value`, mappable the same way). Other columns,
`id` included, are ignored: podium assigns ids.

Values of JSONL, parquet and hub rows are taken as they are (a label may also be an integer:
`5` is the label `"5"`). CSV/TSV cells are text, read by this rule:

- an input field is a string, unless `[data.types.TASK]` says `integer`, `number` (an integer
  stays one, e.g. `3`; `2.5` a float) or `json` (a list or object in a cell, e.g. `[1, 2]`);
  a tagging task's `tokens` is always `json`;
- a regression `value` is always a number, a tagging task's `tags` always a JSON list, a label
  the cell's text;
- NaN, infinities, an empty answer and a cell that does not parse are refused with file:line.

For JSONL, parquet and hub rows, a declared type is checked instead (`integer`, `number`,
`string`; `json` accepts any JSON value).
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from podium.core.errors import DataError
from podium.core.suggest import did_you_mean
from podium.data.examples import Answer, GenericExample
from podium.data.records import is_number, json_problem, record_problem
from podium.tasks import Task, TaskType

RECORD_FORMATS = ("jsonl", "csv", "tsv", "parquet")
_INTEGER = re.compile(r"^[+-]?\d+$")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_BATCH_ROWS = 4096


@dataclass(frozen=True)
class RowMap:
    """How the rows of a task's source give its records: field -> column, field -> type."""

    task: Task
    columns: Mapping[str, str] = field(default_factory=dict)
    types: Mapping[str, str] = field(default_factory=dict)
    language_column: str = "language"
    # the labels of a ClassLabel column of a hub dataset (answer column only)
    class_names: Sequence[str] = ()

    def column(self, name: str) -> str:
        return self.columns.get(name, name)

    @property
    def answer_column(self) -> str:
        return self.column(self.task.answer_key)

    @property
    def language(self) -> str:
        return self.columns.get("language", self.language_column)

    def needed(self) -> list[str]:
        return [self.column(f) for f in (*self.task.inputs, self.task.answer_key)]

    def check_header(self, names: Sequence[str], where: str, *, language: bool = False) -> None:
        """Every mapped column is in the file (language too when it must say)."""
        wanted = self.needed() + ([self.language] if language else [])
        for name in wanted:
            if name not in names:
                raise missing_column(name, names, where, self)

    def example(self, row: Mapping[str, Any], where: str, *, text: bool) -> GenericExample:
        """The record of one row (`text`: CSV/TSV cells, parsed by the module's rule)."""
        task = self.task
        fields: dict[str, Any] = {}
        for name in task.inputs:
            column = self.column(name)
            if column not in row:
                raise missing_column(column, list(row), where, self)
            kind = self.types.get(name)
            if kind is None and name == "tokens" and task.type is TaskType.TAGGING:
                kind = "json"
            fields[name] = _value(row[column], kind, text, where, f"input {name!r} ({column})")
        column = self.answer_column
        if column not in row:
            raise missing_column(column, list(row), where, self)
        label = self._answer(row[column], where, text)
        ex = GenericExample(fields, label)
        problem = record_problem(task, ex)
        if problem is not None:
            raise DataError(problem, where=where, hint=_fix(self))
        return ex

    def _answer(self, raw: Any, where: str, text: bool) -> Answer:
        task, key = self.task, self.task.answer_key
        what = f"{key} ({self.answer_column})"
        if raw is None or (text and isinstance(raw, str) and not raw.strip()):
            raise DataError(
                f"the record has no {key}",
                where=where,
                hint=f"every record of {task.id} needs its answer in column "
                f"{self.answer_column!r}; drop unlabelled rows",
            )
        if task.type is TaskType.REGRESSION:
            number: float = _value(raw, "number", text, where, what)
            return number
        if task.type is TaskType.TAGGING:
            tags = _value(raw, "json", text, where, what)
            if not isinstance(tags, list):
                raise DataError(f"{what} must be a list of tags", where=where, hint=_fix(self))
            return tuple(self._name(t, where, what) for t in tags)
        return self._name(raw, where, what)

    def _name(self, raw: Any, where: str, what: str) -> str:
        """A label: a string, an integer (its text), or a ClassLabel index of a hub dataset."""
        if isinstance(raw, str):
            return raw
        if isinstance(raw, int) and not isinstance(raw, bool):
            if self.class_names:
                if 0 <= raw < len(self.class_names):
                    return str(self.class_names[raw])
                raise DataError(f"{what}: class index {raw} out of range", where=where)
            return str(raw)
        raise DataError(
            f"{what}: {raw!r} is a {type(raw).__name__}, not a label", where=where, hint=_fix(self)
        )


def _fix(m: RowMap) -> str:
    return (
        f"allowed {m.task.answer_key}s: {', '.join(m.task.labels)}"
        if m.task.labels
        else ("fix the row or drop it")
    )


def missing_column(name: str, found: Sequence[str], where: str, m: RowMap) -> DataError:
    return DataError(
        f"no column {name!r} for {m.task.id}",
        where=where,
        hint=(did_you_mean(name, found) if found else "the record is empty")
        + f"; map it in competition.toml: [data.columns.{m.task.id}] "
        f'{_field_of(name, m)} = "<column>"',
    )


def _field_of(column: str, m: RowMap) -> str:
    for name in (*m.task.inputs, m.task.answer_key, "language"):
        if m.column(name) == column or (name == "language" and m.language == column):
            return name
    return column


def _value(raw: Any, kind: str | None, text: bool, where: str, what: str) -> Any:
    """A cell parsed (text) or a value checked against its declared type."""
    if text and isinstance(raw, str):
        cell = raw.strip()
        if kind == "integer":
            if not _INTEGER.match(cell):
                raise DataError(f"{what}: {raw!r} is not an integer", where=where)
            return int(cell)
        if kind == "number":
            if not _NUMBER.match(cell):
                raise DataError(
                    f"{what}: {raw!r} is not a finite number",
                    where=where,
                    hint="write numbers like 3, -0.5 or 1e-3 (no NaN, inf or thousands separators)",
                )
            return int(cell) if _INTEGER.match(cell) else float(cell)
        if kind == "json":
            try:
                value = json.loads(cell, parse_constant=_no_constant)
            except (ValueError, RecursionError) as err:
                raise DataError(f"{what}: not JSON ({err})", where=where) from None
            problem = json_problem(value)
            if problem is not None:
                raise DataError(f"{what}: {problem}", where=where)
            return value
        return raw
    ok = {
        None: True,
        "json": True,
        "string": isinstance(raw, str),
        "number": is_number(raw),
        "integer": isinstance(raw, int) and not isinstance(raw, bool),
    }[kind]
    if not ok:
        expected = {"integer": "an integer", "number": "a finite number", "string": "a string"}
        raise DataError(
            f"{what}: {raw!r} is not {expected[str(kind)]}",
            where=where,
            hint=f"[data.types] declares it {kind}; fix the value or the type",
        )
    if isinstance(raw, float) and not math.isfinite(raw):
        raise DataError(f"{what}: {raw} is not a finite number", where=where)
    return raw


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a finite number")


# --- reading rows from files -------------------------------------------------------------------


def iter_rows(
    path: Path, fmt: str, columns: Sequence[str] | None = None
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, row) of every record of a file, streamed; `columns` limits a parquet read."""
    if fmt == "jsonl":
        return _jsonl_rows(path)
    if fmt in ("csv", "tsv"):
        return _csv_rows(path, "\t" if fmt == "tsv" else ",")
    return _parquet_rows(path, columns)


def header(path: Path, fmt: str) -> list[str] | None:
    """The column names of a CSV/TSV/parquet file (None for JSONL: per record)."""
    if fmt == "jsonl":
        return None
    if fmt == "parquet":
        return list(_parquet(path).schema_arrow.names)
    for line, row in _csv_lines(path, "\t" if fmt == "tsv" else ","):
        return _header_row(row, f"{path}:{line}")
    raise DataError("the file is empty", where=str(path), hint="a header row names the columns")


def _jsonl_rows(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    from podium.data.jsonl import iter_jsonl

    try:
        for lineno, record in iter_jsonl(path):
            yield f"{path}:{lineno}", record
    except UnicodeDecodeError:
        raise DataError("not UTF-8 text", where=str(path), hint="save the file as UTF-8") from None
    except OSError as err:
        raise DataError(f"cannot read the file ({err.strerror})", where=str(path)) from None


def _csv_lines(path: Path, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    try:
        handle = path.open("r", encoding="utf-8-sig", newline="")
    except OSError as err:
        raise DataError(f"cannot read the file ({err.strerror})", where=str(path)) from None
    with handle:
        reader = csv.reader(handle, delimiter=delimiter, strict=True)
        line = 1
        try:
            for row in reader:
                yield line, row
                line = reader.line_num + 1
        except UnicodeDecodeError:
            raise DataError(
                "not UTF-8 text", where=f"{path}:{line}", hint="save the file as UTF-8"
            ) from None
        except csv.Error as err:
            raise DataError(
                f"not valid {'TSV' if delimiter == chr(9) else 'CSV'} ({err})",
                where=f"{path}:{line}",
                hint="quote cells holding the delimiter, quotes or line breaks",
            ) from None


def _csv_rows(path: Path, delimiter: str) -> Iterator[tuple[str, dict[str, Any]]]:
    names: list[str] | None = None
    for line, cells in _csv_lines(path, delimiter):
        if names is None:
            names = _header_row(cells, f"{path}:{line}")
            continue
        if not cells or cells == [""]:
            continue  # a blank line
        if len(cells) != len(names):
            raise DataError(
                f"{len(cells)} cells but the header has {len(names)} columns",
                where=f"{path}:{line}",
                hint="quote cells that hold the delimiter",
            )
        yield f"{path}:{line}", dict(zip(names, cells, strict=True))
    if names is None:
        raise DataError("the file is empty", where=str(path), hint="a header row names the columns")


def _header_row(names: list[str], where: str) -> list[str]:
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise DataError(
            f"the header names column(s) {', '.join(map(repr, dupes))} twice",
            where=where,
            hint="give every column its own name",
        )
    return names


def _parquet(path: Path) -> Any:
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path)
    except Exception as err:  # pyarrow raises several types for damaged files
        raise DataError(f"not a readable parquet file ({err})", where=str(path)) from None


def _parquet_rows(
    path: Path, columns: Sequence[str] | None
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Rows read a batch at a time (row groups are never all in memory)."""
    pf = _parquet(path)
    row = 0
    try:
        batches = pf.iter_batches(
            batch_size=_BATCH_ROWS, columns=list(columns) if columns else None
        )
        for batch in batches:
            for record in batch.to_pylist():
                yield f"{path} row {row}", record
                row += 1
    except DataError:
        raise
    except Exception as err:
        raise DataError(f"not a readable parquet file ({err})", where=f"{path} row {row}") from None
