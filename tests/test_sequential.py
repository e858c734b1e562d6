"""The photo finish as a group-sequential test: its looks keep the published risk together,
twins stop early for futility, and the budget follows the measured noise (issue 23)."""

from __future__ import annotations

import math
import random
import statistics

import pytest

from podium.config.spec import parse_spec
from podium.config.template import render_default_spec
from podium.core.errors import SpecError
from podium.rules.efficiency import Noise, gain_interval, pooled_noise
from podium.rules.looks import (
    MAX_PHOTO_FINISH_RUNS,
    Plan,
    judge,
    photo_finish_budget,
    runs_for_power,
    spent,
)
from podium.rules.ranking import Entry, RerankRule, compare, contested, rank
from podium.rules.wording import mismatches

NOISE = Noise(0.1, 1000, "a long calibration")


def _twins(seed: int, plan: Plan, risk: float, sigma: float = 0.1) -> tuple[bool, int]:
    """Twins measured up to every look of `plan`, the noise estimated from their own runs
    (Student's t): (did any look exclude their true gain 0, the runs each spent)."""
    draw = random.Random(seed)
    a, b = [math.exp(draw.gauss(0, sigma))], [math.exp(draw.gauss(0, sigma))]
    for look in range(len(plan.points) + 1):
        while len(a) - 1 < plan.runs_at(look):
            a.append(math.exp(draw.gauss(0, sigma)))
            b.append(math.exp(draw.gauss(0, sigma)))
        noise = pooled_noise([a, b], Noise(sigma, 4, "a short calibration"))
        assert noise is not None
        seen = judge((a, len(a) - 1), (b, len(b) - 1), noise, plan, risk, 0.1, two_sided=True)
        if seen.interval.low > 0 or seen.interval.high < 0:
            return True, len(a) - 1
        if seen.futile:
            return False, len(a) - 1
    return False, len(a) - 1


def test_every_look_together_keeps_the_risk_and_twins_stop_early() -> None:
    risk, trials = 0.2, 400  # a high risk, so that a broken spending would show in 400 trials
    plan = Plan(runs_for_power(0.1, 0.1, 0.05, risk))  # sized as "auto" sizes it
    wrong, spent_runs = zip(*(_twins(s, plan, risk) for s in range(trials)), strict=True)
    assert sum(wrong) / trials <= risk  # the level holds over all six looks (estimated noise)
    assert statistics.mean(spent_runs) < plan.runs / 2  # futility: twins do not spend it all


def test_looking_as_often_at_a_fixed_interval_does_not_keep_it() -> None:
    """The peer: the look-0 interval read at every look splits twins far more often."""

    def ever_wrong(seed: int) -> bool:
        draw = random.Random(seed)
        a, b = [], []
        for _ in range(6):
            a += [math.exp(draw.gauss(0, 0.1)) for _ in range(8)]
            b += [math.exp(draw.gauss(0, 0.1)) for _ in range(8)]
            ci = gain_interval(a, b, NOISE, 0.9)
            if ci.low > 0 or ci.high < 0:
                return True
        return False

    assert sum(ever_wrong(s) for s in range(300)) / 300 > 0.2


def test_the_spending_function_spends_little_early_and_all_at_the_end() -> None:
    plan = Plan(50)
    assert plan.points == (10, 20, 30, 40, 50)
    steps = [plan.risk_at(k, 0.05) for k in range(6)]
    assert steps[0] == 0.025 and steps[1] < 1e-6 < steps[2] < steps[3] < steps[4] < steps[5]
    assert math.isclose(sum(steps[1:]), 0.025) and spent(1.0, 0.025) == 0.025
    assert Plan(3).points == (1, 2, 3)  # fewer runs than looks: a look after each run
    assert Plan(50).reached(29) == 2 and Plan(0).reached(9) == 0


def test_a_look_reads_the_runs_of_its_point_only() -> None:
    """A team re-measured more for another pair is cut back to the look both reached."""
    plan = Plan(10, looks=2)
    slow = ([1.0] * 11, 10)
    fast = ([0.5] * 6 + [2.0] * 5, 10)  # its last 5 runs are slow
    cut = ([0.5] * 6 + [2.0] * 5, 10), ([1.0] * 6, 5)
    full = judge(slow, fast, NOISE, plan, 0.05, 0.1, two_sided=True)
    half = judge(cut[1], cut[0], NOISE, plan, 0.05, 0.1, two_sided=True)
    assert full.look == 2 and full.runs == (11, 11)
    assert half.look == 1 and half.runs == (6, 6) and half.interval.low > 0.3


