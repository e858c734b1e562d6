"""Offline synthetic data for all four task types, for demos and tests.

Learnable at different depths on purpose, so that models of different sophistication
score clearly differently: some words are ambiguous between tags and only their context
decides (a per-word lexicon falls short, a context-aware tagger does better); paraphrase
negatives reuse the same bag of words (overlap alone is not enough, word order is). Each
language gets its own vocabulary in a script chosen by its code; zh and ja PAN-X are split
per character, as in XTREME.
"""

from __future__ import annotations

import functools
import random
import zlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from podium.data.examples import Example, PairExample, TaggedExample
from podium.tasks import Task

if TYPE_CHECKING:
    from podium.config.spec import DataSpec
    from podium.data.sources import ExampleSource

SCRIPTS = {
    "cjk": [chr(c) for c in range(0x4E00, 0x4E00 + 400)],
    "arabic": list("ابتثجحخدذرزسشصضطظعغفقكلمنهوي"),
    "devanagari": ["क", "ख", "ग", "च", "ज", "त", "द", "न", "प", "ब", "म", "य", "र", "ल", "स", "ह"],
    "cyrillic": list("бвгдзклмнпрстфхцчшаеиоуыэюя"),
    "latin": list("bcdfghjklmnprstvwzaeiouáéíóúñöü"),
}
SCRIPT_OF = {"zh": "cjk", "ja": "cjk", "ar": "arabic", "fa": "arabic", "ur": "arabic",
             "hi": "devanagari", "mr": "devanagari", "ru": "cyrillic", "bg": "cyrillic"}  # fmt: skip
VOWELS_DEV = ["ा", "ि", "ी", "ु", "े", "ो", ""]
CLASS_SIZES = {"NOUN": 60, "VERB": 40, "ADJ": 30, "DET": 5, "ADP": 8, "PRON": 8, "ADV": 15,
               "AUX": 4, "CCONJ": 3, "PART": 3, "SCONJ": 3, "PROPN": 30}  # fmt: skip
TEMPLATES = (
    ("DET", "ADJ?", "NOUN", "VERB", "ADP", "DET", "NOUN", "PUNCT"),
    ("PRON", "AUX", "VERB", "DET", "ADJ?", "NOUN", "PUNCT"),
    ("PROPN", "VERB", "DET", "NOUN", "CCONJ", "PRON", "VERB", "ADV", "PUNCT"),
    ("DET", "NOUN", "AUX", "ADV", "VERB", "SCONJ", "PRON", "VERB", "NUM", "NOUN", "PUNCT"),
    ("PRON", "PART", "VERB", "DET", "NOUN", "ADP", "PROPN", "PUNCT"),
)


class _Lang:
    """One language's vocabulary, built from a seeded RNG."""

    def __init__(self, lang: str, seed: int) -> None:
        self.lang = lang
        self.rng = random.Random(seed * 1_000_003 + zlib.crc32(lang.encode()))
        self.script = SCRIPT_OF.get(lang, "latin")
        self.cjk = self.script == "cjk"
        seen: set[str] = set()
        self.words = {c: self._unique(n, seen) for c, n in CLASS_SIZES.items()}
        # a fifth of the nouns double as verbs: only the context tells which
        self.ambiguous = self.words["NOUN"][:12]
        self.words["VERB"][:12] = self.ambiguous
        self.persons = self._unique(30, seen)
        self.places = self._unique(30, seen)
        self.orgs = self._unique(20, seen)
        self.shared_names = self.persons[:6]
        self.places[:6] = self.shared_names  # names of people and places overlap
        self.title, self.at, self.org_suffix, self.negation = self._unique(4, seen)
        self.filler = self._unique(80, seen)

    def _word(self) -> str:
        rng = self.rng
        if self.cjk:
            return "".join(rng.choice(SCRIPTS["cjk"]) for _ in range(rng.randint(1, 3)))
        letters = SCRIPTS[self.script]
        if self.script == "devanagari":
            return "".join(
                rng.choice(letters) + rng.choice(VOWELS_DEV) for _ in range(rng.randint(2, 3))
            )
        return "".join(rng.choice(letters) for _ in range(rng.randint(3, 8)))

    def _unique(self, n: int, seen: set[str]) -> list[str]:
        out: list[str] = []
        while len(out) < n:
            word = self._word()
            if word not in seen:
                seen.add(word)
                out.append(word)
        return out

    def sentence(self) -> tuple[list[str], list[str]]:
        rng = self.rng
        tokens: list[str] = []
        tags: list[str] = []
        for slot in rng.choice(TEMPLATES):
            if slot.endswith("?"):
                if rng.random() < 0.5:
                    continue
                slot = slot[:-1]
            if slot == "PUNCT":
                word = "。" if self.cjk else "."
            elif slot == "NUM":
                word = str(rng.randint(2, 999))
            else:
                word = rng.choice(self.words[slot])
            tokens.append(word)
            tags.append(slot)
        return tokens, tags

    def content_words(self, n: int) -> list[str]:
        pool = self.words["NOUN"] + self.words["VERB"] + self.words["ADJ"] + self.filler
        return self.rng.sample(pool, n)


