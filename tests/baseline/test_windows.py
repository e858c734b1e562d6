"""Windows never cut a word, stay in budget, and predict every word exactly once."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from podium.baseline.windows import Window, clip_pieces, merge_windows, plan_windows


@given(
    lengths=st.lists(st.integers(1, 6), max_size=80),
    budget=st.integers(6, 30),
    overlap=st.integers(0, 40),
)
def test_windows_partition_the_words(lengths: list[int], budget: int, overlap: int) -> None:
    windows = plan_windows(lengths, budget, overlap)
    kept: list[int] = []
    for w in windows:
        assert w.start <= w.keep_start < w.keep_end <= w.end
        assert sum(lengths[w.start : w.end]) <= budget
        kept.extend(range(w.keep_start, w.keep_end))
    assert kept == list(range(len(lengths)))  # every word once, in order
    words = [f"w{i}" for i in range(len(lengths))]
    per_window = [words[w.start : w.end] for w in windows]
    assert merge_windows(windows, per_window) == words


def test_a_short_sentence_is_one_window() -> None:
    assert plan_windows([1, 2, 3], budget=10, overlap=4) == [Window(0, 3, 0, 3)]


def test_long_sentence_windows_overlap_for_context() -> None:
    windows = plan_windows([1] * 20, budget=8, overlap=4)
    assert len(windows) > 2
    first, second = windows[0], windows[1]
    assert second.start < first.end  # the second window sees words the first predicts
    assert first.keep_end < first.end  # the first leaves right context unpredicted
    assert second.start == second.keep_start - 2  # two words of left context (overlap // 2)


def test_words_longer_than_the_budget_must_be_clipped_first() -> None:
    with pytest.raises(ValueError, match="subwords"):
        plan_windows([3, 12, 2], budget=10, overlap=2)
    clipped = clip_pieces([[1, 2, 3], list(range(12)), [4, 5]], 10)
    assert [len(p) for p in clipped] == [3, 10, 2]
    assert [w.keep_end for w in plan_windows([len(p) for p in clipped], 10, 2)][-1] == 3


def test_merge_rejects_predictions_of_the_wrong_length() -> None:
    with pytest.raises(ValueError, match="words"):
        merge_windows([Window(0, 3, 0, 3)], [["a", "b"]])
