"""Where a competition's labelled data comes from: one `[data] source` string, four formats.

- `"synthetic"`: generated demo data (no files);
- `"hf:google/xtreme"` (or `hf:` + another dataset with the same configs): loaded with the
  `datasets` library from a Hugging Face hub;
- a folder holding a local copy of google/xtreme's parquet layout
  (`{config}/{split}-00000-of-00001.parquet`);
- a folder in the XTREME format (`{task}/{split}-{lang}.tsv`), where a tagging task's folder may
  also hold Universal Dependencies `.conllu` files (at any depth, e.g. a UD release unpacked
  into `udpos/`), read the XTREME way (see `podium.data.conllu`).

The kind of a source is looked up in `SOURCES` (one registry style, `podium.core.registry`):
"synthetic", a `scheme:` prefix ("hf:"), or else a folder; a scheme nobody knows is refused
with the closest known one.

Every reader gives the same examples, pooled per (task, language). `open_source` gives them as an
`ExampleSource` that `prepare` reads twice, one language at a time: a folder is streamed from its
files each time, so memory does not grow with the data; the other sources are held in memory.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Protocol

from podium.config.spec import CompetitionSpec, DataSpec
from podium.core.errors import DataError
from podium.core.registry import LazyRegistry
from podium.core.suggest import did_you_mean
from podium.data.examples import Example
from podium.tasks import Task, TaskRegistry

Pools = dict[tuple[str, str], list[Example]]


class ExampleSource(Protocol):
    """Labelled examples per (task, language), in pool order, as often as asked."""

    label: str

    def examples(self, task: Task, lang: str) -> Iterable[Example]: ...


class PoolSource:
    """Pools already in memory (the synthetic generator, a hub dataset, parquet)."""

    def __init__(self, pools: Mapping[tuple[str, str], Sequence[Example]], label: str) -> None:
        self.pools, self.label = pools, label

    def examples(self, task: Task, lang: str) -> Iterable[Example]:
        return self.pools.get((task.id, lang), ())


class FolderSource:
    """An XTREME-format folder (CoNLL-U accepted in tagging-task folders), read from its files
    each time: every file name is checked on opening, the lines when they are read."""

    def __init__(
        self,
        root: Path,
        tasks: Sequence[Task],
        languages: Mapping[str, Sequence[str]] | None = None,
        label: str = "",
    ) -> None:
        from podium.data.xtreme import scan_xtreme_dir

        self.label = label or str(root)
        self.files: dict[tuple[str, str], list[tuple[Path, str | None]]] = {
            key: [(path, split) for path, split in files]
            for key, files in scan_xtreme_dir(root, tasks, languages).items()
        }
        for task in tasks:
            if not task.is_pair:
                wanted = languages.get(task.id) if languages else None
                for lang, path in _treebanks(root, task, wanted):
                    self.files.setdefault((task.id, lang), []).append((path, None))

    def examples(self, task: Task, lang: str) -> Iterator[Example]:
        from podium.data.conllu import iter_conllu_file
        from podium.data.xtreme import is_labelled, iter_xtreme_file

        for path, split in self.files.get((task.id, lang), []):
            if split is None:
                yield from iter_conllu_file(path, task, lang)
                continue
            for ex in iter_xtreme_file(path, task, split):
                if is_labelled(ex):
                    yield ex


def _treebanks(root: Path, task: Task, wanted: Sequence[str] | None) -> Iterator[tuple[str, Path]]:
    """(language, path) of the wanted CoNLL-U files under a task's folder; names checked."""
    from podium.data.conllu import language_of

    for path in sorted((root / task.id).rglob("*.conllu")):
        lang = language_of(path)
        if lang not in task.languages:
            raise DataError(
                f"{task.id} has no language {lang!r}",
                where=str(path),
                hint=did_you_mean(lang, task.languages),
            )
        if wanted is None or lang in wanted:
            yield lang, path


def read_folder(
    root: Path, tasks: Sequence[Task], languages: Mapping[str, Sequence[str]] | None = None
) -> Pools:
    """An XTREME-format folder, with CoNLL-U treebanks accepted in tagging-task folders."""
    return read_pools(FolderSource(root, tasks, languages), {task.id: task for task in tasks})


# The kinds of `[data] source`, each opened by a function of the module that reads it, with
# the signature of `open_examples`.
SOURCES = LazyRegistry(
    "data source kind",
    {
        "synthetic": "podium.data.synthetic:open_synthetic",
        "hf": "podium.data.hubrecords:open_hub",
        "folder": "podium.data.sources:open_path",
    },
    error=DataError,
    hint='([data] source is "synthetic", "hf:owner/name" or a folder)',
)
_SCHEME = re.compile(r"^(?P<scheme>[a-z][a-z0-9+-]+):")


def source_kind(source: str, base_dir: Path) -> str:
    """ "synthetic", a scheme before ":" (unless a folder of that name exists), or "folder"."""
    if source == "synthetic":
        return source
    scheme = _SCHEME.match(source)
    if scheme is None or (base_dir / Path(source).expanduser()).exists():
        return "folder"
    return scheme["scheme"]


