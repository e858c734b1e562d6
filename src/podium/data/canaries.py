"""Canaries: label-preserving perturbed copies of sealed items, sealed beside the originals.

A table from the public test set's text to its gold label answers an original perfectly and
its canary (a text it has never seen) poorly; an honest model answers both alike. The copies
get ids made the way `prepare` makes every id (a hash of the inputs), sit among the
originals in id order and hold the same fields, so nothing in a record tells them apart.
Which item is a canary of which is written only beside the labels
(`sealed/labels/{split}/{task}/{lang}.canaries.jsonl`), and scoring leaves canaries out.

Perturbations, per task (`perturbation_of`):
- tagging (`tokens` in, one tag per token): some tokens are replaced by other tokens that carry
  the same gold tag in the public training data of the language, so the tags (and their IOB
  structure) stay exactly the same;
- pairs (`text_a`, `text_b`): every occurrence of a word found in both texts is replaced by
  one word of the language's public training texts; a task declared `symmetric` also has
  its two texts swapped;
- any task with `canary = "module:function"`: the organizer's hook, called as
  `function(inputs: dict, answer, rng: random.Random) -> dict | None` (new inputs, or None to
  skip the item); without one, a task of another shape has no canaries.

A sealed file is read into memory one (task, language, split) at a time: these are the
small part of the data.
"""

from __future__ import annotations

import functools
import importlib
import math
import random
import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from podium.core.errors import DataError, SpecError
from podium.data.contrast import Contrast, TagLexicon, make_contrasts
from podium.data.examples import Example, GenericExample, PairExample, TaggedExample
from podium.data.grouping import digest
from podium.data.jsonl import SEALED_FILES_KEPT, file_signature, iter_jsonl, json_line
from podium.data.splitting import example_id
from podium.tasks import Task, TaskType

CANARY_SUFFIX = ".canaries.jsonl"
# a tagging canary replaces about this share of its tokens (at least one)
TOKEN_SHARE = 0.3
_WORD = re.compile(r"\w+")
_MAX_WORDS = 20_000  # replacement words kept per language: enough variety, bounded memory

Hook = Callable[[dict[str, Any], Any, random.Random], "dict[str, Any] | None"]


def canaries_file(labels_dir: Path, task_id: str, lang: str) -> Path:
    """Where the canary map of a sealed split's (task, language) is: beside its labels."""
    return labels_dir / task_id / f"{lang}{CANARY_SUFFIX}"


def canary_map(labels_dir: Path, task_id: str, lang: str) -> dict[str, str]:
    """canary id -> original id, of every kind (empty when the split has none)."""
    return {
        str(rec["id"]): str(rec["original"]) for rec in canary_records(labels_dir, task_id, lang)
    }


def canary_records(labels_dir: Path, task_id: str, lang: str) -> Sequence[Mapping[str, Any]]:
    """The map's records: id, original, how it was made; `"kind": "contrast"` for a
    contrast canary (`data.contrast`), none for a label-preserving one. Parsed once per
    process while the file is unchanged (every scored run reads them)."""
    path = canaries_file(labels_dir, task_id, lang)
    signature = file_signature(path)
    return () if signature is None else _parsed_records(path, signature)


@functools.lru_cache(maxsize=SEALED_FILES_KEPT)
def _parsed_records(path: Path, signature: tuple[int, ...]) -> tuple[Mapping[str, Any], ...]:
    return tuple(MappingProxyType(rec) for _, rec in iter_jsonl(path))


def perturbation_of(task: Task) -> str | None:
    """The name of the perturbation a task's canaries get, or None: no canaries."""
    if task.canary is not None:
        return f"hook {task.canary}"
    if task.type is TaskType.TAGGING and tuple(task.inputs) == ("tokens",):
        return "same-tag tokens"
    if task.type is TaskType.PAIR_CLASSIFICATION and tuple(task.inputs) == ("text_a", "text_b"):
        return "shared word" + (" + swap" if task.symmetric else "")
    return None


def why_no_canaries(task: Task) -> str:
    """What `podium data info` says of a task without canaries."""
    return (
        f"no canaries: a {task.type} task with inputs {list(task.inputs)} has no built-in "
        'perturbation; declare canary = "module:function" in its [tasks] table'
    )


