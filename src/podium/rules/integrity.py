"""Does a run answer canaries worse than their originals, or copy its originals' answers onto
contrast canaries? The verdict, and its calibration.

Each canary is paired with its original and each side gets a score (1/0 for a label, the
share of tokens right for tags, minus the error for a number). A pair is discordant when the
two scores differ; a table from public test texts to gold labels wins nearly every discordant
pair on the original side, an honest model about as often one side as the other. The exact
binomial test asks whether the original side wins more than `honest_lean` of the discordant
pairs (0.5 is McNemar's test; a calibrated lean allows for canaries an honest model finds a
little harder). `podium calibrate` measures the baseline's lean and recommends one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

CLEAN, SUSPECT, UNKNOWN = "clean", "suspect", "unknown"


@dataclass(frozen=True)
class IntegrityRule:
    """The threshold of the test: the lean an honest model may have, and the p-value below
    which a run is suspect (the false-positive rate for a model leaning no more)."""

    honest_lean: float = 0.75
    suspect_p: float = 0.001
    # the share of contrast pairs an honest model may copy: a model blind to the input copies
    # half (by construction), the shipped examples 0.23-0.50 on the XTREME sample
    contrast_lean: float = 0.65


@dataclass(frozen=True)
class PairCounts:
    """The paired comparison of one run: canaries, discordant pairs each way, and the gap
    (mean score on the originals minus on their canaries)."""

    canaries: int
    original_wins: int
    canary_wins: int
    gap: float
    # the contrast canaries' counts: "original wins" are answers copying the original's
    # (`data.contrast`); None when the run had none
    contrast: PairCounts | None = None

    @property
    def discordant(self) -> int:
        return self.original_wins + self.canary_wins

    @property
    def lean(self) -> float | None:
        """The share of discordant pairs the original side won (None without any)."""
        return self.original_wins / self.discordant if self.discordant else None


def count_pairs(pairs: Sequence[tuple[float, float]]) -> PairCounts:
    """(original's score, canary's score) per canary -> the counts the test reads."""
    wins = sum(1 for o, c in pairs if o > c)
    losses = sum(1 for o, c in pairs if c > o)
    gap = sum(o - c for o, c in pairs) / len(pairs) if pairs else 0.0
    return PairCounts(len(pairs), wins, losses, gap)


def binomial_tail(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p), summed in log space (plain Python: the bare install
    has no scipy; the tests check it against scipy's)."""
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    if p <= 0.0 or p >= 1.0:
        return 1.0 if p >= 1.0 else 0.0
    log_p, log_q, top = math.log(p), math.log1p(-p), math.lgamma(n + 1)
    terms = [
        math.exp(top - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * log_p + (n - i) * log_q)
        for i in range(k, n + 1)
    ]
    return min(1.0, math.fsum(terms))


def p_value(counts: PairCounts, lean: float) -> float:
    """One-sided exact binomial test: P(original wins >= observed | honest lean)."""
    if not counts.discordant:
        return 1.0
    return binomial_tail(counts.original_wins, counts.discordant, lean)


def verdict(counts: PairCounts, rule: IntegrityRule) -> dict[str, Any]:
    """The run's `integrity` record, from two tests: label-preserving canaries answered worse
    than their originals, and contrast canaries answered with their originals' answers (a
    nearest-neighbour lookup passes the first and fails the second). `p_value` is the
    smaller p-value times the number of tests that could reach `suspect_p` (Bonferroni), so
    an honest run is suspect at most `suspect_p` of the time whichever test flags it. A test
    is left out when too few of its canaries exist for any outcome to reach its share of
    `suspect_p`; unknown when both are."""
    tests = [(counts, rule.honest_lean)]
    if counts.contrast is not None:
        tests.append((counts.contrast, rule.contrast_lean))
    sized = [t for t in tests if t[0].canaries]
    alpha = rule.suspect_p / max(1, len(sized))
    able = [(c, lean) for c, lean in sized if lean**c.canaries < alpha]
    # a test that cannot reach alpha cannot make the smallest p-value reach `suspect_p` either
    p = min(1.0, len(sized) * min((p_value(c, lean) for c, lean in sized), default=1.0))
    word = UNKNOWN if not able else SUSPECT if p < rule.suspect_p else CLEAN
    record: dict[str, Any] = {
        "verdict": word,
        "canaries": counts.canaries,
        "gap": round(counts.gap, 6),
        "p_value": p,
    }
    if counts.contrast is not None:
        c = counts.contrast
        record["canary_p_value"] = p_value(counts, rule.honest_lean)
        record["contrast"] = {
            "canaries": c.canaries,
            "copied": c.original_wins,
            "followed": c.canary_wins,
            "p_value": p_value(c, rule.contrast_lean),
        }
    return record


@dataclass(frozen=True)
class LeanReport:
    """What `podium calibrate` says about canaries: the baseline's pairs, the lean it
    recommends, and the false-positive rate of the configured lean for a model like it."""

    counts: PairCounts
    recommended_lean: float
    configured_lean: float
    false_positive: float  # P(suspect) for a model of the baseline's lean, configured rule
    suspect_p: float


def recommend_lean(
    counts: PairCounts, *, rule: IntegrityRule, confidence: float = 0.99
) -> LeanReport:
    """The smallest lean (at least 0.5) above the baseline's with `confidence`: the upper
    Clopper-Pearson bound of its lean, so that an honest model like the baseline is flagged
    at most `suspect_p` of the time; and the configured lean's rate for such a model."""
    d, wins = counts.discordant, counts.original_wins
    upper = clopper_pearson_upper(wins, d, confidence)
    recommended = min(0.99, max(0.5, math.ceil(upper * 100) / 100)) if d else 0.5
    true_lean = counts.lean if counts.lean is not None else 0.5
    return LeanReport(
        counts=counts,
        recommended_lean=recommended,
        configured_lean=rule.honest_lean,
        false_positive=false_positive_rate(true_lean, d, rule),
        suspect_p=rule.suspect_p,
    )


def clopper_pearson_upper(wins: int, n: int, confidence: float) -> float:
    """The exact upper confidence bound of a binomial share: the u at which P(X <= wins)
    falls to 1 - confidence (found by bisection; it decreases in u)."""
    if n == 0 or wins >= n:
        return 1.0
    low, high = wins / n, 1.0
    for _ in range(60):
        mid = (low + high) / 2
        if 1.0 - binomial_tail(wins + 1, n, mid) > 1 - confidence:
            low = mid
        else:
            high = mid
    return high


def false_positive_rate(true_lean: float, discordant: int, rule: IntegrityRule) -> float:
    """P(p < suspect_p) when an honest model leans `true_lean` over `discordant` pairs."""
    if discordant == 0:
        return 0.0
    # the fewest original wins that are suspect (the tail shrinks as wins grow), then the
    # chance of at least that many under the true lean
    low, high = 0, discordant + 1
    while low < high:
        mid = (low + high) // 2
        if binomial_tail(mid, discordant, rule.honest_lean) < rule.suspect_p:
            high = mid
        else:
            low = mid + 1
    return binomial_tail(low, discordant, true_lean) if low <= discordant else 0.0
