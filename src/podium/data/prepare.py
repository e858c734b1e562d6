"""Preparing and sealing data: a deterministic split by hash, written atomically.

Each (task, language) pool is de-duplicated by inputs, then every example goes to a split
by `sha256(seed, task, language, group)`: the same source and seed give the same split,
identical inputs can never land in two splits, and ids never depend on labels.

`prepare` streams: a first pass keeps a few numbers per example (`splitting`), a second reads
the source again and writes each kept example to a scratch file, copied out in id order. Memory
follows the number of examples and groups, not their text.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import BinaryIO

from pydantic import BaseModel, ConfigDict

from podium.config.layout import SPLITS_SEALED, CompetitionLayout
from podium.config.spec import CompetitionSpec, DataSpec
from podium.core.digest import sha256_file
from podium.core.errors import DataError
from podium.data.canaries import (
    Vocabulary,
    load_hook,
    perturbation_of,
    seal_canaries,
    why_no_canaries,
)
from podium.data.contrast import contrast_of, why_no_contrast
from podium.data.examples import Example, GenericExample, PairExample
from podium.data.grouping import Group, GroupIndex, digest, split_groups
from podium.data.jsonl import json_line
from podium.data.sources import ExampleSource, PoolSource
from podium.data.splitting import (
    DROPPED,
    SPLITS,
    LanguageIndex,
    assign,
    example_id,
    index_language,
    split_of,
)
from podium.data.xtreme import xtreme_text
from podium.tasks import Task, TaskRegistry

MANIFEST_FORMAT = 1
_TOP = ("public", "sealed")


class CanaryRecord(BaseModel):
    """What `prepare` did about canaries: the share asked, the seed, each task's perturbation
    (None: the task has none, and why) and how many each sealed split got."""

    model_config = ConfigDict(extra="forbid")

    share: float
    seed: int
    perturbations: dict[str, str | None]  # task -> perturbation, None: no canaries
    notes: dict[str, str] = {}  # task -> why it has none
    counts: dict[str, dict[str, dict[str, int]]] = {}  # task -> lang -> split -> canaries
    # contrast canaries (`data.contrast`): the share asked, each task's perturbation (None:
    # none, and why in `contrast_notes`) and how many each sealed split got
    contrast_share: float = 0.0
    contrasts: dict[str, str | None] = {}
    contrast_notes: dict[str, str] = {}
    contrast_counts: dict[str, dict[str, dict[str, int]]] = {}


class Manifest(BaseModel):
    """What `prepare` wrote: counts and the sha256 of every public and sealed file."""

    model_config = ConfigDict(extra="forbid")

    format: int = MANIFEST_FORMAT
    source: str
    seed: int
    fractions: dict[str, float]
    counts: dict[str, dict[str, dict[str, int]]]  # task -> lang -> split -> n
    files: dict[str, str]  # relative posix path -> sha256
    warnings: list[str] = []
    canaries: CanaryRecord | None = None

    def thin(self, minimum: int = 100) -> list[str]:
        """Warnings for languages whose sealed splits are too small to rank teams reliably."""
        out = []
        for task, langs in self.counts.items():
            for lang, counts in langs.items():
                small = {
                    s: counts.get(s, 0) for s in ("eval", "final") if counts.get(s, 0) < minimum
                }
                if small:
                    sizes = ", ".join(f"{s} {n}" for s, n in small.items())
                    out.append(f"{task}/{lang}: only {sizes} examples (< {minimum}); its score "
                               "will be noisy — bring more data or raise the eval/final shares")  # fmt: skip
        return out

    def languages(self, split: str) -> dict[str, list[str]]:
        """Languages with data in a split, per task."""
        return {
            task: [lang for lang, c in langs.items() if c.get(split, 0) > 0]
            for task, langs in self.counts.items()
        }


def assign_splits(
    examples: Sequence[Example],
    *,
    seed: int,
    task: str,
    lang: str,
    fractions: Mapping[str, float],
    cap: int | None = None,
    groups: Mapping[tuple[str, str], Group] | None = None,
) -> dict[str, list[Example]]:
    """Split one pool deterministically; duplicates by inputs keep their first occurrence.

    The rule on examples in memory; `prepare` applies it streaming (`splitting`). The split follows a hash of the example's group (see `grouping`): pairs with a common
    premise, or translations of one source item, never straddle training and evaluation."""
    keyed: dict[str, Example] = {}
    for ex in examples:
        keyed.setdefault(ex.content_key(), ex)
    groups = groups if groups is not None else split_groups({lang: list(keyed.values())})
    hashed = [(digest(str(seed), task, *groups[(lang, key)]), key, ex) for key, ex in keyed.items()]
    if cap is not None and len(hashed) > cap:
        # an independent hash picks which examples to keep, so the kept ones still spread
        # over every split
        hashed.sort(key=lambda item: digest("keep", str(seed), task, lang, item[1]))
        hashed = hashed[:cap]
    out: dict[str, list[Example]] = {s: [] for s in SPLITS}
    ids: set[str] = set()
    for hashed_group, key, ex in hashed:
        split = split_of(int.from_bytes(hashed_group[:8], "big") / 2**64, fractions)
        ex_id = f"{task}-{lang}-{digest('id', str(seed), task, lang, key).hex()[:12]}"
        if ex_id in ids:  # 48 bits: practically never, but never silently
            raise DataError(
                f"{task}/{lang}: two different examples hash to the id {ex_id}",
                hint="change [data] seed",
            )
        ids.add(ex_id)
        out[split].append(_with_id(ex, ex_id))
    for split in out:
        out[split].sort(key=lambda e: e.id)
    return out


def _with_id(ex: Example, ex_id: str) -> Example:
    if isinstance(ex, PairExample):
        return PairExample(ex.text_a, ex.text_b, ex.label, ex_id, ex.origin)
    if isinstance(ex, GenericExample):
        return GenericExample(ex.fields, ex.label, ex_id)
    return type(ex)(ex.tokens, ex.tags, ex_id)


def prepare(
    spec: CompetitionSpec,
    layout: CompetitionLayout,
    examples: Mapping[tuple[str, str], Sequence[Example]] | ExampleSource,
    *,
    source_label: str,
    registry: TaskRegistry,
    force: bool = False,
) -> Manifest:
    """Write public/ and sealed/ (with manifest) atomically; nothing changes on error."""
    if layout.sealed_dir.exists() and not force:
        raise DataError(
            "the data is already prepared",
            where=str(layout.sealed_dir),
            hint="use --force to re-seal (only before any submission)",
        )
    source = PoolSource(examples, source_label) if isinstance(examples, Mapping) else examples
    d = spec.data
    fractions = {"public": d.public, "dev": d.dev, "eval": d.eval, "final": d.final}
    warnings: list[str] = []
    counts: dict[str, dict[str, dict[str, int]]] = {}
    canaries = _canary_record(spec, registry)
    layout.root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".prepare-tmp-", dir=layout.root))
    try:
        staged = CompetitionLayout(tmp)
        for task_id in spec.tasks:
            task = registry.get(task_id)
            languages = spec.task_languages(task_id, registry)
            plan = _CanaryPlan(canaries, task, layout.root)
            sealed, found = _seal_task(staged, source, task, languages, d, fractions, plan)
            warnings.extend(found)
            if sealed:
                counts[task_id] = sealed
        if not counts:
            raise DataError(
                "the source holds no labelled data for the configured tasks and languages",
                where=source_label,
            )
        manifest = Manifest(
            source=source_label,
            seed=d.seed,
            fractions=fractions,
            counts=counts,
            files=_digests(tmp),
            warnings=warnings,
            canaries=canaries,
        )
        staged.manifest_file.write_text(manifest.model_dump_json(indent=2), encoding="utf-8")
        staged.public_dir.mkdir(exist_ok=True)  # even when every example went to eval/final
        _swap_in(tmp, layout.root)
        return manifest
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _canary_record(spec: CompetitionSpec, registry: TaskRegistry) -> CanaryRecord:
    tasks = [registry.get(t) for t in spec.tasks]
    share = spec.integrity.canary_share
    perturbations = {t.id: perturbation_of(t) if share > 0 else None for t in tasks}
    notes = {
        t.id: "canary_share = 0" if share <= 0 else why_no_canaries(t)
        for t in tasks
        if perturbations[t.id] is None
    }
    contrast_share = spec.integrity.contrast_share
    contrasts = {t.id: contrast_of(t) if contrast_share > 0 else None for t in tasks}
    return CanaryRecord(
        share=share,
        seed=spec.data.seed,
        perturbations=perturbations,
        notes=notes,
        contrast_share=contrast_share,
        contrasts=contrasts,
        contrast_notes={
            t.id: "contrast_share = 0" if contrast_share <= 0 else why_no_contrast(t)
            for t in tasks
            if contrasts[t.id] is None
        },
    )


class _CanaryPlan:
    """One task's canaries during `prepare`: the vocabulary each language's public training
    examples give, then the copies added to its sealed splits."""

    def __init__(self, record: CanaryRecord, task: Task, root: Path) -> None:
        self.record, self.task, self.root = record, task, root
        self.active = record.perturbations.get(task.id) is not None
        self.contrast = record.contrasts.get(task.id) is not None

    def vocabulary(self) -> Vocabulary:
        return Vocabulary()

    def seal(self, staged: CompetitionLayout, lang: str, vocab: Vocabulary) -> None:
        if not self.active and not self.contrast:
            return
        hook = load_hook(self.task.canary, self.root) if self.task.canary else None
        for split in SPLITS_SEALED:
            added, contrasts = seal_canaries(
                self.task,
                lang,
                staged.inputs_dir(split) / self.task.id / f"{lang}.jsonl",
                staged.labels_dir(split) / self.task.id / f"{lang}.jsonl",
                share=self.record.share if self.active else 0.0,
                seed=self.record.seed,
                vocab=vocab,
                hook=hook,
                contrast_share=self.record.contrast_share if self.contrast else 0.0,
            )
            if self.active:
                self.record.counts.setdefault(self.task.id, {}).setdefault(lang, {})[split] = added
            if self.contrast:
                per_lang = self.record.contrast_counts.setdefault(self.task.id, {})
                per_lang.setdefault(lang, {})[split] = contrasts


def _seal_task(
    staged: CompetitionLayout,
    source: ExampleSource,
    task: Task,
    languages: Sequence[str],
    d: DataSpec,
    fractions: dict[str, float],
    plan: _CanaryPlan,
) -> tuple[dict[str, dict[str, int]], list[str]]:
    """Index every language first (groups span languages), then split and write each one."""
    groups = GroupIndex(d.seed, task.id)
    capped = d.max_examples_per_language is not None
    indexes = {
        lang: index_language(
            source.examples(task, lang), task, lang, seed=d.seed, groups=groups, capped=capped
        )
        for lang in languages
    }
    counts: dict[str, dict[str, int]] = {}
    warnings: list[str] = []
    for lang in languages:
        index = indexes.pop(lang)
        if not index.total:
            warnings.append(f"{task.id}/{lang}: no labelled data in the source; skipped")
            continue
        if index.problem is not None:
            raise DataError(
                index.problem,
                where=source.label,
                hint="only labelled examples of the task can be sealed; fix or drop it",
            )
        warnings.extend(_duplicate_warnings(task.id, lang, index))
        counts[lang] = _split_language(index, groups, task.id, lang, fractions, d)
        vocab = plan.vocabulary()
        _write_language(staged, source, task, lang, index, vocab)
        plan.seal(staged, lang, vocab)
    return counts, warnings


def _split_language(
    index: LanguageIndex,
    groups: GroupIndex,
    task_id: str,
    lang: str,
    fractions: dict[str, float],
    d: DataSpec,
) -> dict[str, int]:
    """One language's count per split; every sealed split must get some."""
    cap = d.max_examples_per_language
    counts = assign(index, groups, task=task_id, lang=lang, fractions=fractions, cap=cap)
    kept = sum(counts.values())
    for split in SPLITS_SEALED:
        if not counts[split]:
            raise DataError(
                f"{task_id}/{lang}: {index.total} examples ({kept} after de-duplication"
                f" and the cap) leave none for the {split!r} split",
                hint="bring more data for this language, drop it from "
                f"[tasks.{task_id}] languages, or change the [data] shares",
            )
    return counts


