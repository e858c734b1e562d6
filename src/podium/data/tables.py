"""Folders of records: JSONL, CSV/TSV (with a header) and parquet, beside the XTREME layout.

Per task, a data folder holds one of:

- `{task}/{split}-{lang}.tsv` (and CoNLL-U) in the XTREME format — for a pair or tagging task
  with XTREME's inputs (`text_a`, `text_b` / `tokens`) and no `[data.columns.TASK]`;
- `{task}/{split}-{lang}.jsonl|csv|tsv|parquet`: records, one format per folder; every split
  file (train, dev, test, anything) is pooled per language; a task declared without languages
  has the language `default` (`digits/train-default.jsonl`);
- `{task}.jsonl|csv|tsv|parquet`: one file per task, each record's language in a column
  (`language`, or `[data] language_column`, or `[data.columns.TASK] language`); without that
  column, a task of one language takes every record.

Records are made by `podium.data.rows` (column mapping, types). Files are read one at a time each
time a language is asked for, parquet a batch of rows at a time, so `prepare`'s memory does not
grow with the data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from podium.config.spec import DataSpec
from podium.core.errors import DataError
from podium.core.suggest import did_you_mean
from podium.data.examples import Example, GenericExample
from podium.data.rows import RECORD_FORMATS, RowMap, header, iter_rows, missing_column
from podium.tasks import Task, TaskType

FILE_PATTERN = re.compile(
    r"^(?P<split>[A-Za-z0-9_]+)-(?P<lang>[A-Za-z0-9][A-Za-z0-9_-]*)\.(?P<fmt>jsonl|csv|tsv|parquet)$"
)
XTREME, RECORDS = "xtreme", "records"


@dataclass(frozen=True)
class RecordFile:
    """One file of a task's records; `lang` None: one file per task, languages in a column."""

    path: Path
    fmt: str
    lang: str | None
    has_language: bool = False  # CSV/TSV/parquet: the header holds the language column


def row_map(task: Task, data: DataSpec | None) -> RowMap:
    if data is None:
        return RowMap(task)
    return RowMap(
        task,
        columns=data.columns.get(task.id, {}),
        types=data.types.get(task.id, {}),
        language_column=data.language_column,
    )


def xtreme_shaped(task: Task, data: DataSpec | None) -> bool:
    """Whether a task's `.tsv` files are XTREME's: pairs or tags, XTREME's inputs, unmapped."""
    return (
        task.type in (TaskType.PAIR_CLASSIFICATION, TaskType.TAGGING)
        and task.inputs == task.type.default_inputs
        and not (data is not None and task.id in data.columns)
    )