@dataclass
class Vocabulary:
    """What canaries of one language draw on: tokens by gold tag, and words, of the public
    training examples; and the kind of example the source gave (ids hash its inputs)."""

    by_tag: dict[str, dict[str, None]] = field(default_factory=dict)
    words: dict[str, None] = field(default_factory=dict)
    kind: type | None = None
    lexicon: TagLexicon = field(default_factory=TagLexicon)  # for contrast canaries
    _pools: dict[tuple[str, tuple[bool, bool] | None], list[str]] = field(default_factory=dict)

    def observe(self, ex: Example, *, public: bool) -> None:
        self.kind = self.kind or type(ex)
        if not public:
            return
        if isinstance(ex, TaggedExample) and ex.tags is not None:
            self.lexicon.observe(ex.tokens, ex.tags)
            for token, tag in zip(ex.tokens, ex.tags, strict=False):
                bucket = self.by_tag.setdefault(tag, {})
                if len(bucket) < _MAX_WORDS:
                    bucket.setdefault(token)
        elif isinstance(ex, PairExample) and len(self.words) < _MAX_WORDS:
            for word in _WORD.findall(f"{ex.text_a} {ex.text_b}"):
                if len(word) > 2 and not word.isdigit():
                    self.words.setdefault(word)

    def pool(self, tag: str | None, shape: tuple[bool, bool] | None = None) -> list[str]:
        """The public tokens of a gold tag (None: the words of pairs), of one shape if given;
        listed once, in the order first seen."""
        key = (tag or "", shape)
        if key not in self._pools:
            every = self.words if tag is None else self.by_tag.get(tag, {})
            self._pools[key] = [w for w in every if shape is None or _shape(w) == shape]
        return self._pools[key]


def _draw(rng: random.Random, pools: Sequence[list[str]], avoid: set[str]) -> str | None:
    """A word of the first pool that has one not in `avoid` (a few random tries, then a
    scan), or None."""
    for pool in pools:
        for _ in range(8):
            if not pool:
                break
            word = rng.choice(pool)
            if word not in avoid:
                return word
        rest = [w for w in pool if w not in avoid] if len(pool) <= 8 else []
        if rest:
            return rng.choice(rest)
    return None


def same_tag_tokens(
    tokens: Sequence[str], tags: Sequence[str], vocab: Vocabulary, rng: random.Random
) -> tuple[list[str], list[int]] | None:
    """Tokens with some replaced by public tokens of the same gold tag (and, where there is
    one, the same capitalisation); the positions replaced. None when none can be."""
    out = list(tokens)
    choices = [
        i
        for i, tag in enumerate(tags)
        if len(vocab.pool(tag)) > 1 or vocab.pool(tag)[:1] not in ([], [tokens[i]])
    ]
    if not choices:
        return None
    k = max(1, round(TOKEN_SHARE * len(tokens)))
    picked = sorted(rng.sample(choices, min(k, len(choices))))
    replaced = []
    for i in picked:
        pools = (vocab.pool(tags[i], _shape(tokens[i])), vocab.pool(tags[i]))
        word = _draw(rng, pools, {tokens[i]})
        if word is not None:
            out[i] = word
            replaced.append(i)
    return (out, replaced) if replaced else None


def shared_word(
    text_a: str, text_b: str, vocab: Vocabulary, rng: random.Random
) -> tuple[str, str, str, str] | None:
    """(text_a, text_b, word, replacement): a word found in both texts replaced everywhere
    in both by one public training word of the same shape; None when there is none."""
    in_both = {w for w in _WORD.findall(text_a) if len(w) > 2} & set(_WORD.findall(text_b))
    if not in_both or not vocab.words:
        return None
    word = rng.choice(sorted(in_both))
    avoid = set(_WORD.findall(f"{text_a} {text_b}"))
    new = _draw(rng, (vocab.pool(None, _shape(word)), vocab.pool(None)), avoid)
    if new is None:
        return None
    pattern = re.compile(rf"(?<!\w){re.escape(word)}(?!\w)")
    return pattern.sub(lambda _: new, text_a), pattern.sub(lambda _: new, text_b), word, new