def _write_language(
    staged: CompetitionLayout,
    source: ExampleSource,
    task: Task,
    lang: str,
    index: LanguageIndex,
    vocab: Vocabulary,
) -> None:
    """Public train/dev as XTREME files (records of other shapes: JSON Lines); sealed inputs
    and labels as JSON Lines; in id order.

    The second pass: each kept example's lines go to an anonymous scratch file as the source is
    read again, then each output file is copied from it in id order."""
    placed: list[list[tuple[int, int, int, int]]] = [[] for _ in SPLITS]  # id, offset, sizes
    generic = False  # records of other shapes: public files in JSON Lines
    with tempfile.TemporaryFile(dir=staged.root) as scratch:
        offset = 0
        for i, ex in _kept(source, task, lang, index):
            ex_id = example_id(task.id, lang, index.ids[i])
            part = index.splits[i]
            vocab.observe(ex, public=SPLITS[part] == "train")
            if SPLITS[part] in SPLITS_SEALED:
                labelled = _with_id(ex, ex_id)
                first = json_line(labelled.input_record()).encode("utf-8")
                second = json_line(labelled.label_record()).encode("utf-8")
            elif isinstance(ex, GenericExample):
                generic = True
                public = _with_id(ex, ex_id)
                record = {
                    **public.input_record(),
                    ex.answer_key: public.label_record()[ex.answer_key],
                }
                first, second = json_line(record).encode("utf-8"), b""
            else:
                first, second = xtreme_text(ex).encode("utf-8"), b""
            scratch.write(first + second)
            placed[part].append((index.ids[i], offset, len(first), len(second)))
            offset += len(first) + len(second)
        scratch.flush()
        for split, entries in zip(SPLITS, placed, strict=True):
            suffix = "jsonl" if generic else "tsv"
            _copy_out(staged, task.id, lang, split, sorted(entries), scratch.fileno(), suffix)


