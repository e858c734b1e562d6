"""The public data of a competition, as the baseline trains and validates on it.

A team has either the competition folder (competition.toml + public/) or only the exported
public data ({task}/{split}-{lang}.tsv); both work. Reading reuses podium's XTREME readers, so
the baseline sees exactly what teams were handed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from podium.config.layout import CompetitionLayout
from podium.config.spec import SPEC_FILENAME, load_spec
from podium.core.errors import DataError
from podium.data.examples import Example, PairExample, TaggedExample
from podium.data.xtreme import FILE_PATTERN, read_xtreme_file
from podium.tasks import Task, default_registry

DEFAULT_TASKS = ("xnli", "pawsx", "udpos", "panx")
Key = tuple[str, str]  # (task id, language)


@dataclass(frozen=True)
class Corpus:
    """Labelled train and dev examples per (task, language), and the tasks they belong to."""

    tasks: tuple[Task, ...]
    train: dict[Key, list[Example]]
    dev: dict[Key, list[Example]]
    root: Path

    def task(self, task_id: str) -> Task:
        return next(t for t in self.tasks if t.id == task_id)

    def texts(self) -> Iterator[str]:
        """Every training text: what a tokenizer trained from scratch learns from."""
        for examples in self.train.values():
            for ex in examples:
                if isinstance(ex, PairExample):
                    yield ex.text_a
                    yield ex.text_b
                elif isinstance(ex, TaggedExample):
                    yield " ".join(ex.tokens)


def public_dir(folder: Path) -> tuple[Path, list[str] | None, dict[str, list[str]] | None]:
    """(public data folder, task ids, languages per task) of a competition or public folder."""
    spec_file = folder / SPEC_FILENAME
    if spec_file.is_file():
        registry = default_registry()  # the kit knows the XTREME tasks only
        spec = load_spec(spec_file, registry)
        tasks = list(spec.tasks)
        languages = {t: spec.task_languages(t, registry) for t in tasks}
        return CompetitionLayout(folder).public_dir, tasks, languages
    return folder, None, None


def load_corpus(folder: Path, task_ids: Sequence[str] | None = None) -> Corpus:
    """Read train-*.tsv and dev-*.tsv of every task; a task without training data is an error."""
    if not folder.is_dir():
        raise DataError(
            "no such folder",
            where=str(folder),
            hint="give a competition folder or the public data (podium data export)",
        )
    root, spec_tasks, languages = public_dir(folder)
    if not root.is_dir():
        raise DataError(
            "the competition has no public data yet",
            where=str(root),
            hint=f"run `podium data prepare -c {folder}` first",
        )
    registry = default_registry()
    chosen = list(task_ids or spec_tasks or DEFAULT_TASKS)
    tasks = tuple(registry.get(t) for t in chosen)
    train: dict[Key, list[Example]] = {}
    dev: dict[Key, list[Example]] = {}
    for task in tasks:
        wanted = set(languages[task.id]) if languages and task.id in languages else None
        for split, into in (("train", train), ("dev", dev)):
            for path in sorted((root / task.id).glob(f"{split}-*.tsv")):
                match = FILE_PATTERN.match(path.name)
                if match is None or match["lang"] not in task.languages:
                    continue
                if wanted is not None and match["lang"] not in wanted:
                    continue
                labelled = [ex for ex in read_xtreme_file(path, task) if _labelled(ex)]
                if labelled:
                    into.setdefault((task.id, match["lang"]), []).extend(labelled)
        if not any(key[0] == task.id for key in train):
            raise DataError(
                f"no training data for task {task.id!r}",
                where=str(root / task.id),
                hint=f"expected {task.id}/train-{{lang}}.tsv with labels; "
                "choose the tasks to train with --tasks",
            )
    return Corpus(tasks=tasks, train=train, dev=dev, root=root)


def _labelled(ex: Example) -> bool:
    if isinstance(ex, TaggedExample):
        return ex.tags is not None and len(ex.tags) == len(ex.tokens) > 0
    return ex.label is not None
