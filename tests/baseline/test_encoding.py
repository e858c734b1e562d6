"""Subword alignment: labels sit on each word's first subword, windows keep each word once."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from podium.baseline.encoding import (
    IGNORE,
    PAIR_FEATURES,
    encode_words,
    lcs_length,
    order_agreement,
    overlap_features,
    pair_sample,
    tagged_samples,
)
from podium.baseline.tokenizer import (
    encode_all,
    encode_parallel,
    train_wordpiece,
    wordpiece_specials,
)
from podium.data.examples import PairExample, TaggedExample

TEXTS = ["the cat sat on the mat", "der Hund lief schnell", "猫が座った", "unbelievably long"] * 5


@pytest.fixture(scope="module")
def tokenizer():  # type: ignore[no-untyped-def]
    return train_wordpiece(TEXTS, vocab_size=120)


def test_first_subword_alignment(tokenizer) -> None:  # type: ignore[no-untyped-def]
    specials = wordpiece_specials(tokenizer)
    words = ["tacehtdog", "cat", "猫が"]  # an unseen word splits
    pieces = encode_words(tokenizer, words, specials.unk)
    assert len(pieces) == 3 and len(pieces[0]) > 1 and len(pieces[2]) == 2  # CJK: per char
    _, [sample] = tagged_samples(
        pieces, [4, 5, 6], task=0, specials=specials, max_len=64, overlap=8
    )
    assert sample.ids[0] == specials.cls and sample.ids[-1] == specials.sep
    assert sample.positions == [1, 1 + len(pieces[0]), 2 + len(pieces[0])]
    assert [sample.ids[p] for p in sample.positions] == [p[0] for p in pieces]
    assert sample.labels == [4, 5, 6]


def test_a_word_the_tokenizer_drops_becomes_unk(tokenizer) -> None:  # type: ignore[no-untyped-def]
    specials = wordpiece_specials(tokenizer)
    pieces = encode_words(tokenizer, ["cat", "\u200b", "mat"], specials.unk)
    assert pieces[1] == [specials.unk]


def test_long_sentence_windows_label_each_word_once(tokenizer) -> None:  # type: ignore[no-untyped-def]
    specials = wordpiece_specials(tokenizer)
    words = ["the", "cat", "sat", "on", "the", "mat"] * 6
    pieces = encode_words(tokenizer, words, specials.unk)
    windows, samples = tagged_samples(
        pieces, list(range(len(words))), task=0, specials=specials, max_len=12, overlap=4
    )
    assert len(samples) > 1 and all(len(s) <= 12 for s in samples)
    labelled = [label for s in samples for label in s.labels if label != IGNORE]
    assert labelled == list(range(len(words)))
    assert [w.end - w.start for w in windows] == [s.words for s in samples]


def test_pair_cut_to_fit_longest_first(tokenizer) -> None:  # type: ignore[no-untyped-def]
    specials = wordpiece_specials(tokenizer)
    sample = pair_sample(
        list(range(10, 40)), [7, 8], task=1, label=2, specials=specials, max_len=16, typed=True
    )
    assert len(sample) == 16
    assert sample.ids[-3:] == [7, 8, specials.sep]  # the short text survives whole
    assert sample.types[-3:] == [1, 1, 1] and sample.types[0] == 0
    assert (sample.positions, sample.labels, sample.task) == ([0], [2], 1)
    a0, a1, b0, b1 = sample.segments or (0, 0, 0, 0)
    assert sample.ids[a0:a1] == list(range(10, 10 + a1 - a0)) and sample.ids[b0:b1] == [7, 8]
    assert sample.features == overlap_features(list(range(10, 40)), [7, 8])  # before the cut


def test_overlap_features() -> None:
    premise = [5, 6, 7, 8, 9]
    same = overlap_features(premise, [6, 7, 8])
    new = overlap_features(premise, [20, 21, 22])
    assert len(same) == len(new) == PAIR_FEATURES
    assert all(0.0 <= f <= 1.0 for f in (*same, *new))
    assert same[:4] == (1.0, 0.6, 1.0, 1.0)  # b inside a: all its subwords and bigrams
    assert new[:4] == (0.0, 0.0, 0.0, 0.0) and new[4] > same[4] == 0.0
    assert len(overlap_features([], [])) == PAIR_FEATURES  # empty texts do not divide by 0


def _lcs_table(a: list[int], b: list[int]) -> int:
    row = [0] * (len(b) + 1)
    for x in a:
        prev, row = row, [0]
        for j, y in enumerate(b):
            row.append(prev[j] + 1 if x == y else max(prev[j + 1], row[j]))
    return row[-1]


@given(st.lists(st.integers(0, 6), max_size=40), st.lists(st.integers(0, 6), max_size=40))
def test_lcs_length_equals_the_table(a: list[int], b: list[int]) -> None:
    assert lcs_length(a, b) == _lcs_table(a, b) == lcs_length(b, a)


def test_order_features_tell_swapped_words_from_kept_order() -> None:
    a = [1, 2, 3, 4, 5, 6]
    swapped = [4, 2, 3, 1, 5, 6]  # same bag of words, two swapped (the PAWS-X trap)
    assert order_agreement(a, a) == 1.0 and order_agreement(a, a[::-1]) == 0.0
    assert 0.0 < order_agreement(a, swapped) < 1.0
    assert order_agreement(a, [9, 9]) == 1.0  # nothing shared: nothing out of order
    kept, moved = overlap_features(a, a), overlap_features(a, swapped)
    assert kept[8] == moved[8] == 1.0  # the bags of subwords are equal
    assert kept[9:12] == (1.0, 1.0, 1.0) and all(f < 1.0 for f in moved[9:12])


def test_parallel_tokenisation_equals_serial(tokenizer) -> None:  # type: ignore[no-untyped-def]
    unk = wordpiece_specials(tokenizer).unk
    items = [
        PairExample("the cat sat", f"der Hund {i}", "0")
        if i % 2
        else TaggedExample(("猫が", "mat", str(i)), ("a", "b", "c"))
        for i in range(300)
    ]
    serial = encode_all(tokenizer, items, unk)
    assert encode_parallel(tokenizer, items, unk, workers=2, chunk=64) == serial