def open_examples(
    source: str,
    base_dir: Path,
    tasks: Sequence[Task],
    languages: Mapping[str, Sequence[str]],
    *,
    seed: int = 0,
    data: DataSpec | None = None,
) -> ExampleSource:
    """The labelled examples of a source, labelled with its name; a folder is streamed.
    `data` gives the column mapping and types of record sources (`podium.data.rows`)."""
    opener = SOURCES.load(source_kind(source, base_dir))
    opened: ExampleSource = opener(source, base_dir, tasks, languages, seed=seed, data=data)
    return opened


def open_path(
    source: str,
    base_dir: Path,
    tasks: Sequence[Task],
    languages: Mapping[str, Sequence[str]],
    *,
    seed: int = 0,
    data: DataSpec | None = None,
) -> ExampleSource:
    """A folder: a parquet copy of google/xtreme, or the tasks' files (`open_folder`)."""
    from podium.data.huggingface import is_parquet_copy, read_parquet_dir

    folder = Path(source).expanduser()
    if not folder.is_absolute():
        folder = base_dir / folder
    if not folder.is_dir():
        raise DataError(
            "the data source is not a folder"
            if folder.exists()
            else "the data source folder does not exist",
            where=str(folder),
            hint="set [data] source to a folder of the tasks' data (XTREME, JSONL, CSV/TSV or "
            'parquet files), a parquet copy of google/xtreme, "hf:owner/name" or "synthetic"',
        )
    if is_parquet_copy(folder) and not _holds_tasks(folder, tasks):
        return PoolSource(read_parquet_dir(folder, tasks, languages), str(folder))
    return open_folder(folder, tasks, languages, data)


def _holds_tasks(folder: Path, tasks: Sequence[Task]) -> bool:
    """Whether every task has its folder or file (google/xtreme's configs are named otherwise)."""
    from podium.data.rows import RECORD_FORMATS

    return all(
        (folder / t.id).is_dir() or any((folder / f"{t.id}.{f}").is_file() for f in RECORD_FORMATS)
        for t in tasks
    )


def open_folder(
    folder: Path,
    tasks: Sequence[Task],
    languages: Mapping[str, Sequence[str]] | None = None,
    data: DataSpec | None = None,
) -> ExampleSource:
    """A folder of the tasks' data, each task in the XTREME layout or as records (`tables`)."""
    from podium.data.tables import (
        XTREME,
        RecordFolderSource,
        TaskSources,
        check_top_level,
        layout_of,
    )

    layouts = {task.id: layout_of(folder, task, data) for task in tasks}
    xtreme = [t for t in tasks if layouts[t.id] == XTREME]
    if len(xtreme) == len(tasks):
        return FolderSource(folder, tasks, languages)
    check_top_level(folder, tasks)
    others = [t for t in tasks if layouts[t.id] != XTREME]
    records = RecordFolderSource(folder, others, languages, data)
    if not xtreme:
        return records
    by_task: dict[str, ExampleSource] = {t.id: records for t in others}
    xtreme_source = FolderSource(folder, xtreme, languages)
    by_task.update({t.id: xtreme_source for t in xtreme})
    return TaskSources(by_task, str(folder))


def load_examples(
    source: str,
    base_dir: Path,
    tasks: Sequence[Task],
    languages: Mapping[str, Sequence[str]],
    *,
    seed: int = 0,
    data: DataSpec | None = None,
) -> tuple[Pools, str]:
    """The labelled examples of a source in memory, with a label naming that source."""
    opened = open_examples(source, base_dir, tasks, languages, seed=seed, data=data)
    if isinstance(opened, FolderSource):
        return read_pools(opened, {task.id: task for task in tasks}), opened.label
    if isinstance(opened, PoolSource):
        return {k: list(v) for k, v in opened.pools.items()}, opened.label
    pools = {
        (t.id, lang): list(opened.examples(t, lang)) for t in tasks for lang in languages[t.id]
    }
    return {key: pool for key, pool in pools.items() if pool}, opened.label


def read_pools(source: FolderSource, tasks: Mapping[str, Task]) -> Pools:
    return {(t, lang): list(source.examples(tasks[t], lang)) for t, lang in source.files}


def open_source(spec: CompetitionSpec, base_dir: Path, registry: TaskRegistry) -> ExampleSource:
    """The spec's source, streamed when it is a folder (relative folders are taken from base_dir)."""
    tasks = [registry.get(t) for t in spec.tasks]
    languages = {t: spec.task_languages(t, registry) for t in spec.tasks}
    return open_examples(
        spec.data.source, base_dir, tasks, languages, seed=spec.data.seed, data=spec.data
    )


def load_source(spec: CompetitionSpec, base_dir: Path, registry: TaskRegistry) -> tuple[Pools, str]:
    """The labelled examples of the spec's source in memory (relative folders from base_dir)."""
    tasks = [registry.get(t) for t in spec.tasks]
    languages = {t: spec.task_languages(t, registry) for t in spec.tasks}
    return load_examples(
        spec.data.source, base_dir, tasks, languages, seed=spec.data.seed, data=spec.data
    )
