"""The Hugging Face `google/xtreme` dataset: from a hub, or from a local copy of its parquet layout.

Configs and columns, as that dataset publishes them:

| config | columns | labels |
|---|---|---|
| `XNLI` (all languages) | language, sentence1, sentence2, gold_label | strings |
| `PAWS-X.{lang}` | sentence1, sentence2, label | "0" / "1" |
| `PAN-X.{lang}` | tokens, ner_tags, langs | class indices into `PANX_TAG_NAMES` |
| `udpos.{Language}` | tokens, pos_tags | class indices into `UPOS_TAG_NAMES` |

A local copy holds `{config}/{split}-00000-of-00001.parquet` (or `{config}/{split}/*.parquet`,
the hub's converted layout). Splits are `train`, `validation` and `test`; `validation` is
XTREME's `dev`. Per task and language the splits are pooled in the order of their XTREME names
(dev, test, train), the order the XTREME folder reader uses, so both sources seal identical
sets. Configs of other XTREME tasks (MLQA, XQuAD, BUCC, ...) are ignored.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from podium.core.errors import DataError
from podium.core.suggest import did_you_mean
from podium.data.examples import Example, PairExample, TaggedExample, with_origins
from podium.tasks import Task
from podium.tasks.xtreme import PANX_TAGS, UPOS_TAGS

if TYPE_CHECKING:
    import pyarrow as pa

HUB_PREFIX = "hf:"
DEFAULT_HUB_DATASET = "google/xtreme"

# The ClassLabel names of google/xtreme, in index order: the tasks' own tag sets.
PANX_TAG_NAMES = PANX_TAGS
UPOS_TAG_NAMES = UPOS_TAGS

# udpos configs are named by language; XTREME's 33 UD-POS languages.
UDPOS_CONFIG_LANGUAGES = {
    "Afrikaans": "af",
    "Arabic": "ar",
    "Basque": "eu",
    "Bulgarian": "bg",
    "Chinese": "zh",
    "Dutch": "nl",
    "English": "en",
    "Estonian": "et",
    "Finnish": "fi",
    "French": "fr",
    "German": "de",
    "Greek": "el",
    "Hebrew": "he",
    "Hindi": "hi",
    "Hungarian": "hu",
    "Indonesian": "id",
    "Italian": "it",
    "Japanese": "ja",
    "Kazakh": "kk",
    "Korean": "ko",
    "Marathi": "mr",
    "Persian": "fa",
    "Portuguese": "pt",
    "Russian": "ru",
    "Spanish": "es",
    "Tagalog": "tl",
    "Tamil": "ta",
    "Telugu": "te",
    "Thai": "th",
    "Turkish": "tr",
    "Urdu": "ur",
    "Vietnamese": "vi",
    "Yoruba": "yo",
}
_UDPOS_CONFIG_NAMES = {code: name for name, code in UDPOS_CONFIG_LANGUAGES.items()}

SPLIT_NAMES = {"train": "train", "validation": "dev", "test": "test"}
_FILE_SPLIT = re.compile(r"^(?P<split>[A-Za-z_]+?)(-\d{5}-of-\d{5})?\.parquet$")


@dataclass(frozen=True)
class ConfigKind:
    """One family of google/xtreme configs and how it maps onto a podium task."""

    prefix: str
    task: str
    columns: tuple[str, ...]
    tag_column: str | None = None
    tag_names: tuple[str, ...] = ()


KINDS = (
    ConfigKind("XNLI", "xnli", ("language", "sentence1", "sentence2", "gold_label")),
    ConfigKind("PAWS-X", "pawsx", ("sentence1", "sentence2", "label")),
    ConfigKind("PAN-X", "panx", ("tokens", "ner_tags", "langs"), "ner_tags", PANX_TAG_NAMES),
    ConfigKind("udpos", "udpos", ("tokens", "pos_tags"), "pos_tags", UPOS_TAG_NAMES),
)
_BY_TASK = {k.task: k for k in KINDS}
_BY_PREFIX = {k.prefix: k for k in KINDS}


def config_names(task: str, languages: Iterable[str]) -> list[str]:
    """The hub configs that hold a task's languages."""
    kind = _BY_TASK.get(task)
    if kind is None:
        raise DataError(
            f"google/xtreme has no config for task {task!r}",
            hint=f"it provides: {', '.join(sorted(_BY_TASK))}",
        )
    if task == "xnli":
        return ["XNLI"]
    if task == "udpos":
        return [f"udpos.{_UDPOS_CONFIG_NAMES[lang]}" for lang in languages]
    return [f"{kind.prefix}.{lang}" for lang in languages]


