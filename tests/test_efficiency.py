"""The statistics behind efficiency decisions, and the decisions themselves on durations
drawn from known distributions (the way a photo finish sees them: one look per round)."""

from __future__ import annotations

import math
import random
import statistics
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from podium.rules.efficiency import (
    Noise,
    gain,
    gain_interval,
    median_interval,
    pooled_noise,
    student_t_quantile,
)
from podium.rules.leaderboard import BoardSettings, RunFacts, Timing, build_leaderboard
from podium.rules.looks import Plan
from podium.rules.ranking import RerankRule

ASSUMED = Noise(0.2, 4, "the assumed noise")


@pytest.mark.parametrize(
    ("p", "df", "expected"),
    [(0.975, 1, 12.7062), (0.975, 4, 2.7764), (0.975, 10, 2.2281), (0.95, 30, 1.6973),
     (0.995, 2, 9.9248), (0.6, 5, 0.2672)],
)  # fmt: skip
def test_student_t_quantiles_match_the_tables(p: float, df: int, expected: float) -> None:
    assert student_t_quantile(p, df) == pytest.approx(expected, abs=1e-4)
    assert student_t_quantile(1 - p, df) == pytest.approx(-expected, abs=1e-4)


def test_the_median_interval_states_what_it_covers() -> None:
    assert median_interval([3.0, 1.0, 2.0]) == median_interval([1.0, 2.0, 3.0])
    three = median_interval([1.0, 2.0, 3.0])
    assert (three.low, three.high, three.confidence) == (1.0, 3.0, 0.75)
    ten = median_interval([float(x) for x in range(1, 11)])
    assert (ten.low, ten.high) == (2.0, 9.0) and ten.confidence == pytest.approx(0.9785, abs=1e-4)
    assert median_interval([5.0]).confidence == 0.0


def test_the_median_interval_covers_the_median_as_often_as_it_says() -> None:
    rng = random.Random(4)
    draws = [[rng.lognormvariate(0, 0.2) for _ in range(9)] for _ in range(4000)]
    covered = sum(median_interval(d).low <= 1.0 <= median_interval(d).high for d in draws)
    assert 0.94 <= covered / len(draws) <= 0.99  # 9 samples: the 2nd and 8th, 96.1%


def test_noise_is_pooled_over_groups_and_the_prior() -> None:
    groups = [[1.0, math.e**0.1], [2.0, 2.0 * math.e**-0.1]]
    pooled = pooled_noise(groups)
    assert pooled is not None and pooled.df == 2
    assert pooled.sigma == pytest.approx(math.sqrt(2 * 0.005 / 2 * 2 / 2), rel=1e-9)
    with_prior = pooled_noise(groups, ASSUMED)
    assert with_prior is not None and with_prior.df == 6 and with_prior.sigma > pooled.sigma
    assert pooled_noise([[1.0], [2.0]]) is None and pooled_noise([[1.0]], ASSUMED) == replace(
        ASSUMED, floor=0.2
    )


def test_the_gain_interval_covers_the_true_gain_as_often_as_it_says() -> None:
    rng = random.Random(7)
    covered = 0
    for _ in range(3000):
        slow = [rng.lognormvariate(math.log(1.0), 0.1) for _ in range(5)]
        fast = [rng.lognormvariate(math.log(0.8), 0.1) for _ in range(5)]
        noise = pooled_noise([slow, fast])
        assert noise is not None
        ci = gain_interval(slow, fast, noise)
        covered += ci.low <= 0.2 <= ci.high
        assert ci.low <= gain(slow, fast) <= ci.high
    assert 0.93 <= covered / 3000 <= 0.97


# --- decisions on durations drawn from known distributions ---------------------------------


