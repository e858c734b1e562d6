"""Metrics: hand-computed cases, seqeval's quirks, errors, and parity with seqeval itself."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from podium.core.errors import NotFoundError
from podium.metrics import (
    METRIC_NAMES,
    accuracy,
    builtin_metrics,
    compute_metric,
    mean,
    span_counts,
    span_f1,
    task_means,
    token_accuracy,
)
from podium.metrics import spans as metrics

SAMPLE = Path(__file__).resolve().parents[1].parent / "shared" / "xtreme-sample"

Tags = list[list[str]]
F1 = Callable[[Tags, Tags], float]


@pytest.fixture(scope="module")
def seqeval_f1() -> F1:
    """100 * seqeval's default f1_score, with its per-tag warnings silenced."""
    seqeval_metrics = pytest.importorskip("seqeval.metrics")

    def f1(gold: Tags, pred: Tags) -> float:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return 100 * float(seqeval_metrics.f1_score(gold, pred))

    return f1


# --- accuracy and token accuracy ------------------------------------------------------------


def test_accuracy_counts_equal_labels() -> None:
    assert accuracy(["a", "b", "c", "d"], ["a", "b", "x", "d"]) == 75.0
    assert accuracy(("0", "1"), ("1", "0")) == 0.0


def test_accuracy_of_nothing_is_zero() -> None:
    assert accuracy([], []) == 0.0


def test_accuracy_rejects_length_mismatch_and_strings() -> None:
    with pytest.raises(ValueError, match="gold has 2 labels but pred has 1"):
        accuracy(["a", "b"], ["a"])
    with pytest.raises(TypeError, match="not a string"):
        accuracy("ab", "ab")


def test_token_accuracy_counts_tokens_over_sentences() -> None:
    gold = [["NOUN", "VERB"], ["DET"]]
    pred = [["NOUN", "NOUN"], ["DET"]]
    assert token_accuracy(gold, pred) == pytest.approx(200 / 3)
    assert token_accuracy([], []) == 0.0
    assert token_accuracy([[], []], [[], []]) == 0.0


@pytest.mark.parametrize("metric", [token_accuracy, span_f1])
def test_sequence_metrics_name_the_mismatching_sentence(metric: F1) -> None:
    with pytest.raises(ValueError, match="gold has 2 sentences but pred has 1"):
        metric([["O"], ["O"]], [["O"]])
    with pytest.raises(ValueError, match="sentence 1: gold has 2 tokens but pred has 1"):
        metric([["O"], ["O", "B-PER"], ["O"]], [["O"], ["O"], ["O"]])


@pytest.mark.parametrize("metric", [token_accuracy, span_f1])
def test_sequence_metrics_reject_a_flat_tag_list(metric: Callable[..., float]) -> None:
    with pytest.raises(TypeError, match="not strings"):
        metric(["B-PER", "O"], ["B-PER", "O"])  # a flat list type-checks: str is a Sequence


# --- span F1: hand-computed -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("gold", "pred", "counts"),
    [
        # 2 gold entities; 1 predicted correctly and 1 spurious: P = R = 1/2.
        ([["B-PER", "O", "B-LOC", "O"]], [["B-PER", "O", "O", "B-ORG"]], (1, 2, 2)),
        # Right boundaries, wrong type on one: P = R = 1/2.
        ([["B-PER", "I-PER", "O", "B-LOC"]], [["B-PER", "I-PER", "O", "B-ORG"]], (1, 2, 2)),
        # One of two found, nothing spurious: P = 1, R = 1/2.
        ([["B-PER", "O", "B-LOC"]], [["B-PER", "O", "O"]], (1, 1, 2)),
        # A split entity matches neither half.
        ([["B-PER", "I-PER"]], [["B-PER", "B-PER"]], (0, 2, 1)),
        # conlleval: I- after O starts a chunk, so I-PER I-PER is the chunk B-PER I-PER.
        ([["I-PER", "I-PER"]], [["B-PER", "I-PER"]], (1, 1, 1)),
        # A type change inside a run splits it: B-PER I-LOC is PER and LOC.
        ([["B-PER", "I-LOC"]], [["B-PER", "B-LOC"]], (2, 2, 2)),
        # E-/S- are understood: S-PER B-LOC E-LOC is PER(0) and LOC(1-2).
        ([["S-PER", "B-LOC", "E-LOC", "O"]], [["B-PER", "B-LOC", "I-LOC", "O"]], (2, 2, 2)),
        # Sentences do not run into each other.
        ([["B-PER"], ["I-PER"]], [["B-PER"], ["B-PER"]], (2, 2, 2)),
        # Empty sentences are allowed anywhere.
        ([[], ["B-PER"], [], ["B-LOC"], []], [[], ["B-PER"], [], ["O"], []], (1, 1, 2)),
        # Nothing anywhere.
        ([["O", "O"]], [["O", "O"]], (0, 0, 0)),
    ],
)
def test_span_counts_by_hand(gold: Tags, pred: Tags, counts: tuple[int, int, int]) -> None:
    assert span_counts(gold, pred) == counts


