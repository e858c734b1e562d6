"""Texts and words to model samples: subword ids, first-subword labels, windows.

Training and the packaged predict build samples with these same functions, so what the model
saw in training is what it sees in the submission. Runtime module: standard library and
`tokenizers` only.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING

from .windows import Window, clip_pieces, plan_windows

if TYPE_CHECKING:
    from tokenizers import Tokenizer

IGNORE = -100  # label of positions that carry no loss (later subwords, specials)
PAIR_FEATURES = 13  # length of overlap_features(): what a pair head reads besides states


@dataclass(frozen=True, slots=True)
class Specials:
    """Ids of the special tokens a sample is framed with."""

    cls: int
    sep: int
    pad: int
    unk: int


@dataclass(slots=True)
class Sample:
    """One encoder input: [CLS] a [SEP] (b [SEP]) for pairs, [CLS] window [SEP] for tags.

    `positions` are the first subwords of the window's words (tagging) or [0] (pairs);
    `labels` their gold label ids, IGNORE when unknown or when another window predicts the
    word (so that overlapping windows count each word once in the loss). `origin` = (example index, window
    index) finds the prediction's place again. Pairs also carry `segments`, the spans
    (a_start, a_end, b_start, b_end) of both texts in `ids`, and `features`, their lexical
    overlap (see overlap_features).
    """

    ids: list[int]
    types: list[int]
    task: int
    positions: list[int]
    labels: list[int]
    origin: tuple[int, int] = (0, 0)
    words: int = field(default=0)  # words encoded (tagging): the window's length
    segments: tuple[int, int, int, int] | None = None
    features: tuple[float, ...] = ()

    def __len__(self) -> int:
        return len(self.ids)


def encode_pair_texts(
    tokenizer: Tokenizer, text_a: str, text_b: str
) -> tuple[list[int], list[int]]:
    """Subword ids of both texts, without special tokens."""
    a = tokenizer.encode(text_a, add_special_tokens=False).ids
    b = tokenizer.encode(text_b, add_special_tokens=False).ids
    return list(a), list(b)


def encode_words(tokenizer: Tokenizer, words: Sequence[str], unk: int) -> list[list[int]]:
    """Subword ids per word; a word the tokenizer drops entirely becomes [UNK]."""
    encoding = tokenizer.encode(list(words), is_pretokenized=True, add_special_tokens=False)
    pieces: list[list[int]] = [[] for _ in words]
    for token_id, word in zip(encoding.ids, encoding.word_ids, strict=True):
        if word is not None:
            pieces[word].append(token_id)
    return [p or [unk] for p in pieces]


def lcs_length(a: Sequence[int], b: Sequence[int]) -> int:
    """Length of the longest common subsequence, bit-parallel (Hyyro 2004): O(len(b)) big-int
    steps instead of the len(a) * len(b) table, so it is cheap enough for predict time."""
    masks: dict[int, int] = {}
    for i, token in enumerate(a):
        masks[token] = masks.get(token, 0) | (1 << i)
    full = (1 << len(a)) - 1
    v = full
    for token in b:
        u = v & masks.get(token, 0)
        v = ((v + u) | (v - u)) & full
    return len(a) - v.bit_count()


def order_agreement(a: Sequence[int], b: Sequence[int]) -> float:
    """Share of pairs of subwords (each once in a and once in b) that keep their order in b.

    1.0 when nothing moved or too little is shared to tell; low when words swapped places,
    which is how PAWS-X builds most of its non-paraphrases from the same bag of words.
    """
    ca, cb = Counter(a), Counter(b)
    where = {t: i for i, t in enumerate(b) if cb[t] == 1}
    order = [where[t] for t in a if ca[t] == 1 and t in where]
    n = len(order)
    if n < 2:
        return 1.0
    seen: list[int] = []
    inversions = 0
    for pos in order:
        inversions += len(seen) - bisect.bisect_right(seen, pos)
        bisect.insort(seen, pos)
    return 1.0 - inversions / (n * (n - 1) / 2)


def overlap_features(a: Sequence[int], b: Sequence[int]) -> tuple[float, ...]:
    """Lexical overlap of two subword sequences, in [0, 1]; PAIR_FEATURES numbers.

    Which share of b's subwords (and bigrams, trigrams) occurs in a and of a's in b, whether b
    adds nothing new, how many new subwords b adds, the lengths, and the order: how much of
    what both share comes in the same order (longest common subsequence, pairs kept in order).
    They are computed from the model's own input at train and predict time alike and carry no
    language-specific rule. Word overlap is the classic signal of entailment (an entailed
    hypothesis mostly reuses the premise's words); word order is the signal of PAWS-X, whose
    non-paraphrases swap words around. A small encoder learnt from scratch finds neither on
    its own in a few thousand pairs; with these its pair heads beat the majority class.
    """
    sa, sb = set(a), set(b)
    common = len(sa & sb)
    ba = set(pairwise(a))
    bb = set(pairwise(b))
    ta = set(zip(a, a[1:], a[2:], strict=False))
    tb = set(zip(b, b[1:], b[2:], strict=False))
    new = len([t for t in b if t not in sa])
    ca, cb = Counter(a), Counter(b)
    shared = (ca & cb).total()
    lcs = lcs_length(a, b)
    return (
        common / max(1, len(sb)),
        common / max(1, len(sa)),
        len(bb & ba) / max(1, len(bb)),
        1.0 if sb <= sa else 0.0,
        min(1.0, math.log1p(new) / 4),
        min(1.0, math.log1p(len(a)) / 5),
        min(1.0, math.log1p(len(b)) / 5),
        len(b) / max(1, len(a) + len(b)),
        shared / max(1, (ca | cb).total()),
        lcs / max(1, len(a), len(b)),
        lcs / max(1, shared),
        order_agreement(a, b),
        len(tb & ta) / max(1, len(tb)),
    )


def pair_sample(
    a: Sequence[int],
    b: Sequence[int],
    *,
    task: int,
    label: int,
    specials: Specials,
    max_len: int,
    typed: bool,
    origin: tuple[int, int] = (0, 0),
) -> Sample:
    """[CLS] a [SEP] b [SEP], the longer text cut first so that it fits `max_len`.

    The overlap features are computed on the whole texts, before the cut.
    """
    room = max_len - 3
    la, lb = len(a), len(b)
    while la + lb > room:
        if la >= lb:
            la -= 1
        else:
            lb -= 1
    ids = [specials.cls, *a[:la], specials.sep, *b[:lb], specials.sep]
    second = 1 if typed else 0
    types = [0] * (la + 2) + [second] * (lb + 1)
    segments = (1, 1 + la, la + 2, la + 2 + lb)
    return Sample(
        ids, types, task, [0], [label], origin, segments=segments, features=overlap_features(a, b)
    )


def tagged_samples(
    pieces: Sequence[Sequence[int]],
    tags: Sequence[int] | None,
    *,
    task: int,
    specials: Specials,
    max_len: int,
    overlap: int,
    example: int = 0,
) -> tuple[list[Window], list[Sample]]:
    """Samples of one sentence, one per window; labels on the first subword of each word."""
    budget = max_len - 2
    clipped = clip_pieces(pieces, budget)
    windows = plan_windows([len(p) for p in clipped], budget, overlap)
    samples = []
    for w_index, window in enumerate(windows):
        ids = [specials.cls]
        positions: list[int] = []
        labels: list[int] = []
        for word in range(window.start, window.end):
            positions.append(len(ids))
            kept = window.keep_start <= word < window.keep_end
            labels.append(tags[word] if kept and tags is not None else IGNORE)
            ids.extend(clipped[word])
        ids.append(specials.sep)
        samples.append(
            Sample(
                ids,
                [0] * len(ids),
                task,
                positions,
                labels,
                (example, w_index),
                window.end - window.start,
            )
        )
    return windows, samples
