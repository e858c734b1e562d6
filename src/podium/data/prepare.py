"""Preparing and sealing data: a deterministic split by hash, written atomically.

Each (task, language) pool is de-duplicated by inputs, then every example goes to a split
by `sha256(seed, task, language, inputs)`: the same source and seed give the same split,
identical inputs can never land in two splits, and ids never depend on labels.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from podium.data.examples import Example, GenericExample, PairExample, TaggedExample
from podium.data.grouping import Group, split_groups
from podium.data.jsonl import write_jsonl
from podium.data.records import write_records_file
from podium.data.xtreme import labelled_problem, write_xtreme_file
from podium.digest import sha256_file
from podium.errors import DataError
from podium.layout import SPLITS_SEALED, CompetitionLayout
from podium.spec import CompetitionSpec
from podium.tasks import Task, TaskRegistry

SPLITS = ("train", "dev", "eval", "final")
MANIFEST_FORMAT = 1
_TOP = ("public", "sealed")


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


def _digest(*parts: str) -> bytes:
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).digest()


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

    The split follows a hash of the example's group (see `grouping`): pairs with a common
    premise, or translations of one source item, never straddle training and evaluation."""
    keyed: dict[str, Example] = {}
    for ex in examples:
        keyed.setdefault(ex.content_key(), ex)
    groups = groups if groups is not None else split_groups({lang: list(keyed.values())})
    hashed = [
        (_digest(str(seed), task, *groups[(lang, key)]), key, ex) for key, ex in keyed.items()
    ]
    if cap is not None and len(hashed) > cap:
        # an independent hash picks which examples to keep, so the kept ones still spread
        # over every split
        hashed.sort(key=lambda item: _digest("keep", str(seed), task, lang, item[1]))
        hashed = hashed[:cap]
    public, dev, evalf = fractions["public"], fractions["dev"], fractions["eval"]
    out: dict[str, list[Example]] = {s: [] for s in SPLITS}
    ids: set[str] = set()
    for digest, key, ex in hashed:
        u = int.from_bytes(digest[:8], "big") / 2**64
        if u < public:
            split = "dev" if u < public * dev else "train"
        elif u < public + evalf:
            split = "eval"
        else:
            split = "final"
        ex_id = f"{task}-{lang}-{_digest('id', str(seed), task, lang, key).hex()[:12]}"
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
    examples: Mapping[tuple[str, str], Sequence[Example]],
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
    d = spec.data
    fractions = {"public": d.public, "dev": d.dev, "eval": d.eval, "final": d.final}
    warnings: list[str] = []
    counts: dict[str, dict[str, dict[str, int]]] = {}
    layout.root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".prepare-tmp-", dir=layout.root))
    try:
        staged = CompetitionLayout(tmp)
        for task_id in spec.tasks:
            task = registry.get(task_id)
            languages = spec.task_languages(task_id, registry)
            groups = split_groups({lang: examples.get((task_id, lang), []) for lang in languages})
            for lang in languages:
                pool = examples.get((task_id, lang), [])
                if not pool:
                    warnings.append(f"{task_id}/{lang}: no labelled data in the source; skipped")
                    continue
                _check_pool(task, lang, pool, source_label)
                warnings.extend(_duplicate_warnings(task_id, lang, pool))
                parts = _split_language(spec, task_id, lang, pool, fractions, groups)
                counts.setdefault(task_id, {})[lang] = {s: len(parts[s]) for s in SPLITS}
                _write_language(staged, task, lang, parts)
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
        )
        staged.manifest_file.write_text(manifest.model_dump_json(indent=2), encoding="utf-8")
        staged.public_dir.mkdir(exist_ok=True)  # even when every example went to eval/final
        _swap_in(tmp, layout.root)
        return manifest
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _split_language(
    spec: CompetitionSpec,
    task_id: str,
    lang: str,
    pool: Sequence[Example],
    fractions: dict[str, float],
    groups: Mapping[tuple[str, str], Group],
) -> dict[str, list[Example]]:
    """One language's examples in their splits; every sealed split must get some."""
    parts = assign_splits(
        pool,
        seed=spec.data.seed,
        task=task_id,
        lang=lang,
        fractions=fractions,
        cap=spec.data.max_examples_per_language,
        groups=groups,
    )
    kept = sum(len(v) for v in parts.values())
    for split in SPLITS_SEALED:
        if not parts[split]:
            raise DataError(
                f"{task_id}/{lang}: {len(pool)} examples ({kept} after de-duplication"
                f" and the cap) leave none for the {split!r} split",
                hint="bring more data for this language, drop it from "
                f"[tasks.{task_id}] languages, or change the [data] shares",
            )
    return parts


def _write_language(
    staged: CompetitionLayout, task: Task, lang: str, parts: Mapping[str, Sequence[Example]]
) -> None:
    """Public train/dev as XTREME files (records of other shapes: JSON Lines); sealed inputs
    and labels as JSON Lines."""
    for split in ("train", "dev"):
        examples = parts[split]
        if examples and all(isinstance(ex, GenericExample) for ex in examples):
            records = [ex for ex in examples if isinstance(ex, GenericExample)]
            write_records_file(staged.public_dir / task.id / f"{split}-{lang}.jsonl", task, records)
        elif examples:
            write_xtreme_file(staged.public_dir / task.id / f"{split}-{lang}.tsv", task, examples)
    for split in SPLITS_SEALED:
        write_jsonl(
            staged.inputs_dir(split) / task.id / f"{lang}.jsonl",
            (ex.input_record() for ex in parts[split]),
        )
        write_jsonl(
            staged.labels_dir(split) / task.id / f"{lang}.jsonl",
            (ex.label_record() for ex in parts[split]),
        )


def _digests(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): sha256_file(p)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _check_pool(task: Task, lang: str, pool: Sequence[Example], source_label: str) -> None:
    for number, ex in enumerate(pool, start=1):
        problem = labelled_problem(task, ex)
        if problem is not None:
            raise DataError(
                f"{task.id}/{lang} example #{number}: {problem}",
                where=source_label,
                hint="only labelled examples of the task can be sealed; fix or drop it",
            )


def _duplicate_warnings(task_id: str, lang: str, pool: Sequence[Example]) -> list[str]:
    first: dict[str, object] = {}
    dropped = conflicting = 0
    for ex in pool:
        key = ex.content_key()
        answer = ex.tags if isinstance(ex, TaggedExample) else ex.label
        if key in first:
            dropped += 1
            conflicting += first[key] != answer
        else:
            first[key] = answer
    if not dropped:
        return []
    conflict = f", {conflicting} of them with a different label" if conflicting else ""
    return [f"{task_id}/{lang}: {dropped} duplicate input(s) dropped{conflict}; the first kept"]


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