def _udpos(lang: _Lang) -> TaggedExample:
    tokens, tags = lang.sentence()
    if lang.rng.random() < 0.4:
        more_tokens, more_tags = lang.sentence()
        tokens, tags = tokens + more_tokens, tags + more_tags
    return TaggedExample(tuple(tokens), tuple(tags))


def _panx(lang: _Lang) -> TaggedExample:
    rng = lang.rng
    tokens: list[str] = []
    tags: list[str] = []

    def add(words: Sequence[str], kind: str) -> None:
        for i, word in enumerate(words):
            pieces = list(word) if lang.cjk else [word]
            for j, piece in enumerate(pieces):
                tokens.append(piece)
                if kind == "O":
                    tags.append("O")
                else:
                    tags.append(f"{'B' if i == 0 and j == 0 else 'I'}-{kind}")

    for _ in range(rng.randint(1, 3)):
        add(rng.sample(lang.filler, rng.randint(1, 4)), "O")
        kind = rng.choice(("PER", "LOC", "ORG"))
        if kind == "PER":
            add([lang.title], "O")
            add(rng.sample(lang.persons, rng.randint(1, 2)), "PER")
        elif kind == "LOC":
            add([lang.at], "O")
            add([rng.choice(lang.places)], "LOC")
        else:
            add([*rng.sample(lang.orgs, rng.randint(1, 2)), lang.org_suffix], "ORG")
    add(rng.sample(lang.filler, rng.randint(0, 3)), "O")
    return TaggedExample(tuple(tokens), tuple(tags))


def _join(lang: _Lang, words: Sequence[str]) -> str:
    return ("" if lang.cjk else " ").join(words)


def _xnli(lang: _Lang) -> PairExample:
    rng = lang.rng
    premise = lang.content_words(rng.randint(7, 11))
    label = rng.choice(("entailment", "neutral", "contradiction"))
    kept = sorted(rng.sample(range(len(premise)), rng.randint(3, 5)))
    hypothesis = [premise[i] for i in kept]
    if label == "contradiction":
        hypothesis.insert(rng.randint(0, len(hypothesis)), lang.negation)
    elif label == "neutral":
        hypothesis = hypothesis[:2] + lang.content_words(rng.randint(3, 4))
    if rng.random() < 0.08:  # label noise, as in real annotation
        label = rng.choice(("entailment", "neutral", "contradiction"))
    return PairExample(_join(lang, premise), _join(lang, hypothesis), label)


def _pawsx(lang: _Lang) -> PairExample:
    rng = lang.rng
    first = lang.content_words(rng.randint(3, 5))
    second = lang.content_words(rng.randint(3, 5))
    comma = "，" if lang.cjk else " ,"
    sentence = [*first, comma, *second]
    label = rng.choice(("0", "1"))
    if label == "1":  # the two clauses swapped: the same meaning
        other = [*second, comma, *first]
    else:  # two words swapped across clauses: same words, other meaning
        other = list(sentence)
        i, j = rng.randrange(len(first)), len(first) + 1 + rng.randrange(len(second))
        other[i], other[j] = other[j], other[i]
    return PairExample(_join(lang, sentence), _join(lang, other), label)


MAKERS: dict[str, Callable[[_Lang], Example]] = {
    "udpos": _udpos,
    "panx": _panx,
    "xnli": _xnli,
    "pawsx": _pawsx,
}


def generate_examples(
    tasks: Sequence[Task],
    languages: Mapping[str, Sequence[str]],
    *,
    seed: int,
    per_language: int = 600,
) -> dict[tuple[str, str], list[Example]]:
    """Labelled examples per (task, language); ids are left to sealing."""
    out: dict[tuple[str, str], list[Example]] = {}
    for task in tasks:
        if task.id not in MAKERS:
            raise ValueError(f"no synthetic generator for task {task.id!r}")
        for lang_code in languages.get(task.id, task.languages):
            out[(task.id, lang_code)] = list(_examples(task.id, lang_code, seed, per_language))
    return out


@functools.lru_cache(maxsize=32)
def _examples(task: str, lang_code: str, seed: int, count: int) -> tuple[Example, ...]:
    """One language's examples of one task, a function of its arguments alone (the examples
    are frozen): a process that prepares competitions again (the tests, a notebook) makes
    each once. 32 of 600 examples are a few MB."""
    lang = _Lang(lang_code, seed)
    lang.rng.seed(seed * 7_919 + zlib.crc32(f"{task}/{lang_code}".encode()))
    return tuple(MAKERS[task](lang) for _ in range(count))


def open_synthetic(
    source: str,
    base_dir: Path,
    tasks: Sequence[Task],
    languages: Mapping[str, Sequence[str]],
    *,
    seed: int = 0,
    data: DataSpec | None = None,
) -> ExampleSource:
    """`[data] source = "synthetic"` (`podium.data.sources.SOURCES`)."""
    from podium.data.sources import PoolSource

    return PoolSource(generate_examples(tasks, languages, seed=seed), "synthetic")