def _facts(team: str, score: float, walls: list[float], remeasured: int, order: int) -> RunFacts:
    return RunFacts(
        team=team, members=(), submission_id=order, attempt=1, run_id=order,
        submitted_at=datetime(2026, 1, 1, order, tzinfo=UTC),
        scores={("xnli", "en", "accuracy"): score}, walls=walls[:3], cpu_seconds=1.0,
        peak_rss_bytes=1, hardware="ref", samples={"wall_time": walls}, remeasures=remeasured,
    )  # fmt: skip


def photo_finish(seed: int, slower: float, faster: float, *, repeats: int = 3, budget: int = 10):  # type: ignore[no-untyped-def]
    """The decision on A (ahead by 0.1 points) and T, re-measured like the service does:
    while undecided and within budget, runs (of `repeats` timed repeats) each up to the next
    planned look. Durations jitter uniformly by ±20% around their true value."""
    rng = random.Random(seed)

    def run(base: float) -> list[float]:
        return [base * (1 + rng.uniform(-0.2, 0.2)) for _ in range(repeats)]

    a, t = run(slower), run(faster)
    done = 0
    for looks in (0, *Plan(budget).points):
        for _ in range(looks - done):
            a, t = a + run(slower), t + run(faster)
        done = looks
        board = build_leaderboard(BoardSettings(competition="c", metrics={"xnli": "accuracy"}, hardware="ref", rule=RerankRule()), stage="s", status="closed", runs=[_facts("A", 80.1, a, looks, 1), _facts("T", 80.0, t, looks, 2)], teams=["A", "T"], timing=Timing(assumed=ASSUMED, photo_finish_runs=budget))  # fmt: skip
        decision = next(d for d in board.decisions if d.team == "T")
        if decision.kind != "undecided" or looks == budget:
            return decision, looks, board
    raise AssertionError("unreachable")


def test_identical_twins_are_never_swapped() -> None:
    # the looks spend the risk together (podium.rules.looks): 40 runs never move a twin
    outcomes = [photo_finish(seed, 1.0, 1.0, budget=40)[0].kind for seed in range(120)]
    assert "moved" not in outcomes
    assert outcomes.count("refused") > 12  # some are settled, not left undecided forever


def test_a_three_times_faster_team_is_always_lifted_at_once() -> None:
    for seed in range(300):
        decision, looks, board = photo_finish(seed, 3.0, 1.0)
        assert decision.granted and looks == 0 and [r.team for r in board.rows] == ["T", "A"]
        assert decision.gain_ci is not None and decision.gain_ci[0] > 0.05


def test_a_photo_finish_resolves_a_15_percent_gain_within_its_budget() -> None:
    # one timing per run: a run's repeats, back to back, are one observation (rules.looks)
    results = [photo_finish(seed, 1.0, 0.85, budget=40) for seed in range(150)]
    granted = [looks for decision, looks, _ in results if decision.granted]
    assert len(granted) / len(results) >= 0.9
    # it stops at the first planned look that is sure (looks after 8, 16, ... 40 runs; each
    # run's three repeats, back to back, are one observation: podium.rules.looks)
    assert statistics.median(granted) <= 24
    assert all(d.kind != "refused" for d, _, _ in results)


def test_undecided_and_not_yet_remeasured_means_provisional() -> None:
    decision, looks, board = photo_finish(11, 1.0, 0.93, budget=0)
    assert decision.kind == "undecided" and looks == 0 and not board.provisional  # no budget
    first = build_leaderboard(BoardSettings(competition="c", metrics={"xnli": "accuracy"}, hardware="ref", rule=RerankRule()), stage="s", status="open", runs=[_facts("A", 80.1, [1.0, 1.1, 0.9], 0, 1), _facts("T", 80.0, [0.95, 0.9, 1.0], 0, 2)], teams=["A", "T"], timing=Timing(assumed=ASSUMED, photo_finish_runs=10))  # fmt: skip
    assert [d.kind for d in first.decisions if d.team == "T"] == ["undecided"]
    assert first.provisional and first.to_dict()["provisional"] is True