def test_the_budget_follows_the_noise() -> None:
    needed = [runs_for_power(s, 0.10, 0.05, 0.05) for s in (0.02, 0.05, 0.1, 0.2)]
    assert needed == sorted(needed) and needed[0] < 10 < needed[1] < 40 < needed[2]
    quiet = photo_finish_budget("auto", Noise(0.05, 29, "the calibration"), 0.05, 0.05)
    assert quiet.runs == needed[1] and "80% power at noise sd(log) 0.050" in quiet.why
    loud = photo_finish_budget("auto", Noise(0.2, 29, "the calibration"), 0.05, 0.05)
    assert loud.runs == needed[3] < MAX_PHOTO_FINISH_RUNS  # sd 0.2 fits the default cap
    capped = photo_finish_budget("auto", Noise(0.2, 29, "c"), 0.05, 0.05, max_runs=100)
    assert capped.runs == 100 and "more than the maximum" in capped.why
    assert photo_finish_budget(7, NOISE, 0.05, 0.05).runs == 7  # an integer as written
    assert photo_finish_budget("auto", None, 0.05, 0.05).runs == MAX_PHOTO_FINISH_RUNS


def test_photo_finish_runs_is_auto_by_default_and_an_integer_still_works() -> None:
    text = render_default_spec()
    assert parse_spec(text).efficiency.photo_finish_runs == "auto"
    written = text.replace('photo_finish_runs = "auto"', "photo_finish_runs = 4")
    assert parse_spec(written).efficiency.photo_finish_runs == 4
    for bad in ("-1", '"lots"'):
        with pytest.raises(SpecError, match="photo_finish_runs"):
            parse_spec(text.replace('photo_finish_runs = "auto"', f"photo_finish_runs = {bad}"))


def test_one_run_each_gives_no_team_the_bonus_of_a_place_it_does_not_surely_hold() -> None:
    """The oddity of issue 23: the best performer was "most efficient" beside a slower median."""
    entries = [Entry("Lead", 82.0, 1.0, 0.0, (1.0,)), Entry("Next", 80.0, 0.93, 1.0, (0.93,)),
               Entry("Far", 60.0, 0.95, 2.0, (0.95,))]  # fmt: skip
    placed = {p.team: p for p in rank(entries, RerankRule(), Noise(0.05, 29, "calibration"))}
    assert {p.efficiency_place for p in placed.values()} == {3}  # nobody surely faster
    assert {p.bonus for p in placed.values()} == {0}
    said = {t: p.reasons for t, p in placed.items()}
    assert not any("most efficient" in r for reasons in said.values() for r in reasons)
    assert mismatches({e.team: e.duration for e in entries}, said) == []


def test_twins_share_a_place_and_its_bonus_whoever_draws_the_faster_runs() -> None:
    outcomes = set()
    for seed in range(30):
        draw = random.Random(seed)
        runs = {t: tuple(math.exp(draw.gauss(0, 0.05)) * d for _ in range(3))
                for t, d in (("Deep", 1.0), ("Quick", 1.0), ("Slow", 2.0))}  # fmt: skip
        entries = [
            Entry(t, 80.0, statistics.median(r), i, r) for i, (t, r) in enumerate(runs.items())
        ]
        placed = rank(entries, RerankRule(), Noise(0.05, 29, "calibration"))
        outcomes.add(tuple((p.team, p.place, p.bonus, p.efficiency_place) for p in placed))
    assert outcomes == {(("Deep", 1, 1, 2), ("Quick", 2, 1, 2), ("Slow", 3, 0, 3))}


def test_twins_settled_for_futility_are_no_longer_contested_and_the_board_says_why() -> None:
    draw = random.Random(3)

    def runs(n: int) -> tuple[float, ...]:
        return tuple(math.exp(draw.gauss(0, 0.02)) for _ in range(n))

    plan, noise = Plan(20), Noise(0.02, 40, "a calibration")
    early = [Entry("Deep", 80.0, 1.0, 0.0, runs(1)), Entry("Quick", 80.0, 1.0, 1.0, runs(1))]
    assert contested(early, RerankRule(), noise, plan)  # one run each: not sure either way
    later = [Entry(e.team, 80.0, 1.0, e.submitted_at, e.samples + runs(4), 4) for e in early]
    said = compare(*later, RerankRule(), noise, plan)
    assert said.futile and not said.sure and said.look == (1, 5)
    assert "surely less than 10% apart, so re-measuring stopped" in said.text
    assert contested(later, RerankRule(), noise, plan) == []  # settled: the photo finish stops
    placed = rank(later, RerankRule(), noise, plan)
    assert [(p.team, p.place, p.bonus) for p in placed] == [
        ("Deep", 1, 1),
        ("Quick", 2, 1),
    ]  # shared: timing-free
