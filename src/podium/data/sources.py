"""Where a competition's labelled data comes from: one `[data] source` string, four formats.

- `"synthetic"`: generated demo data (no files);
- `"hf:google/xtreme"` (or `hf:` + another dataset with the same configs): loaded with the
  `datasets` library from a Hugging Face hub;
- a folder holding a local copy of google/xtreme's parquet layout
  (`{config}/{split}-00000-of-00001.parquet`);
- a folder in the XTREME format (`{task}/{split}-{lang}.tsv`), where a tagging task's folder may
  also hold Universal Dependencies `.conllu` files (at any depth, e.g. a UD release unpacked
  into `udpos/`), read the XTREME way (see `podium.data.conllu`).

Every reader returns the same in-memory examples, pooled per (task, language).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from podium.data.examples import Example
from podium.errors import DataError
from podium.spec import CompetitionSpec
from podium.suggest import did_you_mean
from podium.tasks import Task, TaskRegistry

Pools = dict[tuple[str, str], list[Example]]


def read_folder(
    root: Path, tasks: Sequence[Task], languages: Mapping[str, Sequence[str]] | None = None
) -> Pools:
    """An XTREME-format folder, with CoNLL-U treebanks accepted in tagging-task folders."""
    from podium.data.conllu import language_of, read_conllu_file
    from podium.data.xtreme import read_xtreme_dir

    pools = read_xtreme_dir(root, tasks, languages)
    for task in tasks:
        if task.is_pair:
            continue
        wanted = set(languages[task.id]) if languages and task.id in languages else None
        for path in sorted((root / task.id).rglob("*.conllu")):
            lang = language_of(path)
            if lang not in task.languages:
                raise DataError(
                    f"{task.id} has no language {lang!r}",
                    where=str(path),
                    hint=did_you_mean(lang, task.languages),
                )
            if wanted is not None and lang not in wanted:
                continue
            pools.setdefault((task.id, lang), []).extend(read_conllu_file(path, task, lang))
    return pools


def load_examples(
    source: str,
    base_dir: Path,
    tasks: Sequence[Task],
    languages: Mapping[str, Sequence[str]],
    *,
    seed: int = 0,
) -> tuple[Pools, str]:
    """The labelled examples of a source, with a label naming that source."""
    from podium.data.huggingface import (
        HUB_PREFIX,
        is_parquet_copy,
        load_from_hub,
        read_parquet_dir,
    )

    if source == "synthetic":
        from podium.data.synthetic import generate_examples

        return generate_examples(tasks, languages, seed=seed), "synthetic"
    if source.startswith(HUB_PREFIX):
        dataset = source[len(HUB_PREFIX) :].strip("/")
        return load_from_hub(dataset, tasks, languages), source
    folder = Path(source).expanduser()
    if not folder.is_absolute():
        folder = base_dir / folder
    if not folder.is_dir():
        raise DataError(
            "the data source is not a folder"
            if folder.exists()
            else "the data source folder does not exist",
            where=str(folder),
            hint="set [data] source to an XTREME-format folder, a parquet copy of google/xtreme, "
            '"hf:google/xtreme" or "synthetic"',
        )
    if is_parquet_copy(folder):
        return read_parquet_dir(folder, tasks, languages), str(folder)
    return read_folder(folder, tasks, languages), str(folder)


def load_source(spec: CompetitionSpec, base_dir: Path, registry: TaskRegistry) -> tuple[Pools, str]:
    """The labelled examples of the spec's source (relative folders are taken from base_dir)."""
    tasks = [registry.get(t) for t in spec.tasks]
    languages = {t: spec.task_languages(t, registry) for t in spec.tasks}
    return load_examples(spec.data.source, base_dir, tasks, languages, seed=spec.data.seed)
