"""The XTREME folder format: `{task}/{split}-{lang}.tsv`, as XTREME's download script writes it.

Pair tasks: `text_a<TAB>text_b<TAB>label` per line (2 columns: unlabelled test data).
Tagging tasks: `token<TAB>tag` per line, a blank line between sentences (1 column:
unlabelled). Files may carry a BOM, CRLF line ends, runs of blank lines and trailing blank
lines; tokens may contain ':', '#' or Unicode spaces. Lines are split on "\\n" only, so a
stray "\\r" inside a text survives, and errors name the file and line.
"""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

from podium.core.errors import DataError
from podium.core.suggest import did_you_mean
from podium.data.examples import Example, GenericExample, PairExample, TaggedExample
from podium.data.records import record_problem
from podium.tasks import Task, TaskType

FILE_PATTERN = re.compile(r"^(?P<split>[A-Za-z0-9_]+)-(?P<lang>[A-Za-z_]+)\.tsv$")

# Only ASCII whitespace makes a line blank or a token empty: real CJK and WikiANN data hold
# tokens such as U+3000 or U+00A0 that str.strip() would erase.
_ASCII_SPACE = " \t\r\n\v\f"
# a token of ASCII spaces only in a content key (tokens joined by U+001F)
_BLANK_TOKEN = re.compile(r"(?:^|\x1f)[ \t\r\n\v\f]*(?:\x1f|$)")


def _blank(text: str) -> bool:
    return not text.strip(_ASCII_SPACE)