def parse_config(name: str, where: str) -> tuple[ConfigKind, str | None] | None:
    """(kind, language or None for XNLI) of a config name; None for other XTREME tasks."""
    prefix, _, suffix = name.partition(".")
    kind = _BY_PREFIX.get(prefix)
    if kind is None:
        return None
    if kind.task == "xnli":
        return (kind, None) if not suffix else None
    if kind.task == "udpos":
        lang = UDPOS_CONFIG_LANGUAGES.get(suffix)
        if lang is None:
            raise DataError(
                f"unknown udpos config {name!r}",
                where=where,
                hint=did_you_mean(suffix, list(UDPOS_CONFIG_LANGUAGES))
                + " (udpos configs are named by language, e.g. udpos.English)",
            )
        return kind, lang
    return kind, suffix


def _label_names(schema: pa.Schema, column: str, default: tuple[str, ...]) -> tuple[str, ...]:
    """ClassLabel names from the `huggingface` schema metadata, else the published list."""
    meta = (schema.metadata or {}).get(b"huggingface")
    if not meta:
        return default
    try:
        features = json.loads(meta)["info"]["features"]
        names = features[column]["feature"]["names"]
    except (ValueError, KeyError, TypeError):
        return default
    return tuple(str(n) for n in names) if isinstance(names, list) else default


def table_examples(
    table: pa.Table,
    kind: ConfigKind,
    task: Task,
    where: str,
    *,
    language: str | None = None,
    tag_names: Sequence[str] | None = None,
) -> dict[str, list[Example]]:
    """Examples per language of one config split; errors name the source and row."""
    found = list(table.column_names)
    if sorted(found) != sorted(kind.columns):
        extra = [c for c in found if c not in kind.columns]
        missing = [c for c in kind.columns if c not in found]
        raise DataError(
            f"{kind.prefix} columns do not match google/xtreme"
            + (f": unexpected {', '.join(extra)}" if extra else "")
            + (f"; missing {', '.join(missing)}" if missing else ""),
            where=where,
            hint=f"expected exactly: {', '.join(kind.columns)}",
        )
    cols: dict[str, list[Any]] = {name: table.column(name).to_pylist() for name in found}
    if table.num_rows == 0:
        raise DataError("the split is empty", where=where, hint="remove the file or fill it")
    if kind.task == "xnli":
        return _pairs(cols, task, where, "gold_label", cols["language"])
    if kind.task == "pawsx":
        return _pairs(cols, task, where, "label", [language] * table.num_rows)
    assert kind.tag_column is not None
    names = tuple(tag_names or _label_names(table.schema, kind.tag_column, kind.tag_names))
    return {str(language): _tagged(cols["tokens"], cols[kind.tag_column], names, task, where)}


def _pairs(
    cols: Mapping[str, list[Any]], task: Task, where: str, label_col: str, langs: Sequence[Any]
) -> dict[str, list[Example]]:
    out: dict[str, list[Example]] = {}
    for row, (a, b, label, lang) in enumerate(
        zip(cols["sentence1"], cols["sentence2"], cols[label_col], langs, strict=True)
    ):
        here = f"{where} row {row}"
        if not isinstance(a, str) or not isinstance(b, str):
            raise DataError("sentence1 and sentence2 must be strings", where=here)
        value = str(label).strip() if label is not None else ""
        if value not in task.labels:
            raise DataError(
                f"{label_col} {label!r} is not a {task.id} label",
                where=here,
                hint=f"allowed: {', '.join(task.labels)}",
            )
        out.setdefault(str(lang), []).append(PairExample(text_a=a, text_b=b, label=value))
    return out


