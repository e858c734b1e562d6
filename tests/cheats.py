"""Cheating submissions built from the public source files, as a team with the published test
sets would build them: a table from input text to gold answer, with exact or normalised keys,
whole or in part, and a constant answer for whatever the table does not hold."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from pathlib import Path

from podium.data.examples import PairExample, TaggedExample
from podium.data.xtreme import read_xtreme_file
from podium.tasks import default_registry

from .conftest import write_submission

FALLBACK = {"xnli": "entailment", "pawsx": "1", "udpos": "NOUN", "panx": "O"}

# the key functions are the submission's own code: the table is built with the same source
KEYS = r"""
import re
def exact(parts):
    return "\x1f".join(parts)
def normal(parts):
    return " ".join(re.findall(r"\w+", " ".join(parts).lower()))
"""

PREDICT = (
    KEYS
    + r"""
import json, os, pathlib
from collections import Counter, defaultdict
KEY = {key!r}
NEAREST = {nearest!r}
FALLBACK = {fallback!r}
table = json.loads(pathlib.Path("table.json").read_text())
key_of = exact if KEY == "exact" else normal
def bag(parts):
    w = " ".join(parts).split()
    return set(w if len(w) >= 6 else "".join(parts))
index = defaultdict(list)  # (task, word) -> entries: the nearest entry shares the most words
if NEAREST:
    for entry in table:
        task, _, k = entry.partition("|")
        for w in bag(k.split("\x1f")):
            index[task, w].append(entry)
def nearest(task, parts, length):
    shared = Counter(e for w in bag(parts) for e in index.get((task, w), ()))
    for entry, _ in shared.most_common(50):
        if length is None or len(table[entry]) == length:
            return table[entry]
    return None
def look(task, parts, length=None):
    found = table.get(task + "|" + key_of(parts))
    return found if found is not None or not NEAREST else nearest(task, parts, length)
src, dst = pathlib.Path(os.environ["PODIUM_INPUT_DIR"]), pathlib.Path(os.environ["PODIUM_OUTPUT_DIR"])
for f in sorted(src.glob("*/*.jsonl")):
    task = f.parent.name
    (dst / task).mkdir(parents=True, exist_ok=True)
    with f.open() as fin, (dst / task / f.name).open("w") as fout:
        for line in fin:
            r = json.loads(line)
            if "tokens" in r:
                found = look(task, r["tokens"], len(r["tokens"]))
                tags = found if found and len(found) == len(r["tokens"]) else None
                out = {{"id": r["id"], "tags": tags or [FALLBACK[task]] * len(r["tokens"])}}
            else:
                found = look(task, [r["text_a"], r["text_b"]])
                out = {{"id": r["id"], "label": found or FALLBACK[task]}}
            fout.write(json.dumps(out) + "\n")
"""
)


def _key_functions() -> dict[str, object]:
    space: dict[str, object] = {}
    exec(KEYS, space)  # the same functions the submission runs
    return space


def public_table(
    sample: Path, tasks_langs: Iterable[tuple[str, str]], *, key: str, keep: float = 1.0
) -> dict[str, object]:
    """Every labelled item of the public source files of these (task, language)s, keyed by
    its text; `keep` < 1 keeps that share of them (picked by a hash of the key)."""
    key_of: Callable[[list[str]], str] = _key_functions()[key]  # type: ignore[assignment]
    registry = default_registry()
    table: dict[str, object] = {}
    for task_id, lang in tasks_langs:
        task = registry.get(task_id)
        for path in sorted((sample / task_id).glob(f"*-{lang}.tsv")):
            for ex in read_xtreme_file(path, task):
                answer: object
                if isinstance(ex, PairExample):
                    k, answer = key_of([ex.text_a, ex.text_b]), ex.label
                elif isinstance(ex, TaggedExample):
                    k, answer = key_of(list(ex.tokens)), list(ex.tags or ())
                else:
                    continue
                entry = f"{task_id}|{k}"
                if keep < 1 and hashlib.sha256(entry.encode()).digest()[0] >= keep * 256:
                    continue
                table.setdefault(entry, answer)
    return table


def lookup_submission(
    folder: Path,
    sample: Path,
    tasks_langs: Iterable[tuple[str, str]],
    *,
    key: str = "exact",
    keep: float = 1.0,
    nearest: bool = False,
) -> Path:
    """A submission answering from a table of the public test sets (`key`: exact or
    normal(ised) text), elsewhere the answer of the entry sharing the most words (`nearest`:
    a canary's is its original's) or a constant."""
    write_submission(folder, PREDICT.format(key=key, nearest=nearest, fallback=FALLBACK))
    table = public_table(sample, tasks_langs, key=key, keep=keep)
    (folder / "table.json").write_text(json.dumps(table), encoding="utf-8")
    return folder