def read_lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, text without its line end); a leading BOM is dropped."""
    try:
        handle = path.open("rb")
    except OSError as err:
        raise DataError(f"cannot read the file ({err.strerror})", where=str(path)) from None
    with handle:
        for lineno, raw in enumerate(handle, start=1):
            if lineno == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8) :]
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as err:
                raise DataError(
                    f"not UTF-8 text (byte {err.start + 1} of the line: {raw[err.start : err.start + 1]!r})",
                    where=f"{path}:{lineno}",
                    hint="save the file as UTF-8",
                ) from None
            yield lineno, text.rstrip("\r\n")


def _check_label(value: str, task: Task, where: str, what: str = "label") -> None:
    if value not in task.labels:
        raise DataError(
            f"{what} {value!r} is not a {task.id} {what}",
            where=where,
            hint=f"allowed: {', '.join(task.labels)}",
        )


def read_xtreme_file(path: Path, task: Task) -> list[Example]:
    """Read one file of a task; errors name the file and line."""
    return list(iter_xtreme_file(path, task))


def iter_xtreme_file(path: Path, task: Task, split: str = "") -> Iterator[Example]:
    """The examples of one file as they are read, unlabelled ones included; with `split`, pairs
    carry their origin `{split}#{index}` (see `PairExample.origin`)."""
    if task.type not in (TaskType.PAIR_CLASSIFICATION, TaskType.TAGGING):
        raise DataError(
            f"{task.id} is a {task.type} task: the XTREME format holds text pairs and tagged "
            "tokens only",
            where=str(path),
            hint="give its examples as records (GenericExample), e.g. from a script's "
            "prepare_data(examples=...)",
        )
    return _read_pairs(path, task, split) if task.is_pair else _read_tagged(path, task)


def _mixed(where: str, first: int, first_labelled: bool, labelled: str) -> DataError:
    return DataError(
        f"this line is {labelled}, but line {first} is "
        f"{'labelled' if first_labelled else 'unlabelled'}",
        where=where,
        hint="every line of a file carries a label, or none does (unlabelled test files)",
    )


def _read_pairs(path: Path, task: Task, split: str) -> Iterator[Example]:
    labelled: bool | None = None
    first = count = 0
    for lineno, line in read_lines(path):
        if _blank(line):
            continue
        where = f"{path}:{lineno}"
        cols = line.split("\t")
        if len(cols) not in (2, 3):
            raise DataError(
                f"expected 3 tab-separated columns (text_a, text_b, label), found {len(cols)}",
                where=where,
                hint="texts must not contain tabs; unlabelled files have 2 columns",
            )
        has_label = len(cols) == 3
        if labelled is None:
            labelled, first = has_label, lineno
        elif labelled != has_label:
            raise _mixed(where, first, labelled, "labelled" if has_label else "unlabelled")
        label = None
        if has_label:
            label = cols[2].strip()
            _check_label(label, task, where)
        origin = f"{split}#{count}" if split else ""
        count += 1
        yield PairExample(text_a=cols[0], text_b=cols[1], label=label, origin=origin)


def _read_tagged(path: Path, task: Task) -> Iterator[Example]:
    tokens: list[str] = []
    tags: list[str] = []
    labelled: bool | None = None
    first = 0
    allowed = frozenset(task.labels)
    for lineno, line in read_lines(path):  # the hot loop of a prepare: checks inlined
        if not line.strip(_ASCII_SPACE):
            if tokens:
                yield TaggedExample(tuple(tokens), tuple(tags) if labelled else None)
            tokens, tags = [], []
            continue
        cols = line.split("\t")
        if len(cols) > 2:
            raise DataError(
                f"expected token<TAB>tag, found {len(cols)} columns",
                where=f"{path}:{lineno}",
                hint="one token per line; a blank line ends a sentence",
            )
        if not cols[0].strip(_ASCII_SPACE):
            raise DataError(
                "empty token", where=f"{path}:{lineno}", hint="one token per line, then its tag"
            )
        has_tag = len(cols) == 2
        if labelled != has_tag:
            if labelled is not None:
                labelling = "tagged" if has_tag else "untagged"
                raise _mixed(f"{path}:{lineno}", first, labelled, labelling)
            labelled, first = has_tag, lineno
        tokens.append(cols[0])
        if has_tag:
            tag = cols[1].strip()
            if tag not in allowed:
                _check_label(tag, task, f"{path}:{lineno}", "tag")
            tags.append(tag)
    if tokens:
        yield TaggedExample(tuple(tokens), tuple(tags) if labelled else None)


def labelled_problem(task: Task, ex: Example) -> str | None:
    """Why `ex` is not a labelled example of `task` that can be sealed, or None: an XTREME
    pair or tagged example the XTREME format can hold, or a record of any task type."""
    if isinstance(ex, GenericExample):
        return record_problem(task, ex)
    if task.type not in (TaskType.PAIR_CLASSIFICATION, TaskType.TAGGING):
        return f"{task.id} is a {task.type} task: its examples are records (GenericExample)"
    if task.is_pair:
        if not isinstance(ex, PairExample):
            return f"{task.id} is a pair task but the example has tokens"
        if ex.label is None:
            return "the example has no label"
        if ex.label not in task.labels:
            return (
                f"label {ex.label!r} is not a {task.id} label (allowed: {', '.join(task.labels)})"
            )
        if any(c in text for text in (ex.text_a, ex.text_b) for c in "\t\n"):
            return "a text contains a tab or a line break"
        return None
    if not isinstance(ex, TaggedExample):
        return f"{task.id} is a tagging task but the example is a text pair"
    if ex.tags is None:
        return "the example has no tags"
    if not ex.tokens:
        return "the example has no tokens"
    if len(ex.tags) != len(ex.tokens):
        return f"{len(ex.tokens)} tokens but {len(ex.tags)} tags"
    if not frozenset(ex.tags) <= frozenset(task.labels):
        bad = next(t for t in ex.tags if t not in task.labels)
        return f"tag {bad!r} is not a {task.id} tag (allowed: {', '.join(task.labels)})"
    key = ex.content_key()
    if "\t" in key or "\n" in key or _BLANK_TOKEN.search(key):  # else no token can fail
        for token in ex.tokens:
            if _blank(token) or "\t" in token or "\n" in token:
                return f"token {token!r} is empty or contains a tab or a line break"
    return None


def xtreme_text(ex: Example) -> str:
    """A labelled example as its lines in an XTREME file (a tagged one ends with a blank line)."""
    if isinstance(ex, GenericExample):
        raise DataError(f"a {type(ex).__name__} has no XTREME form", hint="write it as JSONL")
    if isinstance(ex, PairExample):
        return f"{ex.text_a}\t{ex.text_b}\t{ex.label}\n"
    lines = "".join(
        f"{token}\t{tag}\n" for token, tag in zip(ex.tokens, ex.tags or (), strict=True)
    )
    return lines + "\n"


def write_xtreme_file(path: Path, task: Task, examples: Iterable[Example]) -> int:
    """Write labelled examples in the XTREME format (UTF-8, LF line ends); returns the count.

    The inverse of `read_xtreme_file`: an example the reader could not give back (no label,
    a label outside the task's set, a tab inside a text) raises DataError, and the file
    appears only once complete.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    count = 0
    try:
        with partial.open("w", encoding="utf-8", newline="\n") as handle:
            for count, ex in enumerate(examples, start=1):
                problem = labelled_problem(task, ex)
                if problem is not None:
                    label = f" (id {ex.id})" if ex.id else ""
                    raise DataError(
                        f"cannot write example #{count}{label}: {problem}",
                        where=str(path),
                        hint="the XTREME format holds labelled examples only",
                    )
                handle.write(xtreme_text(ex))
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return count


def read_xtreme_dir(
    root: Path,
    tasks: Sequence[Task],
    languages: Mapping[str, Sequence[str]] | None = None,
) -> dict[tuple[str, str], list[Example]]:
    """Pool the labelled examples of every split file per (task, language).

    Every `{split}-{lang}.tsv` in `root/{task}/` counts (train, dev, test, ...); unlabelled
    files add nothing. With `languages`, only the languages listed for a task are read (a task
    missing from the mapping reads all); every file name is still checked.
    """
    by_task = {task.id: task for task in tasks}
    return {
        (task_id, lang): list(labelled_examples(files, by_task[task_id]))
        for (task_id, lang), files in scan_xtreme_dir(root, tasks, languages).items()
    }


def labelled_examples(files: Iterable[tuple[Path, str]], task: Task) -> Iterator[Example]:
    """The labelled examples of a language's `(path, split)` files, read one at a time."""
    for path, split in files:
        for ex in iter_xtreme_file(path, task, split):
            if is_labelled(ex):
                yield ex


def scan_xtreme_dir(
    root: Path,
    tasks: Sequence[Task],
    languages: Mapping[str, Sequence[str]] | None = None,
) -> dict[tuple[str, str], list[tuple[Path, str]]]:
    """The `(path, split)` files of every wanted (task, language), in reading order; every file
    name is checked before any file is read."""
    if not root.is_dir():
        raise DataError("no such folder", where=str(root), hint="give an XTREME-format folder")
    found = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    result: dict[tuple[str, str], list[tuple[Path, str]]] = {}
    for task in tasks:
        folder = root / task.id
        if not folder.is_dir():
            raise DataError(
                f"no folder for task {task.id!r}",
                where=str(root),
                hint=f"found: {', '.join(found) or 'no folders'}; "
                f"expected {task.id}/{{split}}-{{lang}}.tsv",
            )
        wanted = set(task.languages)
        if languages is not None and task.id in languages:
            wanted = set(languages[task.id])
        for path in sorted(folder.glob("*.tsv")):
            match = FILE_PATTERN.match(path.name)
            if not match:
                raise DataError(
                    "file name is not {split}-{lang}.tsv",
                    where=str(path),
                    hint="e.g. train-en.tsv or dev-de.tsv",
                )
            lang = match["lang"]
            if lang not in task.languages:
                raise DataError(
                    f"{task.id} has no language {lang!r}",
                    where=str(path),
                    hint=did_you_mean(lang, task.languages),
                )
            if lang in wanted:
                result.setdefault((task.id, lang), []).append((path, match["split"]))
    return result


def is_labelled(ex: Example) -> bool:
    return ex.tags is not None if isinstance(ex, TaggedExample) else ex.label is not None