def _copy_out(
    staged: CompetitionLayout,
    task_id: str,
    lang: str,
    split: str,
    entries: Sequence[tuple[int, int, int, int]],
    scratch: int,
    suffix: str = "tsv",
) -> None:
    """One split's files from the scratch file, in the order of `entries`."""
    if split in SPLITS_SEALED:
        with (
            _create(staged.inputs_dir(split) / task_id / f"{lang}.jsonl") as inputs,
            _create(staged.labels_dir(split) / task_id / f"{lang}.jsonl") as labels,
        ):
            for _, at, size, label_size in entries:
                inputs.write(os.pread(scratch, size, at))
                labels.write(os.pread(scratch, label_size, at + size))
    elif entries:  # an empty public file is not written
        with _create(staged.public_dir / task_id / f"{split}-{lang}.{suffix}") as public:
            for _, at, size, _ in entries:
                public.write(os.pread(scratch, size, at))


def _kept(
    source: ExampleSource, task: Task, lang: str, index: LanguageIndex
) -> Iterator[tuple[int, Example]]:
    """(position in the index, example) of the examples split, from a second read of the
    source; refuses a source that changed since the first."""
    ordinals, ids, splits = index.ordinals, index.ids, index.splits
    s, j, total = str(index.seed), 0, 0
    for ordinal, ex in enumerate(source.examples(task, lang)):
        total += 1
        if j < len(ordinals) and ordinal == ordinals[j]:
            bits = int.from_bytes(digest("id", s, task.id, lang, ex.content_key())[:6], "big")
            if bits != ids[j]:
                break
            if splits[j] != DROPPED:
                yield j, ex
            j += 1
    if j != len(ordinals) or total != index.total:
        raise DataError(
            f"{task.id}/{lang}: the source changed while it was being prepared",
            where=source.label,
            hint="prepare again once nothing writes to the source",
        )