def _shape(word: str) -> tuple[bool, bool]:
    return word[:1].isupper(), any(c.isdigit() for c in word)


def load_hook(ref: str, search_dir: Path | None) -> Hook:
    """The organizer's perturbation, from the competition folder or an installed module."""
    module_name, _, name = ref.partition(":")
    added = search_dir is not None and str(search_dir) not in sys.path
    if added:
        sys.path.insert(0, str(search_dir))
    try:
        module = importlib.import_module(module_name)
    except Exception as err:
        raise SpecError(
            f"canary hook {ref!r}: importing {module_name!r} failed ({type(err).__name__}: {err})",
            hint="put the module beside competition.toml or install its package",
        ) from None
    finally:
        if added:
            sys.path.remove(str(search_dir))
    hook = getattr(module, name, None)
    if not callable(hook):
        raise SpecError(f"canary hook {ref!r}: {module_name} has no function {name!r}")
    return hook  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Canary:
    """One perturbed copy: its example (new id, same label) and how it was made."""

    example: Example
    original: str
    how: dict[str, Any]


def perturb(
    task: Task, ex: Example, vocab: Vocabulary, rng: random.Random, hook: Hook | None
) -> tuple[Example, dict[str, Any]] | None:
    """A label-preserving copy of `ex` (without id) and how it was made, or None."""
    if hook is not None:
        inputs = {k: v for k, v in ex.input_record().items() if k != "id"}
        try:
            new = hook(dict(inputs), _answer(ex), rng)
        except Exception as err:  # organizer code: say whose
            raise DataError(
                f"canary hook {task.canary!r} failed: {type(err).__name__}: {err}"
            ) from err
        if new is None:
            return None
        if not isinstance(new, dict) or set(new) != set(inputs):
            raise DataError(
                f"canary hook {task.canary!r} returned {type(new).__name__} "
                f"{sorted(new) if isinstance(new, dict) else ''}, not the inputs {sorted(inputs)}",
                hint="return a dict with exactly the record's input fields, or None",
            )
        return _rebuilt(ex, new), {"hook": task.canary}
    if isinstance(ex, TaggedExample) and ex.tags is not None:
        made = same_tag_tokens(ex.tokens, ex.tags, vocab, rng)
        if made is None:
            return None
        tokens, where = made
        return TaggedExample(tuple(tokens), ex.tags), {"replaced": where}
    if isinstance(ex, PairExample):
        pair = shared_word(ex.text_a, ex.text_b, vocab, rng)
        if pair is None:
            return None
        a, b, word, by = pair
        swap = task.symmetric and rng.random() < 0.5
        how: dict[str, Any] = {"word": word, "by": by, "swapped": swap}
        return PairExample(b if swap else a, a if swap else b, ex.label), how
    return None


def _answer(ex: Example) -> Any:
    record = ex.label_record()
    return next(v for k, v in record.items() if k != "id")


def _rebuilt(ex: Example, inputs: Mapping[str, Any]) -> Example:
    if isinstance(ex, PairExample):
        return PairExample(str(inputs["text_a"]), str(inputs["text_b"]), ex.label)
    if isinstance(ex, TaggedExample):
        return TaggedExample(tuple(str(t) for t in inputs["tokens"]), ex.tags)
    return GenericExample(dict(inputs), ex.label)


def read_sealed(task: Task, inputs: Path, labels: Path, kind: type | None) -> Iterator[Example]:
    """A sealed split's examples back from its inputs and labels files (same order)."""
    key = task.answer_key
    for (_, rec), (_, gold) in zip(iter_jsonl(inputs), iter_jsonl(labels), strict=True):
        ex_id, answer = str(rec["id"]), gold[key]
        fields = {k: v for k, v in rec.items() if k != "id"}
        if kind is PairExample:
            yield PairExample(fields["text_a"], fields["text_b"], answer, ex_id)
        elif kind is TaggedExample:
            yield TaggedExample(tuple(fields["tokens"]), tuple(answer), ex_id)
        else:
            label = tuple(answer) if isinstance(answer, list) else answer
            yield GenericExample(fields, label, ex_id)


