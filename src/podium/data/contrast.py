"""Contrast canaries: copies of sealed items that stay close to their original in text but
whose original answer is very unlikely to stay right.

A label-preserving canary cannot catch a nearest-neighbour lookup: the nearest table entry of
a canary is its own original, whose gold answer is still right. A contrast canary keeps the
original close enough that a lookup still returns the original, and changes what the answer
is, so a lookup copies the original's answer where an honest model follows the change:

- tagging: pairs of tokens of different gold tags are replaced, each by a public training
  token seen (at least twice) only with the other one's tag; the canary's gold tags are the
  replacements' tags. Swapping the tags within a pair keeps the tags of the replaced
  positions the same as a multiset, so a model that ignores the words (always "NOUN") copies
  the original exactly as often as it follows the change;
- pairs: the first text is kept and the second is another sealed item's, chosen so that the
  copy shares more words with its original than with that donor. Its gold answer is not
  known (the original's is kept as a placeholder, never scored); the test compares the
  prediction with the original's answer against a decoy: the answer of another contrast
  canary's original (a rotation, so each answer is a decoy as often as it is an original).

Each canary gives (how far the prediction copies the original, how far it follows the other
side); `rules.integrity` tests whether the copies win more often than an honest model's.
Contrast canaries are sealed exactly like the others (ids, order, fields) and are listed in
the same map beside the labels, with `"kind": "contrast"`.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from podium.data.examples import Example, PairExample, TaggedExample
from podium.data.grouping import digest
from podium.tasks import Task, TaskType

CONTRAST = "contrast"
# a tagging contrast canary replaces about this share of its tokens, in pairs (at least one)
CONTRAST_SHARE_OF_TOKENS = 0.3
_MIN_SEEN = 2  # a replacement token was seen this often in the public data, with one tag only
_MAX_TOKENS = 200_000  # tokens whose tags are followed per language: bounded memory
_DONORS = 24  # candidate donors tried per pair item
_WORD = re.compile(r"\w+")


def contrast_of(task: Task) -> str | None:
    """The name of a task's contrast perturbation, or None: the task has no contrast canaries."""
    if task.canary is not None:
        return None  # a declared task: its hook makes label-preserving copies only
    if task.type is TaskType.TAGGING and tuple(task.inputs) == ("tokens",):
        return "other-tag tokens"
    if task.type is TaskType.PAIR_CLASSIFICATION and tuple(task.inputs) == ("text_a", "text_b"):
        return "foreign second text"
    return None


def why_no_contrast(task: Task) -> str:
    """What `podium data info` says of a task without contrast canaries."""
    return (
        f"no contrast canaries: a {task.type} task with inputs {list(task.inputs)} has no "
        "built-in answer-changing perturbation (only tagging and text pairs have one)"
    )


@dataclass
class TagLexicon:
    """Public training tokens seen with exactly one gold tag (and how often), by tag."""

    seen: dict[str, tuple[str | None, int]] = field(default_factory=dict)
    _pools: dict[tuple[str, tuple[bool, bool] | None], list[str]] = field(default_factory=dict)

    def observe(self, tokens: Sequence[str], tags: Sequence[str]) -> None:
        for token, tag in zip(tokens, tags, strict=False):
            known = self.seen.get(token)
            if known is None:
                if len(self.seen) < _MAX_TOKENS:
                    self.seen[token] = (tag, 1)
            elif known[0] is not None:
                self.seen[token] = (tag, known[1] + 1) if known[0] == tag else (None, 0)

    def pool(self, tag: str, shape: tuple[bool, bool] | None = None) -> list[str]:
        """Tokens seen only with `tag`, at least `_MIN_SEEN` times (of one shape if given)."""
        key = (tag, shape)
        if key not in self._pools:
            self._pools[key] = [
                w
                for w, (t, n) in self.seen.items()
                if t == tag and n >= _MIN_SEEN and (shape is None or _shape(w) == shape)
            ]
        return self._pools[key]


def _shape(word: str) -> tuple[bool, bool]:
    return word[:1].isupper(), any(c.isdigit() for c in word)


def _pick(rng: random.Random, lexicon: TagLexicon, tag: str, like: str, avoid: str) -> str | None:
    for pool in (lexicon.pool(tag, _shape(like)), lexicon.pool(tag)):
        choices = [w for w in rng.sample(pool, min(8, len(pool))) if w != avoid]
        if choices:
            return choices[0]
    return None


