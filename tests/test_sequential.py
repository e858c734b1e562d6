"""The photo finish as a sequential test: its interval holds at every look together, its
budget follows the measured noise, and a bonus needs a sure difference (issue 23)."""

from __future__ import annotations

import math
import random
import statistics

import pytest

from podium.config.spec import parse_spec
from podium.config.template import render_default_spec
from podium.core.errors import SpecError
from podium.rules.efficiency import (
    MAX_PHOTO_FINISH_RUNS,
    Noise,
    gain_interval,
    photo_finish_budget,
    runs_for_power,
    sequential_gain_interval,
)
from podium.rules.ranking import Entry, RerankRule, rank
from podium.rules.wording import mismatches

NOISE = Noise(0.1, 1000, "a long calibration")


def _ever_wrong(interval_of, seed: int, looks: int) -> bool:  # type: ignore[no-untyped-def]
    """Twins measured a run each at a time: does any look exclude their true gain (0)?"""
    draw = random.Random(seed)
    a, b = [math.exp(draw.gauss(0, 0.1))], [math.exp(draw.gauss(0, 0.1))]
    for _ in range(looks):
        a.append(math.exp(draw.gauss(0, 0.1)))
        b.append(math.exp(draw.gauss(0, 0.1)))
        ci = interval_of(a, b, NOISE, 0.9)
        if ci.low > 0 or ci.high < 0:
            return True
    return False


def test_the_sequential_interval_holds_at_every_look_and_the_fixed_one_does_not() -> None:
    trials, looks = 300, 40
    sequential = sum(_ever_wrong(sequential_gain_interval, s, looks) for s in range(trials))
    fixed = sum(_ever_wrong(gain_interval, s, looks) for s in range(trials))
    assert sequential / trials <= 0.10  # its level (90%) holds over all 40 looks together
    assert fixed / trials > 0.2  # looking 40 times at a fixed 90% interval splits twins often


def test_the_sequential_interval_is_wider_than_the_fixed_one_at_the_same_runs() -> None:
    a, b = [1.0, 1.1, 0.9, 1.05], [0.8, 0.85, 0.9, 0.82]
    fixed, sequential = gain_interval(a, b, NOISE), sequential_gain_interval(a, b, NOISE)
    assert sequential.low < fixed.low < fixed.high < sequential.high


def test_the_budget_follows_the_noise() -> None:
    needed = [runs_for_power(s, 0.10, 0.05, 0.975) for s in (0.02, 0.05, 0.1, 0.2)]
    assert needed == sorted(needed) and needed[0] < 10 < needed[1] < 40 < needed[2]
    quiet = photo_finish_budget("auto", Noise(0.05, 29, "the calibration"), 0.05, 0.975)
    assert quiet.runs == needed[1] and "80% power at noise sd(log) 0.050" in quiet.why
    loud = photo_finish_budget("auto", Noise(0.2, 29, "the calibration"), 0.05, 0.975)
    assert loud.runs == MAX_PHOTO_FINISH_RUNS and "more than the maximum" in loud.why
    assert photo_finish_budget(7, NOISE, 0.05, 0.975).runs == 7  # an integer as written
    timed = photo_finish_budget("auto", NOISE, 0.05, 0.975, seconds=600, slowest=30)
    assert timed.runs == 10 and "photo_finish_minutes" in timed.why
    assert photo_finish_budget("auto", None, 0.05, 0.975).runs == MAX_PHOTO_FINISH_RUNS


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