def layout_of(root: Path, task: Task, data: DataSpec | None) -> str:
    """XTREME or RECORDS for a task's data in `root`; refuses a task given two ways."""
    folder = root / task.id
    singles = [root / f"{task.id}.{fmt}" for fmt in RECORD_FORMATS]
    singles = [p for p in singles if p.is_file()]
    if singles:
        if folder.is_dir():
            raise DataError(
                f"{task.id} has both a folder and {singles[0].name}",
                where=str(root),
                hint=f"keep one: {task.id}/{{split}}-{{lang}}.jsonl files or one {task.id}.jsonl",
            )
        if len(singles) > 1:
            raise DataError(
                f"{task.id} has {len(singles)} files: {', '.join(p.name for p in singles)}",
                where=str(root),
                hint="keep one file per task, in one format",
            )
        return RECORDS
    if not xtreme_shaped(task, data):
        return RECORDS
    if not folder.is_dir():
        return XTREME  # the XTREME reader explains what is missing
    files = [p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")]
    xtreme = [p for p in files if p.suffix == ".tsv"] or list(folder.rglob("*.conllu"))
    records = [p for p in files if p.suffix[1:] in RECORD_FORMATS and p.suffix != ".tsv"]
    if xtreme and records:
        raise DataError(
            f"mixed layouts in the {task.id} folder: XTREME ({xtreme[0].name}) and records "
            f"({records[0].name})",
            where=str(folder),
            hint="give a task's data in one format: move one kind out of the folder",
        )
    return RECORDS if records else XTREME


class RecordFolderSource:
    """Records of some tasks in a folder, streamed from their files each time asked."""

    def __init__(
        self,
        root: Path,
        tasks: Sequence[Task],
        languages: Mapping[str, Sequence[str]] | None = None,
        data: DataSpec | None = None,
        label: str = "",
    ) -> None:
        self.label = label or str(root)
        self.maps = {task.id: row_map(task, data) for task in tasks}
        self.files: dict[str, list[RecordFile]] = {
            task.id: _scan_task(root, self.maps[task.id]) for task in tasks
        }
        self.wanted = {
            t.id: set(languages[t.id]) if languages and t.id in languages else set(t.languages)
            for t in tasks
        }

    def examples(self, task: Task, lang: str) -> Iterator[GenericExample]:
        if lang not in self.wanted.get(task.id, ()):
            return
        m = self.maps[task.id]
        for f in self.files.get(task.id, []):
            if f.lang is None:
                yield from _pooled_file(f, m, lang)
            elif f.lang == lang:
                for where, row in iter_rows(f.path, f.fmt, m.needed()):
                    yield m.example(row, where, text=f.fmt != "parquet" and f.fmt != "jsonl")


def _pooled_file(f: RecordFile, m: RowMap, lang: str) -> Iterator[GenericExample]:
    """The records of one language from a one-file-per-task file."""
    task = m.task
    text = f.fmt in ("csv", "tsv")
    columns = [*m.needed(), m.language] if f.has_language else m.needed()
    for where, row in iter_rows(f.path, f.fmt, columns):
        got = row.get(m.language)
        if got is None:
            if len(task.languages) > 1:
                raise missing_column(m.language, list(row), where, m)
            got = task.languages[0]
        if not isinstance(got, str) or got not in task.languages:
            raise DataError(
                f"{task.id} has no language {got!r}",
                where=where,
                hint=did_you_mean(str(got), task.languages)
                + f" (or drop the row, or list the language in [tasks.{task.id}] languages)",
            )
        if got == lang:
            yield m.example(row, where, text=text)


def _scan_task(root: Path, m: RowMap) -> list[RecordFile]:
    """A task's record files in reading order; names and headers checked before any is read."""
    task = m.task
    for fmt in RECORD_FORMATS:
        single = root / f"{task.id}.{fmt}"
        if single.is_file():
            return [_checked(RecordFile(single, fmt, None), m)]
    folder = root / task.id
    if not folder.is_dir():
        raise DataError(
            f"no data for task {task.id!r}",
            where=str(root),
            hint=f"expected {task.id}/{{split}}-{{lang}}.jsonl (or .csv, .tsv, .parquet) or "
            f"one file {task.id}.jsonl; a task without languages has the language 'default'",
        )
    files: list[RecordFile] = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue
        if path.suffix[1:] not in RECORD_FORMATS:
            continue  # a README, notes: not data
        match = FILE_PATTERN.match(path.name)
        if not match:
            raise DataError(
                f"file name is not {{split}}-{{lang}}{path.suffix}",
                where=str(path),
                hint=f"e.g. train-{task.languages[0]}{path.suffix}",
            )
        lang = match["lang"]
        if lang not in task.languages:
            raise DataError(
                f"{task.id} has no language {lang!r}",
                where=str(path),
                hint=did_you_mean(lang, task.languages),
            )
        files.append(_checked(RecordFile(path, match["fmt"], lang), m))
    formats = sorted({f.fmt for f in files})
    if len(formats) > 1:
        raise DataError(
            f"mixed layouts in the {task.id} folder: {', '.join(formats)} files",
            where=str(folder),
            hint="give a task's records in one format",
        )
    return files


def _checked(f: RecordFile, m: RowMap) -> RecordFile:
    """A CSV/TSV/parquet file whose header holds every mapped column (JSONL: per record)."""
    names = header(f.path, f.fmt)
    if names is None:
        return f
    for name in m.needed():
        if name not in names:
            raise missing_column(name, names, str(f.path), m)
    if f.lang is not None:
        return f
    has_language = m.language in names
    if not has_language and (len(m.task.languages) > 1 or "language" in m.columns):
        raise missing_column(m.language, names, str(f.path), m)
    return RecordFile(f.path, f.fmt, None, has_language)


def check_top_level(root: Path, tasks: Iterable[Task]) -> None:
    """A data file at the top of the folder must be one task's."""
    ids = [t.id for t in tasks]
    for path in sorted(root.iterdir()):
        if path.is_file() and path.suffix[1:] in RECORD_FORMATS and path.stem not in ids:
            raise DataError(
                f"{path.name} is not the data of a task of this competition",
                where=str(path),
                hint=did_you_mean(path.stem, ids) + " (tasks are listed in [tasks])",
            )


class _Source(Protocol):
    def examples(self, task: Task, lang: str) -> Iterable[Example]: ...


class TaskSources:
    """Each task's examples from its own source (XTREME files for some, records for others)."""

    def __init__(self, by_task: Mapping[str, _Source], label: str) -> None:
        self.by_task, self.label = dict(by_task), label

    def examples(self, task: Task, lang: str) -> Iterable[Example]:
        return self.by_task[task.id].examples(task, lang)
