"""Runs measured back to back in one evaluation session are one observation (podium.rules.looks).

Shaped like a failure seen under bursty load: two teams submit byte-identical archives; a load
burst covers all three repeats of one twin (2.5 times slower, hardly any spread) and none of
the other's. Counting those repeats as three independent runs made the twins "surely
different" before any re-measurement, so noise gave them different efficiency places.
"""

from __future__ import annotations

from podium.rules.efficiency import Noise, pooled_noise
from podium.rules.looks import Plan, judge
from podium.rules.ranking import Entry, RerankRule, compare, rank

ASSUMED = Noise(0.2, 4, "the assumed noise (noise_prior; no calibration)")  # the default


def _board(deep: tuple[float, ...], quick: tuple[float, ...]) -> list[Entry]:
    slow = (0.45, 0.452, 0.449)  # the same work, sleeping longer; submitted first
    return [  # one evaluation each, of three repeats (as the service builds them)
        Entry("Slow Lane", 80.0, sorted(slow)[1], 0.0, slow, repeats=3),
        Entry("Deep Percept", 80.0, sorted(deep)[1], 1.0, deep, repeats=3),
        Entry("Quick Lex", 80.0, sorted(quick)[1], 2.0, quick, repeats=3),
    ]


def test_a_burst_over_one_twins_repeats_does_not_split_the_twins() -> None:
    entries = _board(deep=(0.5, 0.505, 0.502), quick=(0.2, 0.201, 0.2))  # a burst over Deep's
    noise = pooled_noise((e.samples for e in entries), ASSUMED)
    assert noise is not None and noise.sigma < ASSUMED.sigma  # tight repeats talk it down
    rule, plan = RerankRule(), Plan(2)
    twins = compare(entries[1], entries[2], rule, noise, plan)
    assert not twins.sure, twins.text  # one session each: one observation each
    placed = {p.team: p for p in rank(entries, rule, noise, plan)}
    deep, quick = placed["Deep Percept"], placed["Quick Lex"]
    assert (deep.efficiency_place, deep.bonus) == (quick.efficiency_place, quick.bonus), [
        (p.team, p.efficiency_place, p.reasons) for p in placed.values()
    ]


def test_a_session_is_one_observation_at_the_noise_known_before_it() -> None:
    """Three tight repeats per team weigh as one run each, at no less than the prior noise."""
    a, b = (2.0, 2.001, 2.002), (1.0, 1.001, 1.0)
    noise = pooled_noise([a, b], ASSUMED)
    assert noise is not None
    seen = judge((a, 0), (b, 0), noise, Plan(2), 0.005, 0.1, two_sided=True, repeats=(3, 3))
    assert seen.runs == (3, 3) and seen.look == 0
    assert seen.interval.low < 0 < 0.5 < seen.interval.high  # 2x apart: not sure at look 0


def test_teams_ten_times_apart_are_still_decided_before_any_re_measurement() -> None:
    entries = _board(deep=(0.045, 0.046, 0.044), quick=(0.2, 0.21, 0.19))
    noise = pooled_noise((e.samples for e in entries), ASSUMED)
    assert noise is not None
    rule, plan = RerankRule(), Plan(2)
    assert compare(entries[0], entries[1], rule, noise, plan).sure  # 10x apart
    placed = {p.team: p for p in rank(entries, rule, noise, plan)}
    assert placed["Deep Percept"].efficiency_place == 1


def test_interleaved_re_measurements_decide_what_the_sessions_could_not() -> None:
    """After a photo finish (its two interleaved runs of three repeats each), the team twice
    as slow is surely slower than both twins, and the twins still share their place."""
    entries = _after_the_photo_finish((0.2, 0.201, 0.2) * 3, 0.2)
    noise = pooled_noise((e.samples for e in entries), ASSUMED)
    rule, plan = RerankRule(), Plan(2)
    assert compare(entries[0], entries[2], rule, noise, plan).sure
    placed = {p.team: p for p in rank(entries, rule, noise, plan)}
    assert placed["Deep Percept"].efficiency_place == placed["Quick Lex"].efficiency_place == 2
    assert placed["Slow Lane"].efficiency_place == 3


def test_a_burst_over_one_twins_evaluation_does_not_split_them_after_the_photo_finish() -> None:
    """The burst (3x) stays in the samples; the spread between Deep's runs shows in the
    pooled noise, so nothing is sure that the burst could have decided, and the twins still
    share their place and bonus."""
    burst = (0.6, 0.605, 0.602) + (0.2, 0.201, 0.2) * 2  # the burst over its evaluation
    entries = _after_the_photo_finish(burst, 0.201)
    noise = pooled_noise((e.samples for e in entries), ASSUMED)
    rule, plan = RerankRule(), Plan(2)
    assert not compare(entries[1], entries[2], rule, noise, plan).sure
    placed = {p.team: p for p in rank(entries, rule, noise, plan)}
    deep, quick = placed["Deep Percept"], placed["Quick Lex"]
    assert (deep.efficiency_place, deep.bonus) == (quick.efficiency_place, quick.bonus), [
        (p.team, p.efficiency_place, p.reasons) for p in placed.values()
    ]


def test_teams_level_through_a_third_share_its_place_and_bonus() -> None:
    """Quick surely faster than Slow; Deep (slowed) level with both: no bonus for Quick over
    Deep, which it is not surely faster than, so the three share the 1st to 3rd places."""
    noise = Noise(0.1, 1000, "a long calibration")
    entries = [
        Entry("Slow Lane", 80.0, 1.45, 0.0, (1.45,) * 3),
        Entry("Deep Percept", 80.0, 1.2, 1.0, (1.2,) * 3),
        Entry("Quick Lex", 80.0, 1.0, 2.0, (1.0,) * 3),
    ]
    rule = RerankRule()
    assert compare(entries[0], entries[2], rule, noise).sure
    assert not compare(entries[0], entries[1], rule, noise).sure
    assert not compare(entries[1], entries[2], rule, noise).sure
    placed = {p.team: p for p in rank(entries, rule, noise)}
    assert {(p.efficiency_place, p.bonus) for p in placed.values()} == {(3, 0)}


def _after_the_photo_finish(deep: tuple[float, ...], deep_median: float) -> list[Entry]:
    """Three teams of equal score, each evaluated and re-measured twice (three repeats a run):
    twins, Deep's runs as given, and a team twice as slow."""
    return [
        Entry("Slow Lane", 80.0, 0.45, 0.0, (0.45, 0.452, 0.449) * 3, 2, repeats=3),
        Entry("Deep Percept", 80.0, deep_median, 1.0, deep, 2, repeats=3),
        Entry("Quick Lex", 80.0, 0.2, 2.0, (0.2, 0.2, 0.202) * 3, 2, repeats=3),
    ]