def _tagged(
    tokens_col: list[Any], tags_col: list[Any], names: Sequence[str], task: Task, where: str
) -> list[Example]:
    out: list[Example] = []
    for row, (tokens, tags) in enumerate(zip(tokens_col, tags_col, strict=True)):
        here = f"{where} row {row}"
        if not tokens:
            continue  # XTREME's files hold no empty sentences either
        if tags is None or len(tags) != len(tokens):
            raise DataError(
                f"{len(tokens)} tokens but {0 if tags is None else len(tags)} tags", where=here
            )
        words: list[str] = []
        for tag in tags:
            if isinstance(tag, int) and not isinstance(tag, bool):
                if not 0 <= tag < len(names):
                    raise DataError(
                        f"tag index {tag} is outside the {len(names)} class names",
                        where=here,
                        hint=f"class names: {', '.join(names)}",
                    )
                words.append(names[tag])
            else:
                words.append(str(tag))
        bad = next((t for t in words if t not in task.labels), None)
        if bad is not None:
            raise DataError(
                f"tag {bad!r} is not a {task.id} tag",
                where=here,
                hint=f"allowed: {', '.join(task.labels)}",
            )
        out.append(TaggedExample(tuple(str(t) for t in tokens), tuple(words)))
    return out


def _pool(
    parts: Iterable[tuple[str, str, str, list[Example]]],
) -> dict[tuple[str, str], list[Example]]:
    """Pool (task, xtreme split, lang, examples) in XTREME's file order: split name, then lang."""
    result: dict[tuple[str, str], list[Example]] = {}
    for task, split, lang, examples in sorted(parts, key=lambda p: (p[0], p[1])):
        result.setdefault((task, lang), []).extend(with_origins(examples, split))
    return result


def _wanted(
    tasks: Sequence[Task], languages: Mapping[str, Sequence[str]] | None
) -> dict[str, tuple[Task, set[str]]]:
    return {
        t.id: (t, set(languages[t.id]) if languages and t.id in languages else set(t.languages))
        for t in tasks
    }


def _check_language(task: Task, lang: str, where: str) -> None:
    if lang not in task.languages:
        raise DataError(
            f"{task.id} has no language {lang!r}",
            where=where,
            hint=did_you_mean(lang, task.languages),
        )


def _split_of(path: Path, config_dir: Path) -> str:
    """`{split}-00000-of-00001.parquet` directly in the config folder, or `{split}/*.parquet`."""
    rel = path.relative_to(config_dir)
    if len(rel.parts) > 1:
        split = rel.parts[0]
    else:
        match = _FILE_SPLIT.match(path.name)
        split = match["split"] if match else path.name
    if split not in SPLIT_NAMES:
        raise DataError(
            "cannot tell the split of a parquet file",
            where=str(path),
            hint="name it {split}-00000-of-00001.parquet with split train, validation or test",
        )
    return SPLIT_NAMES[split]


def is_parquet_copy(folder: Path) -> bool:
    """Whether a folder looks like a local copy of google/xtreme's parquet layout."""
    return folder.is_dir() and (
        any(folder.glob("*/*.parquet")) or any(folder.glob("*/*/*.parquet"))
    )