def other_tag_tokens(
    tokens: Sequence[str], tags: Sequence[str], lexicon: TagLexicon, rng: random.Random
) -> tuple[list[str], list[str], list[int]] | None:
    """(tokens, their gold tags, positions replaced): pairs of positions of different tags,
    each given a public token of the other one's tag. None when no pair can be made."""
    order = list(range(len(tokens)))
    rng.shuffle(order)
    wanted = max(1, round(CONTRAST_SHARE_OF_TOKENS * len(tokens) / 2))
    out, new_tags = list(tokens), list(tags)
    replaced: list[int] = []
    free = [i for i in order if lexicon.pool(tags[i])]
    while free and len(replaced) < 2 * wanted:
        i = free.pop()
        j = next((j for j in free if tags[j] != tags[i]), None)
        if j is None:
            continue
        free.remove(j)
        by_i = _pick(rng, lexicon, tags[j], tokens[i], tokens[i])
        by_j = _pick(rng, lexicon, tags[i], tokens[j], tokens[j])
        if by_i is None or by_j is None:
            continue
        out[i], out[j] = by_i, by_j
        new_tags[i], new_tags[j] = tags[j], tags[i]
        replaced += [i, j]
    return (out, new_tags, sorted(replaced)) if replaced else None


def _bag(text: str) -> set[str]:
    """Words of a text, or its characters when it is written without spaces."""
    found = _WORD.findall(text.casefold())
    return set(found) if len(found) >= 4 else set(text.casefold()) - {" "}


def foreign_text_b(
    ex: PairExample, donors: Sequence[PairExample], rng: random.Random
) -> tuple[PairExample, str] | None:
    """`ex`'s first text with a donor's second text, and the donor's id: the donor (of a few
    drawn) whose copy is nearer to `ex` than to itself by the widest margin (words shared),
    or None."""
    if not donors:
        return None
    own = _bag(ex.text_a) | _bag(ex.text_b)
    best, margin = None, 0
    for donor in rng.sample(list(donors), min(_DONORS, len(donors))):
        if donor.text_b == ex.text_b:
            continue
        copy = _bag(ex.text_a) | _bag(donor.text_b)
        gap = len(copy & own) - len(copy & (_bag(donor.text_a) | _bag(donor.text_b)))
        if gap > margin:
            best, margin = donor, gap
    if best is None:
        return None
    return PairExample(ex.text_a, best.text_b, ex.label), best.id


@dataclass(frozen=True)
class Contrast:
    """One contrast copy (without id): its example, its original and how it was made."""

    example: Example
    original: str
    how: dict[str, Any]


def make_contrasts(
    task: Task,
    lang: str,
    examples: Sequence[Example],
    *,
    share: float,
    seed: int,
    lexicon: TagLexicon,
) -> list[Contrast]:
    """Contrast copies of `share` of a sealed split's items (at least one when share > 0 and
    two for pairs, which need a decoy), picked by a seeded hash."""
    if share <= 0 or not examples or contrast_of(task) is None:
        return []
    target = max(1, math.floor(share * len(examples) + 0.5))
    s = str(seed)
    ranked = sorted(examples, key=lambda ex: digest(CONTRAST, s, task.id, lang, ex.id))
    if isinstance(examples[0], PairExample):
        return _pair_contrasts(task, lang, ranked, target, s)
    out: list[Contrast] = []
    for ex in ranked:
        if len(out) == target:
            break
        if not isinstance(ex, TaggedExample) or ex.tags is None:
            continue
        rng = random.Random(digest("contrast-rng", s, task.id, lang, ex.id))
        made = other_tag_tokens(ex.tokens, ex.tags, lexicon, rng)
        if made is not None:
            tokens, tags, where = made
            copy = TaggedExample(tuple(tokens), tuple(tags))
            out.append(Contrast(copy, ex.id, {"kind": CONTRAST, "replaced": where}))
    return out


def _pair_contrasts(
    task: Task, lang: str, ranked: Sequence[Example], target: int, s: str
) -> list[Contrast]:
    """Second texts from items that are not themselves contrast originals; each canary's
    decoy is the next one's original, so decoys and originals hold the same answers."""
    chosen = [ex for ex in ranked[:target] if isinstance(ex, PairExample)]
    donors = [ex for ex in ranked[target:] if isinstance(ex, PairExample)]
    made: list[tuple[PairExample, PairExample, str]] = []
    for ex in chosen:
        rng = random.Random(digest("contrast-rng", s, task.id, lang, ex.id))
        found = foreign_text_b(ex, donors, rng)
        if found is not None:
            made.append((ex, *found))
    if len(made) < 2:
        return []
    out = []
    for n, (ex, copy, donor) in enumerate(made):
        decoy = made[(n + 1) % len(made)][0]
        how = {"kind": CONTRAST, "donor": donor, "decoy": decoy.id}
        out.append(Contrast(copy, ex.id, how))
    return out