def make_canaries(
    task: Task,
    lang: str,
    examples: Sequence[Example],
    *,
    share: float,
    seed: int,
    vocab: Vocabulary,
    hook: Hook | None,
) -> list[Canary]:
    """The canaries of one sealed (task, language, split): `share` of its items (at least
    one when share > 0), picked by a seeded hash, skipping items that cannot be perturbed
    or whose copy would repeat an item."""
    if share <= 0 or not examples:
        return []
    target = max(1, math.floor(share * len(examples) + 0.5))
    seen = {ex.content_key() for ex in examples}
    ids = {ex.id for ex in examples}
    s = str(seed)
    ranked = sorted(examples, key=lambda ex: digest("canary", s, task.id, lang, ex.id))
    out: list[Canary] = []
    for ex in ranked:
        if len(out) == target:
            break
        rng = random.Random(digest("canary-rng", s, task.id, lang, ex.id))
        made = perturb(task, ex, vocab, rng, hook)
        if made is None:
            continue
        copy, how = made
        key = copy.content_key()
        bits = int.from_bytes(digest("id", s, task.id, lang, key)[:6], "big")
        new_id = example_id(task.id, lang, bits)
        if key in seen or new_id in ids:
            continue
        seen.add(key)
        ids.add(new_id)
        out.append(Canary(_with_id(copy, new_id), ex.id, how))
    return out


def _with_id(ex: Example, ex_id: str) -> Example:
    if isinstance(ex, PairExample):
        return PairExample(ex.text_a, ex.text_b, ex.label, ex_id)
    if isinstance(ex, TaggedExample):
        return TaggedExample(ex.tokens, ex.tags, ex_id)
    return GenericExample(ex.fields, ex.label, ex_id)


def seal_canaries(
    task: Task,
    lang: str,
    inputs: Path,
    labels: Path,
    *,
    share: float,
    seed: int,
    vocab: Vocabulary,
    hook: Hook | None,
    contrast_share: float = 0.0,
) -> tuple[int, int]:
    """Add canaries and contrast canaries to one sealed split's files (rewritten in id order)
    and write their map beside the labels; the numbers added of each."""
    examples = list(read_sealed(task, inputs, labels, vocab.kind))
    canaries = make_canaries(task, lang, examples, share=share, seed=seed, vocab=vocab, hook=hook)
    contrasts = _identified(
        task,
        lang,
        seed,
        make_contrasts(
            task, lang, examples, share=contrast_share, seed=seed, lexicon=vocab.lexicon
        ),
        [*examples, *(c.example for c in canaries)],
    )
    added = [*canaries, *contrasts]
    if not added:
        return 0, 0
    merged = sorted([*examples, *(c.example for c in added)], key=lambda ex: ex.id)
    with (
        inputs.open("w", encoding="utf-8", newline="\n") as ins,
        labels.open("w", encoding="utf-8", newline="\n") as gold,
    ):
        for ex in merged:
            ins.write(json_line(ex.input_record()))
            gold.write(json_line(ex.label_record()))
    with canaries_file(labels.parent.parent, task.id, lang).open(
        "w", encoding="utf-8", newline="\n"
    ) as out:
        for c in sorted(added, key=lambda c: c.example.id):
            out.write(json_line({"id": c.example.id, "original": c.original, **c.how}))
    return len(canaries), len(contrasts)


def _identified(
    task: Task, lang: str, seed: int, made: Sequence[Contrast], taken: Sequence[Example]
) -> list[Canary]:
    """Contrast copies with ids made like every other id; a copy that would repeat an item
    (its inputs or its id) is left out."""
    seen = {ex.content_key() for ex in taken}
    ids = {ex.id for ex in taken}
    out = []
    for c in made:
        key = c.example.content_key()
        bits = int.from_bytes(digest("id", str(seed), task.id, lang, key)[:6], "big")
        new_id = example_id(task.id, lang, bits)
        if key in seen or new_id in ids:
            continue
        seen.add(key)
        ids.add(new_id)
        out.append(Canary(_with_id(c.example, new_id), c.original, c.how))
    return out