def read_parquet_dir(
    root: Path,
    tasks: Sequence[Task],
    languages: Mapping[str, Sequence[str]] | None = None,
) -> dict[tuple[str, str], list[Example]]:
    """Labelled examples of a local google/xtreme parquet copy, pooled per (task, language)."""
    import pyarrow.parquet as pq

    wanted = _wanted(tasks, languages)
    parts: list[tuple[str, str, str, list[Example]]] = []
    for config_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        parsed = parse_config(config_dir.name, str(config_dir))
        if parsed is None or parsed[0].task not in wanted:
            continue
        kind, lang = parsed
        task, langs = wanted[kind.task]
        if lang is not None:
            _check_language(task, lang, str(config_dir))
            if lang not in langs:
                continue
        for path in sorted(config_dir.rglob("*.parquet")):
            split = _split_of(path, config_dir)
            try:
                table = pq.read_table(path)
            except Exception as err:  # pyarrow raises several types for damaged files
                raise DataError(f"not a readable parquet file ({err})", where=str(path)) from None
            for got_lang, examples in table_examples(
                table, kind, task, str(path), language=lang
            ).items():
                _check_language(task, got_lang, f"{path} (language column)")
                if got_lang in langs:
                    parts.append((task.id, split, got_lang, examples))
    _require_tasks(parts, wanted, str(root))
    return _pool(parts)


def _require_tasks(
    parts: Sequence[tuple[str, str, str, list[Example]]],
    wanted: Mapping[str, tuple[Task, set[str]]],
    where: str,
) -> None:
    have = {p[0] for p in parts}
    missing = [t for t in wanted if t not in have]
    if missing:
        expected = {t: config_names(t, sorted(wanted[t][1]))[:2] for t in missing}
        raise DataError(
            f"no google/xtreme data for {', '.join(missing)}",
            where=where,
            hint="expected configs such as "
            + "; ".join(f"{t}: {', '.join(c)}" for t, c in expected.items())
            + ", each with {split}-00000-of-00001.parquet files",
        )


HubLoader = Callable[[str, str], Mapping[str, Any]]


def _datasets_loader(dataset: str, config: str) -> Mapping[str, Any]:
    try:
        import datasets
    except ImportError:
        raise DataError(
            "loading from a Hugging Face hub needs the `datasets` library",
            hint="pip install 'podium[hub]', or use a local parquet copy",
        ) from None
    try:
        return datasets.load_dataset(dataset, config)  # type: ignore[no-any-return]
    except Exception as err:  # offline, unknown config, auth: all end the same way here
        raise DataError(
            f"could not load {dataset} config {config} from the hub ({type(err).__name__}: "
            f"{str(err).splitlines()[0] if str(err) else ''})",
            where=f"{HUB_PREFIX}{dataset}",
            hint="without a reachable hub, download its parquet files elsewhere and set "
            "[data] source to that folder ({config}/{split}-00000-of-00001.parquet)",
        ) from None


def load_from_hub(
    dataset: str,
    tasks: Sequence[Task],
    languages: Mapping[str, Sequence[str]] | None = None,
    *,
    loader: HubLoader | None = None,
) -> dict[tuple[str, str], list[Example]]:
    """Labelled examples of `dataset` (google/xtreme's configs) loaded with `datasets`."""
    load = loader or _datasets_loader
    wanted = _wanted(tasks, languages)
    parts: list[tuple[str, str, str, list[Example]]] = []
    for task, langs in wanted.values():
        for config in config_names(task.id, sorted(langs)):
            parsed = parse_config(config, config)
            assert parsed is not None
            kind, lang = parsed
            splits = load(dataset, config)
            for split_name, ds in splits.items():
                split = SPLIT_NAMES.get(split_name, split_name)
                table = ds.with_format("arrow")[:]
                names = None
                if kind.tag_column is not None:
                    names = ds.features[kind.tag_column].feature.names
                where = f"{HUB_PREFIX}{dataset} {config}/{split_name}"
                for got_lang, examples in table_examples(
                    table, kind, task, where, language=lang, tag_names=names
                ).items():
                    if got_lang in langs:
                        parts.append((task.id, split, got_lang, examples))
    return _pool(parts)
