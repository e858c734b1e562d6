"""The canary test: an exact binomial test on discordant pairs, and its calibration."""

from __future__ import annotations

import pytest

from podium.rules.integrity import (
    IntegrityRule,
    PairCounts,
    binomial_tail,
    clopper_pearson_upper,
    count_pairs,
    false_positive_rate,
    recommend_lean,
    verdict,
)

RULE = IntegrityRule(honest_lean=0.75, suspect_p=0.001)


def test_a_table_is_suspect_an_honest_model_clean_and_too_few_canaries_unknown() -> None:
    table = count_pairs([(1.0, 0.0)] * 40 + [(1.0, 1.0)] * 20)
    assert verdict(table, RULE)["verdict"] == "suspect"
    assert verdict(table, RULE)["p_value"] == pytest.approx(0.75**40)
    honest = count_pairs([(1.0, 0.0)] * 12 + [(0.0, 1.0)] * 10 + [(1.0, 1.0)] * 60)
    assert verdict(honest, RULE)["verdict"] == "clean"
    # a model answering every canary as its original (majority) is clean, not unknown
    assert verdict(count_pairs([(0.0, 0.0)] * 30), RULE)["verdict"] == "clean"
    # 20 canaries cannot reach p < 0.001 at lean 0.75 even if every one is lost
    few = count_pairs([(1.0, 0.0)] * 20)
    assert verdict(few, RULE) == {
        "verdict": "unknown",
        "canaries": 20,
        "gap": 1.0,
        "p_value": pytest.approx(0.75**20),
    }
    assert verdict(count_pairs([]), RULE)["verdict"] == "unknown"


def test_gap_is_mean_original_minus_canary_and_tags_count_partly() -> None:
    counts = count_pairs([(1.0, 0.5), (0.5, 1.0), (1.0, 0.0)])
    assert (counts.original_wins, counts.canary_wins) == (2, 1)
    assert counts.gap == pytest.approx(1.0 / 3)


def test_calibration_recommends_a_lean_above_the_baselines() -> None:
    baseline = PairCounts(canaries=400, original_wins=70, canary_wins=50, gap=0.05)
    report = recommend_lean(baseline, rule=IntegrityRule(honest_lean=0.5))
    assert 70 / 120 < report.recommended_lean < 0.75
    # McNemar's 0.5 flags a model leaning like this baseline more often than the default does
    loose = false_positive_rate(70 / 120, 120, IntegrityRule(honest_lean=0.5))
    strict = false_positive_rate(70 / 120, 120, IntegrityRule(honest_lean=report.recommended_lean))
    assert report.false_positive == pytest.approx(loose)
    assert strict <= 0.001 < loose


@pytest.mark.parametrize(
    ("k", "n", "p"),
    [(0, 5, 0.5), (3, 10, 0.75), (60, 80, 0.75), (400, 500, 0.6), (7, 7, 0.99), (1, 2000, 0.001)],
)
def test_the_plain_python_test_agrees_with_scipy(k: int, n: int, p: float) -> None:
    from scipy.stats import beta, binomtest

    expected = binomtest(k, n, p, "greater").pvalue
    assert binomial_tail(k, n, p) == pytest.approx(expected, rel=1e-9, abs=1e-300)
    if k < n:
        assert clopper_pearson_upper(k, n, 0.99) == pytest.approx(beta.ppf(0.99, k + 1, n - k))


def test_contrast_copies_make_a_run_suspect_with_the_rate_held_for_both_tests() -> None:
    """Contrast canaries answered with the originals' answers: suspect on that test alone,
    its p-value doubled (two tests at one false-positive rate); either test powerless alone
    leaves the other's rate whole; a lean of copies an honest model has is clean."""
    from dataclasses import replace

    preserved = count_pairs([(1.0, 1.0)] * 60 + [(1.0, 0.0)] * 5 + [(0.0, 1.0)] * 5)
    copies = count_pairs([(1.0, 0.0)] * 60 + [(0.0, 1.0)] * 2 + [(0.0, 0.0)] * 30)
    record = verdict(replace(preserved, contrast=copies), RULE)
    contrast_p = binomial_tail(60, 62, RULE.contrast_lean)
    assert record["verdict"] == "suspect"
    assert record["p_value"] == pytest.approx(2 * contrast_p)
    assert record["contrast"] == {
        "canaries": 92, "copied": 60, "followed": 2, "p_value": pytest.approx(contrast_p),
    }  # fmt: skip
    assert record["canary_p_value"] > 0.5 and record["gap"] == 0.0
    honest = count_pairs([(1.0, 0.0)] * 15 + [(0.0, 1.0)] * 25 + [(0.5, 0.5)] * 30)
    assert verdict(replace(preserved, contrast=honest), RULE)["verdict"] == "clean"
    # at the edge: p just under suspect_p is suspect for one test, not when two share it
    edge = count_pairs([(1.0, 0.0)] * 25)  # 0.75**25 = 7.5e-4
    assert verdict(edge, RULE)["verdict"] == "suspect"
    assert verdict(replace(edge, contrast=honest), RULE)["verdict"] == "clean"
    none = count_pairs([])
    assert verdict(replace(none, contrast=count_pairs([(1.0, 0.0)] * 3)), RULE)["verdict"] == (
        "unknown"
    )