def test_span_f1_from_counts_by_hand() -> None:
    assert span_f1([["B-PER", "O", "B-LOC", "O"]], [["B-PER", "O", "O", "B-ORG"]]) == 50.0
    assert span_f1([["B-PER", "O", "B-LOC"]], [["B-PER", "O", "O"]]) == pytest.approx(200 / 3)
    assert span_f1([["B-PER", "I-PER", "O"]], [["B-PER", "I-PER", "O"]]) == 100.0


def test_span_f1_zero_division_is_zero() -> None:
    assert span_f1([], []) == 0.0
    assert span_f1([[]], [[]]) == 0.0
    assert span_f1([["O"]], [["O"]]) == 0.0  # no entities at all
    assert span_f1([["O"]], [["B-PER"]]) == 0.0  # only spurious ones
    assert span_f1([["B-PER"]], [["O"]]) == 0.0  # only missed ones


def test_span_f1_accepts_tuples() -> None:
    assert span_f1([("B-PER", "O")], [("B-PER", "O")]) == 100.0


@pytest.mark.parametrize(
    ("gold", "pred", "match"),
    [
        ([["B-PER", ""]], [["B-PER", "O"]], "empty tag"),
        ([[""]], [["O"]], "empty tag"),
        ([["B-PER", "O"]], [["B-PER", "O\nB-LOC"]], "line break"),
    ],
)
def test_span_f1_rejects_unreadable_tags(gold: Tags, pred: Tags, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        span_f1(gold, pred)


# --- span F1: seqeval's reading of tags that are not IOB (UD-POS) -------------------------------

# seqeval reads tag[0] as the prefix and the rest (after a first "-", if any) as the type.
UPOS_CASES: list[tuple[Tags, Tags, tuple[int, int, int]]] = [
    # NOUN NOUN is one chunk (prefix N, type OUN); VERB ends it.
    ([["NOUN", "NOUN", "VERB"]], [["NOUN", "VERB", "VERB"]], (0, 2, 2)),
    # PRON and PROPN share the prefix P but not the type: two chunks.
    ([["PRON", "PROPN"]], [["PRON", "PROPN"]], (2, 2, 2)),
    # SCONJ is a single-token (S-) tag: every one is its own chunk.
    ([["SCONJ", "SCONJ"]], [["SCONJ", "SCONJ"]], (2, 2, 2)),
    # INTJ is an inside (I-) tag: a run is one chunk.
    ([["INTJ", "INTJ"]], [["INTJ", "INTJ"]], (1, 1, 1)),
    # CCONJ and SCONJ both have the type CONJ, so predicting one for the other is correct.
    ([["CCONJ"]], [["SCONJ"]], (1, 1, 1)),
    # X has the type of O: a run of X ending in O is never reported.
    ([["X", "X"]], [["X", "X"]], (0, 0, 0)),
    ([["NOUN", "X"]], [["NOUN", "X"]], (1, 1, 1)),
    # X after an O does not start a chunk; when NOUN ends it, seqeval reports the chunk from
    # the last start - here B-PER, one sentence earlier: chunks PER(0), _(0-2), OUN(3).
    ([["B-PER"], ["X", "NOUN"]], [["B-PER"], ["X", "NOUN"]], (3, 3, 3)),
    # ... so it even matches when that earlier chunk's type was wrong,
    ([["B-PER"], ["X", "NOUN"]], [["B-LOC"], ["X", "NOUN"]], (2, 3, 3)),
    # ... and with no start at all it reaches back to position 0: P = 1, R = 2/3.
    ([["B-PER"], ["X", "NOUN"]], [["O"], ["X", "NOUN"]], (2, 2, 3)),
    # As the very first tag X starts a chunk (seqeval's first previous type is "", not "_"),
    # which comes to the same as reaching back to position 0.
    ([["X", "NOUN"]], [["X", "NOUN"]], (2, 2, 2)),
]


@pytest.mark.parametrize(("gold", "pred", "counts"), UPOS_CASES)
def test_span_counts_read_upos_like_seqeval(
    gold: Tags, pred: Tags, counts: tuple[int, int, int]
) -> None:
    assert span_counts(gold, pred) == counts


@pytest.mark.parametrize(("gold", "pred", "counts"), UPOS_CASES)
def test_upos_cases_agree_with_seqeval(
    seqeval_f1: F1, gold: Tags, pred: Tags, counts: tuple[int, int, int]
) -> None:
    correct, n_pred, n_gold = counts
    precision = correct / n_pred if n_pred else 0.0
    recall = correct / n_gold if n_gold else 0.0
    expected = 200 * precision * recall / (precision + recall) if correct else 0.0
    assert span_f1(gold, pred) == pytest.approx(expected, abs=1e-9)
    assert seqeval_f1(gold, pred) == pytest.approx(expected, abs=1e-9)


ODD_CASES: list[tuple[Tags, Tags, tuple[int, int, int]]] = [
    # Types that differ only in a NUL byte, or after 8 bytes, are different types.
    ([["B-\0"]], [["B-"]], (0, 1, 1)),
    ([["B-VERYLONGTYPE"]], [["B-VERYLONGTYPF"]], (0, 1, 1)),
    # The type starts after the first character, however many bytes it takes.
    ([["Ä-PER"]], [["Ö-PER"]], (1, 1, 1)),
    # ... and after the first "-" that follows: NOUN-x and VERB-x are one "x" chunk.
    ([["NOUN-x", "VERB-x"]], [["NOUN-x", "O"]], (0, 1, 1)),
    ([["I-X-Y"]], [["B-X-Y"]], (1, 1, 1)),
]


@pytest.mark.parametrize(("gold", "pred", "counts"), ODD_CASES)
def test_span_counts_read_odd_tags_like_seqeval(
    seqeval_f1: F1, gold: Tags, pred: Tags, counts: tuple[int, int, int]
) -> None:
    assert span_counts(gold, pred) == counts
    assert span_f1(gold, pred) == pytest.approx(seqeval_f1(gold, pred), abs=1e-9)


# --- span F1: parity with seqeval on generated tags ----------------------------------------

# Tags that take the fast path (ASCII first character, at most 8 bytes, "-" only second) ...
SHORT_TAGS = [
    *["O", "B-PER", "I-PER", "E-PER", "S-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG"],
    *["NOUN", "PROPN", "PRON", "VERB", "X", "INTJ", "SCONJ", "CCONJ", "SYM", "PUNCT"],
    *["B-", "I-", "E-", ".", ".X", "O-PER", "-", "--", "-A", "B-_", "_", "BB", "S"],
]
# ... and tags that do not (several words per type, non-ASCII, a "-" further in).
ODD_TAGS = ["B-VERYLONGTYPE", "I-VERYLONGTYPE", "I-VERYLONGTYPF", "Ä-PER", "ÖPER", "B-PÉR"]
ODD_TAGS += ["日-X", "I-X-Y", "NOUN-x", "B-x-_", "O\0", "B-\0"]
short_tags = st.sampled_from(SHORT_TAGS)
any_tags = st.one_of(
    short_tags,
    st.sampled_from(ODD_TAGS),
    st.text(min_size=1, max_size=10).filter(lambda t: "\n" not in t),
)


def variant(tag: str, tags: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """A predicted tag: the gold one, another one, or the gold type under another prefix."""
    return st.one_of(st.just(tag), tags, st.sampled_from("BIO").map(lambda p: p + tag[1:]))


@st.composite
def gold_and_pred(draw: st.DrawFn, tags: st.SearchStrategy[str]) -> tuple[Tags, Tags]:
    """Tag sequences, and predictions of the same shape derived from them."""
    gold = draw(st.lists(st.lists(tags, max_size=8), min_size=1, max_size=6))
    pred = [[draw(variant(tag, tags)) for tag in sentence] for sentence in gold]
    return gold, pred


@settings(max_examples=200, deadline=None)
@given(gold_and_pred(short_tags), st.sampled_from([1 << 16, 1, 3, 7]))
def test_span_f1_equals_seqeval_on_short_tags(
    seqeval_f1: F1, data: tuple[Tags, Tags], block: int
) -> None:
    gold, pred = data
    with mock.patch.object(metrics, "_BLOCK_TOKENS", block):  # blocks must change nothing
        assert span_f1(gold, pred) == pytest.approx(seqeval_f1(gold, pred), abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(gold_and_pred(any_tags), st.sampled_from([1 << 16, 1, 3, 7]))
def test_span_f1_equals_seqeval_on_any_tags(
    seqeval_f1: F1, data: tuple[Tags, Tags], block: int
) -> None:
    gold, pred = data
    with mock.patch.object(metrics, "_BLOCK_TOKENS", block):
        assert span_f1(gold, pred) == pytest.approx(seqeval_f1(gold, pred), abs=1e-9)


# --- span F1: parity with seqeval on real XTREME data ---------------------------------------


def read_tagged(path: Path) -> Tags:
    """`token<TAB>tag` lines, a blank line between sentences."""
    sentences: Tags = [[]]
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            sentences[-1].append(line.rsplit("\t", 1)[1])
        elif sentences[-1]:
            sentences.append([])
    return [s for s in sentences if s]


def perturb(gold: Tags, seed: int, share: float = 0.1) -> Tags:
    """Replace a share of the tags by random labels of the same file, reproducibly."""
    rng = np.random.default_rng(seed)
    labels = sorted({tag for sentence in gold for tag in sentence})
    return [
        [labels[rng.integers(len(labels))] if rng.random() < share else tag for tag in sentence]
        for sentence in gold
    ]


def sample_files(pattern: str) -> list[Path]:
    return sorted(SAMPLE.glob(pattern)) if SAMPLE.is_dir() else []


needs_sample = pytest.mark.skipif(
    not SAMPLE.is_dir(), reason=f"the shared XTREME sample is not at {SAMPLE}"
)


@needs_sample
@pytest.mark.parametrize(
    "path",
    sample_files("panx/dev-*.tsv") + sample_files("udpos/test-*.tsv"),
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_span_f1_equals_seqeval_on_xtreme(seqeval_f1: F1, path: Path) -> None:
    gold = read_tagged(path)
    assert len(gold) > 100
    pred = perturb(gold, seed=len(gold))
    ours = span_f1(gold, pred)
    assert 0 < ours < 100
    assert ours == pytest.approx(seqeval_f1(gold, pred), abs=1e-9)
    assert span_f1(gold, gold) == 100.0


@needs_sample
@pytest.mark.parametrize("path", ["panx/dev-en.tsv", "udpos/test-en.tsv"])
def test_xtreme_tags_take_the_fast_path(seqeval_f1: F1, path: str) -> None:
    gold = read_tagged(SAMPLE / path)
    pred = perturb(gold, seed=1)
    slow_path = mock.patch.object(metrics, "_encode_any", side_effect=AssertionError("slow"))
    with slow_path:  # the general encoder is never reached for XTREME's tag sets...
        fast = span_f1(gold, pred)
    assert 0 < fast < 100  # ...and the fast path gives seqeval's figure
    assert fast == pytest.approx(seqeval_f1(gold, pred), abs=1e-9)


@needs_sample
def test_blocks_do_not_change_scores_on_xtreme() -> None:
    gold = read_tagged(SAMPLE / "udpos" / "test-en.tsv")
    pred = perturb(gold, seed=7, share=0.3)
    whole = span_counts(gold, pred)
    with mock.patch.object(metrics, "_BLOCK_TOKENS", 50):
        assert span_counts(gold, pred) == whole


# --- dispatch by name, and means ------------------------------------------------------------


def test_compute_metric_dispatches_by_name() -> None:
    assert set(METRIC_NAMES) == set(builtin_metrics())
    gold, pred = [["B-PER", "O"], ["NOUN"]], [["B-PER", "O"], ["VERB"]]
    assert compute_metric("span_f1", gold, pred) == span_f1(gold, pred) == 50.0
    assert compute_metric("token_accuracy", gold, pred) == pytest.approx(200 / 3)
    assert compute_metric("accuracy", ["0", "1"], ["0", "0"]) == 50.0


def test_unknown_metric_suggests_a_close_name() -> None:
    with pytest.raises(NotFoundError, match="unknown metric 'span-f1'") as err:
        compute_metric("span-f1", [["O"]], [["O"]])
    assert (err.value.hint or "").startswith("did you mean 'span_f1'")


def test_mean_of_languages_and_tasks() -> None:
    assert mean([50.0, 100.0, 0.0]) == 50.0
    assert mean(x for x in (1.0, 2.0)) == 1.5
    assert math.isclose(mean([0.1] * 10), 0.1)
    with pytest.raises(ValueError, match="no values"):
        mean([])


def test_task_means_average_languages_per_task() -> None:
    per_language = {("xnli", "en"): 80.0, ("xnli", "de"): 70.0, ("panx", "en"): 50.0}
    assert task_means(per_language) == {"panx": 50.0, "xnli": 75.0}
    assert list(task_means(per_language)) == ["panx", "xnli"]
    assert task_means({}) == {}