def _create(path: Path) -> BinaryIO:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.open("wb")


def _digests(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): sha256_file(p)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _duplicate_warnings(task_id: str, lang: str, index: LanguageIndex) -> list[str]:
    if not index.dropped:
        return []
    conflict = f", {index.conflicting} of them with a different label" if index.conflicting else ""
    return [
        f"{task_id}/{lang}: {index.dropped} duplicate input(s) dropped{conflict}; the first kept"
    ]


def _swap_in(staged: Path, root: Path) -> None:
    """Move staged public/ and sealed/ into root; on failure put the old ones back.

    Old folders are parked inside `staged` (same filesystem, removed with it), so every step
    is a rename.
    """
    parked = staged / ".previous"
    parked.mkdir()
    moved_old: list[str] = []
    moved_new: list[str] = []
    try:
        for name in _TOP:
            if (root / name).exists():
                os.replace(root / name, parked / name)
                moved_old.append(name)
        for name in _TOP:
            os.replace(staged / name, root / name)
            moved_new.append(name)
    except BaseException:
        for name in moved_new:
            os.replace(root / name, staged / name)
        for name in moved_old:
            os.replace(parked / name, root / name)
        raise


def load_manifest(layout: CompetitionLayout) -> Manifest:
    path = layout.manifest_file
    if not path.is_file():
        raise DataError(
            "the data has not been prepared", where=str(path), hint="run `podium data prepare`"
        )
    try:
        return Manifest.model_validate_json(path.read_text(encoding="utf-8"))
    except ValueError as err:
        raise DataError(f"the manifest is damaged: {err}", where=str(path)) from None


def verify_manifest(layout: CompetitionLayout) -> None:
    """Recompute every sha256; raise on the first missing or changed file, then on a file
    added to sealed inputs or labels (runs would see it, the fingerprint would not)."""
    manifest = load_manifest(layout)
    reseal = "re-run `podium data prepare --force` (only before any submission)"
    for rel, expected in sorted(manifest.files.items()):
        path = layout.root / rel
        if not path.is_file():
            raise DataError("a prepared file is missing", where=str(path), hint=reseal)
        if sha256_file(path) != expected:
            raise DataError(
                "a prepared file changed since it was sealed", where=str(path), hint=reseal
            )
    for folder in ("inputs", "labels"):
        for path in sorted((layout.sealed_dir / folder).rglob("*")):
            if path.is_file() and path.relative_to(layout.root).as_posix() not in manifest.files:
                raise DataError(
                    "a file was added to the sealed data after sealing",
                    where=str(path),
                    hint=f"remove it, or {reseal}",
                )


def split_inputs_sha256(manifest: Manifest, split: str) -> str:
    """One hash over a sealed split's input files: identifies what a run was given."""
    prefix = f"sealed/inputs/{split}/"
    pairs = sorted((p, h) for p, h in manifest.files.items() if p.startswith(prefix))
    return hashlib.sha256(json.dumps(pairs).encode("utf-8")).hexdigest()
