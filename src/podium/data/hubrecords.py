"""Records from a Hugging Face dataset: `[data] source = "hf:owner/name"` with a column mapping.

Each task's config is `[data] hf_config` (one for all tasks, or a table per task; default: the
dataset's default config); its splits (`[data] hf_splits`, default all, in name order) are
pooled like a folder's split files. Rows become records by `podium.data.rows` (the same column
mapping and types as files); a `ClassLabel` answer column gives its class names. A record's
language comes from the language column, or is the task's only language.

google/xtreme's own configs keep their reader (`podium.data.huggingface`): a source is read as
records when a task is not one of XTREME's, or `[data] columns` or `hf_config` is set.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from podium.config.spec import DataSpec
from podium.core.errors import DataError
from podium.core.suggest import did_you_mean
from podium.data.examples import GenericExample
from podium.data.rows import RowMap, missing_column
from podium.data.tables import row_map, xtreme_shaped
from podium.tasks import Task

if TYPE_CHECKING:
    from podium.data.sources import ExampleSource

# (dataset, config or None) -> {split name: a datasets.Dataset}
DatasetLoader = Callable[[str, str | None], Mapping[str, Any]]
_XTREME_TASKS = ("xnli", "pawsx", "panx", "udpos")


def hub_records(tasks: Sequence[Task], data: DataSpec | None) -> bool:
    """Whether an `hf:` source is read as records rather than google/xtreme's configs."""
    if data is not None and (data.columns or data.hf_config is not None):
        return True
    return not all(t.id in _XTREME_TASKS and xtreme_shaped(t, data) for t in tasks)


def load_dataset_dict(dataset: str, config: str | None) -> Mapping[str, Any]:
    """Every split of a hub dataset, with the `datasets` library."""
    from podium.data.huggingface import HUB_PREFIX

    try:
        import datasets
    except ImportError:
        raise DataError(
            "loading from a Hugging Face hub needs the `datasets` library",
            hint="pip install 'podium[hub]', or save the data as parquet files in a folder",
        ) from None
    try:
        loaded = datasets.load_dataset(dataset, config)
    except Exception as err:  # offline, unknown config, auth: all end the same way here
        first = str(err).splitlines()[0] if str(err) else ""
        raise DataError(
            f"could not load {dataset}{f' config {config}' if config else ''} from the hub "
            f"({type(err).__name__}: {first})",
            where=f"{HUB_PREFIX}{dataset}",
            hint="without a reachable hub, save its splits as {task}/{split}-{lang}.parquet "
            "files and set [data] source to that folder",
        ) from None
    return loaded  # type: ignore[no-any-return]


class HubRecordSource:
    """Each task's rows of a hub dataset, loaded once (Arrow, memory-mapped) and read per
    language as asked."""

    def __init__(
        self,
        dataset: str,
        tasks: Sequence[Task],
        languages: Mapping[str, Sequence[str]] | None = None,
        data: DataSpec | None = None,
        *,
        label: str = "",
        loader: DatasetLoader | None = None,
    ) -> None:
        load = loader or load_dataset_dict
        self.label = label or f"hf:{dataset}"
        self.maps: dict[str, RowMap] = {}
        self.splits: dict[str, list[tuple[str, Any]]] = {}
        self.wanted = {
            t.id: set(languages[t.id]) if languages and t.id in languages else set(t.languages)
            for t in tasks
        }
        for task in tasks:
            config = _config(data, task)
            loaded = load(dataset, config)
            names = sorted(loaded)
            chosen = data.hf_splits if data is not None and data.hf_splits else names
            for split in chosen:
                if split not in loaded:
                    raise DataError(
                        f"{dataset} has no split {split!r}",
                        where=self.label,
                        hint=did_you_mean(split, names) + " ([data] hf_splits)",
                    )
            m = row_map(task, data)
            first = loaded[chosen[0]] if chosen else None
            features = getattr(first, "features", None) or {}
            answer = features.get(m.answer_column)
            names_of = getattr(answer, "names", None) or getattr(
                getattr(answer, "feature", None), "names", None
            )
            if names_of:
                m = RowMap(task, m.columns, m.types, m.language_column, tuple(names_of))
            self.maps[task.id] = m
            self.splits[task.id] = [(s, loaded[s]) for s in chosen]
            for split, ds in self.splits[task.id]:
                columns = list(getattr(ds, "column_names", None) or [])
                where = f"{self.label} {config or ''}/{split}".replace(" /", " ")
                for name in m.needed():
                    if name not in columns:
                        raise missing_column(name, columns, where, m)
                if len(task.languages) > 1 and m.language not in columns:
                    raise missing_column(m.language, columns, where, m)

    def examples(self, task: Task, lang: str) -> Iterator[GenericExample]:
        if lang not in self.wanted.get(task.id, ()):
            return
        m = self.maps[task.id]
        for split, ds in self.splits.get(task.id, []):
            for row_no, row in enumerate(ds):
                where = f"{self.label} {split} row {row_no}"
                got = row.get(m.language, None)
                if got is None:
                    got = task.languages[0] if len(task.languages) == 1 else None
                if got not in task.languages:
                    raise DataError(
                        f"{task.id} has no language {got!r}",
                        where=where,
                        hint=did_you_mean(str(got), task.languages),
                    )
                if got == lang:
                    yield m.example(row, where, text=False)


def _config(data: DataSpec | None, task: Task) -> str | None:
    if data is None or data.hf_config is None:
        return None
    if isinstance(data.hf_config, str):
        return data.hf_config
    return data.hf_config.get(task.id)


def open_hub(
    source: str,
    base_dir: Path,
    tasks: Sequence[Task],
    languages: Mapping[str, Sequence[str]],
    *,
    seed: int = 0,
    data: DataSpec | None = None,
) -> ExampleSource:
    """`[data] source = "hf:owner/name"` (`podium.data.sources.SOURCES`): records streamed
    from the hub when the tasks map columns, else google/xtreme's configs in memory."""
    from podium.data.huggingface import HUB_PREFIX, load_from_hub
    from podium.data.sources import PoolSource

    dataset = source[len(HUB_PREFIX) :].strip("/")
    if hub_records(tasks, data):
        return HubRecordSource(dataset, tasks, languages, data, label=source)
    return PoolSource(load_from_hub(dataset, tasks, languages), source)
