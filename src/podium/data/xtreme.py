"""The XTREME folder format: `{task}/{split}-{lang}.tsv`, as XTREME's download script writes it.

Pair tasks: `text_a<TAB>text_b<TAB>label` per line (2 columns: unlabelled test data).
Tagging tasks: `token<TAB>tag` per line, a blank line between sentences (1 column:
unlabelled). Files may carry a BOM, CRLF line ends and trailing blank lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from podium.data.examples import Example, PairExample, TaggedExample
from podium.errors import DataError
from podium.suggest import did_you_mean
from podium.tasks import Task

FILE_PATTERN = re.compile(r"^(?P<split>[A-Za-z0-9_]+)-(?P<lang>[A-Za-z_]+)\.tsv$")


def _lines(path: Path) -> Iterable[tuple[int, str]]:
    try:
        with path.open("r", encoding="utf-8-sig", newline="") as handle:
            for lineno, raw in enumerate(handle, start=1):
                yield lineno, raw.rstrip("\r\n").rstrip("\r")
    except UnicodeDecodeError as err:
        raise DataError(f"not UTF-8 text ({err.reason})", where=str(path)) from None


def _check_label(value: str, task: Task, where: str, what: str = "label") -> None:
    if value not in task.labels:
        raise DataError(
            f"{what} {value!r} is not a {task.id} {what}",
            where=where,
            hint=f"allowed: {', '.join(task.labels)}",
        )


def read_xtreme_file(path: Path, task: Task) -> list[Example]:
    """Read one file of a task; errors name the file and line."""
    return _read_pairs(path, task) if task.is_pair else _read_tagged(path, task)


def _read_pairs(path: Path, task: Task) -> list[Example]:
    out: list[Example] = []
    for lineno, line in _lines(path):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        cols = line.split("\t")
        if len(cols) not in (2, 3):
            raise DataError(
                f"expected 3 tab-separated columns (text_a, text_b, label), found {len(cols)}",
                where=where,
            )
        label = cols[2].strip() if len(cols) == 3 else None
        if label is not None:
            _check_label(label, task, where)
        out.append(PairExample(text_a=cols[0], text_b=cols[1], label=label))
    return out


def _read_tagged(path: Path, task: Task) -> list[Example]:
    out: list[Example] = []
    tokens: list[str] = []
    tags: list[str] = []
    labelled: bool | None = None
    start = 0

    def flush() -> None:
        nonlocal tokens, tags, labelled
        if tokens:
            out.append(TaggedExample(tuple(tokens), tuple(tags) if labelled else None))
        tokens, tags, labelled = [], [], None

    for lineno, line in _lines(path):
        if not line.strip():
            flush()
            continue
        where = f"{path}:{lineno}"
        cols = line.split("\t")
        if len(cols) > 2:
            raise DataError(f"expected token<TAB>tag, found {len(cols)} columns", where=where)
        if not cols[0].strip():
            raise DataError("empty token", where=where)
        has_tag = len(cols) == 2
        if labelled is None:
            labelled, start = has_tag, lineno
        elif labelled != has_tag:
            raise DataError(
                f"the sentence starting at line {start} mixes tagged and untagged tokens",
                where=where,
            )
        tokens.append(cols[0])
        if has_tag:
            tag = cols[1].strip()
            _check_label(tag, task, where, "tag")
            tags.append(tag)
    flush()
    return out


def write_xtreme_file(path: Path, task: Task, examples: Iterable[Example]) -> int:
    """Write labelled examples in the XTREME format (LF line ends); returns the count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for ex in examples:
            if isinstance(ex, PairExample):
                handle.write(f"{ex.text_a}\t{ex.text_b}\t{ex.label}\n")
            else:
                for token, tag in zip(ex.tokens, ex.tags or (), strict=True):
                    handle.write(f"{token}\t{tag}\n")
                handle.write("\n")
            count += 1
    return count


def read_xtreme_dir(
    root: Path,
    tasks: Sequence[Task],
    languages: Mapping[str, Sequence[str]] | None = None,
) -> dict[tuple[str, str], list[Example]]:
    """Pool the labelled examples of every split file per (task, language)."""
    if not root.is_dir():
        raise DataError("no such folder", where=str(root), hint="give an XTREME-format folder")
    found = sorted(p.name for p in root.iterdir() if p.is_dir())
    result: dict[tuple[str, str], list[Example]] = {}
    for task in tasks:
        folder = root / task.id
        if not folder.is_dir():
            raise DataError(
                f"no folder for task {task.id!r}",
                where=str(root),
                hint=f"found: {', '.join(found) or 'nothing'}; expected {task.id}/{{split}}-{{lang}}.tsv",
            )
        wanted = set(languages.get(task.id, task.languages)) if languages else set(task.languages)
        for path in sorted(folder.glob("*.tsv")):
            match = FILE_PATTERN.match(path.name)
            if not match:
                raise DataError(
                    "file name is not {split}-{lang}.tsv", where=str(path), hint="e.g. dev-de.tsv"
                )
            lang = match["lang"]
            if lang not in task.languages:
                raise DataError(
                    f"{task.id} has no language {lang!r}",
                    where=str(path),
                    hint=did_you_mean(lang, task.languages),
                )
            if lang not in wanted:
                continue
            labelled = [ex for ex in read_xtreme_file(path, task) if _labelled(ex)]
            result.setdefault((task.id, lang), []).extend(labelled)
    return result


def _labelled(ex: Example) -> bool:
    return ex.label is not None if isinstance(ex, PairExample) else ex.tags is not None
