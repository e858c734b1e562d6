"""The re-ranking rule of DESIGN.md: its worked example, edge cases and invariants."""

from __future__ import annotations

import itertools
import math
import random
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from podium.rules.ranking import (
    Entry,
    Move,
    Placement,
    RerankRule,
    efficiency_order,
    performance_order,
    rank,
)

RULE = RerankRule()


def teams(items: list[Placement] | list[Entry]) -> list[str]:
    return [p.team for p in items]


def by_team(placements: list[Placement]) -> dict[str, Placement]:
    return {p.team: p for p in placements}


# --- the worked example -------------------------------------------------------------------


def test_worked_example_from_design() -> None:
    # performance order NN, GG, T3; GG and T3 take the same time, so they share the 1st to
    # 2nd efficiency places and the lower bonus (1): no bonus rests on a duration that is not
    # surely shorter; NN three times slower than both; all scores within 10 points.
    entries = [Entry("NN", 73.3, 90.0), Entry("GG", 71.2, 30.0), Entry("T3", 68.0, 30.0)]
    assert teams(performance_order(entries)) == ["NN", "GG", "T3"]
    assert teams(efficiency_order(entries)) == ["GG", "T3", "NN"]

    result = rank(entries, RULE)

    assert teams(result) == ["GG", "T3", "NN"]
    assert [p.place for p in result] == [1, 2, 3]
    gg, t3, nn = result
    assert (gg.performance_place, t3.performance_place, nn.performance_place) == (2, 3, 1)
    assert (gg.efficiency_place, t3.efficiency_place, nn.efficiency_place) == (2, 2, 3)
    assert (gg.bonus, t3.bonus, nn.bonus) == (1, 1, 0)
    # GG makes exactly one move: after passing NN nobody is left above it
    assert gg.moves == (
        Move(
            "moved",
            "NN",
            "lifted past NN: 2.10 points behind (< 10.00) and 66.7% faster (> 5.0%)",
        ),
    )
    shared = "(bonus 1; not surely different: GG and T3 take the same time (durations 30 and 30))"
    assert gg.reasons == (
        f"shares the 1st to 2nd efficiency places with T3 {shared}",
        "lifted past NN: 2.10 points behind (< 10.00) and 66.7% faster (> 5.0%)",
    )
    assert [(m.kind, m.past) for m in t3.moves] == [("moved", "NN")]
    assert t3.reasons[0] == f"shares the 1st to 2nd efficiency places with GG {shared}"
    assert nn.moves == ()
    assert nn.reasons == ("passed by GG", "passed by T3")
    assert gg.entry == entries[1]


# --- the rule's parameters ------------------------------------------------------------------


def test_default_rule_matches_the_seed_competition() -> None:
    assert RerankRule(bonus_places=(2, 1), max_score_gap=10.0, min_efficiency_gain=0.05) == RULE
    assert RULE.bonus(0) == 2 and RULE.bonus(1) == 1 and RULE.bonus(2) == 0


def test_rule_accepts_a_list_but_stays_hashable() -> None:
    rule = RerankRule(bonus_places=[3, 1])  # type: ignore[arg-type]  # e.g. from a parsed spec
    assert rule.bonus_places == (3, 1)
    assert hash(rule) == hash(RerankRule(bonus_places=(3, 1)))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"bonus_places": (2, -1)},
        {"max_score_gap": -0.1},
        {"max_score_gap": math.nan},
        {"min_efficiency_gain": -0.01},
        {"min_efficiency_gain": 1.0},
        {"min_efficiency_gain": math.nan},
    ],
)
def test_invalid_rules_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        RerankRule(**kwargs)  # type: ignore[arg-type]


def test_boundary_rules_are_allowed() -> None:
    RerankRule(bonus_places=(), max_score_gap=0.0, min_efficiency_gain=0.0)
    RerankRule(bonus_places=(0, 0), max_score_gap=math.inf, min_efficiency_gain=0.999)


# --- orders and ties ------------------------------------------------------------------------


def test_score_ties_break_on_duration_then_submission_time_then_name() -> None:
    entries = [
        Entry("late", 80.0, 50.0, submitted_at=2.0),
        Entry("early", 80.0, 50.0, submitted_at=1.0),
        Entry("fast", 80.0, 40.0, submitted_at=3.0),
        Entry("b-twin", 80.0, 50.0, submitted_at=2.0),
        Entry("best", 81.0, 99.0, submitted_at=9.0),
    ]
    assert teams(performance_order(entries)) == ["best", "fast", "early", "b-twin", "late"]


def test_efficiency_ties_follow_the_performance_order() -> None:
    entries = [
        Entry("low", 60.0, 10.0),
        Entry("high", 70.0, 10.0),
        Entry("late", 70.0, 10.0, submitted_at=5.0),
        Entry("slow", 90.0, 20.0),
    ]
    assert teams(efficiency_order(entries)) == ["high", "late", "low", "slow"]


def test_result_does_not_depend_on_input_order() -> None:
    entries = [
        Entry("A", 80.0, 100.0),
        Entry("B", 80.0, 100.0, submitted_at=1.0),
        Entry("C", 78.0, 20.0),
        Entry("D", 78.0, 20.0),
        Entry("E", 75.0, 50.0),
    ]
    expected = rank(entries, RULE)
    for perm in itertools.permutations(entries):
        assert rank(perm, RULE) == expected


# --- the two conditions -----------------------------------------------------------------------


def test_score_gap_blocks_a_move() -> None:
    result = rank([Entry("A", 90.0, 100.0), Entry("B", 77.7, 10.0)], RULE)
    assert teams(result) == ["A", "B"]
    assert result[1].moves == (Move("refused", "A", "not lifted past A: score gap 12.30 ≥ 10.00"),)
    assert result[0].reasons == (
        "2nd most efficient (bonus 1)",
        "already first (1 bonus place unused)",
    )


def test_efficiency_gain_blocks_a_move() -> None:
    result = rank([Entry("A", 80.0, 100.0), Entry("B", 79.0, 96.9)], RULE)
    assert teams(result) == ["A", "B"]
    assert result[1].moves == (
        Move("refused", "A", "not lifted past A: only 3.1% faster (needs > 5.0%)"),
    )


def test_thresholds_are_strict() -> None:
    # exactly 5% faster is not more than 5%
    result = rank([Entry("A", 80.0, 100.0), Entry("B", 79.0, 95.0)], RULE)
    assert teams(result) == ["A", "B"]
    assert result[1].moves[0].reason == "not lifted past A: only 5.0% faster (needs > 5.0%)"
    # exactly 10 points behind is not less than 10
    result = rank([Entry("A", 80.0, 100.0), Entry("B", 70.0, 10.0)], RULE)
    assert teams(result) == ["A", "B"]
    assert result[1].moves[0].reason == "not lifted past A: score gap 10.00 ≥ 10.00"
    # just inside both thresholds moves
    assert teams(rank([Entry("A", 80.0, 100.0), Entry("B", 70.5, 94.0)], RULE)) == ["B", "A"]
    # with a zero gain threshold, equal durations still do not move (0 is not > 0)
    rule = RerankRule(min_efficiency_gain=0.0)
    result = rank([Entry("A", 80.0, 10.0), Entry("B", 79.0, 10.0, submitted_at=-1)], rule)
    assert teams(result) == ["A", "B"]
    assert result[1].moves[0].reason == "not lifted past A: same duration (needs > 0.0% faster)"


def test_numbers_near_a_threshold_are_shown_with_enough_digits() -> None:
    result = rank([Entry("A", 90.0, 100.0), Entry("B", 80.001, 94.96)], RULE)
    assert result[0].moves[0].reason == (
        "lifted past A: 9.999 points behind (< 10.000) and 5.04% faster (> 5.00%)"
    )


# --- bonuses ----------------------------------------------------------------------------------


def test_a_bonus_of_two_moves_two_places() -> None:
    entries = [Entry("A", 90.0, 100.0), Entry("B", 88.0, 100.0), Entry("C", 85.0, 10.0)]
    result = rank(entries, RULE)
    assert teams(result) == ["C", "A", "B"]
    assert [(m.kind, m.past) for m in result[0].moves] == [("moved", "B"), ("moved", "A")]


def test_the_first_failed_condition_ends_the_moves() -> None:
    entries = [Entry("A", 99.0, 100.0), Entry("B", 88.0, 100.0), Entry("C", 85.0, 10.0)]
    result = rank(entries, RULE)
    assert teams(result) == ["A", "C", "B"]
    assert [(m.kind, m.past) for m in result[1].moves] == [("moved", "B"), ("refused", "A")]


def test_bonus_is_capped_even_when_every_step_would_pass() -> None:
    entries = [Entry(t, 90.0 - i, 100.0) for i, t in enumerate("ABCD")] + [Entry("E", 86.0, 1.0)]
    result = rank(entries, RerankRule(bonus_places=(2,)))
    assert teams(result) == ["A", "B", "E", "C", "D"]
    assert len(by_team(result)["E"].moves) == 2


def test_teams_without_bonus_never_move() -> None:
    entries = [Entry("A", 90.0, 100.0), Entry("B", 89.0, 20.0), Entry("C", 88.0, 10.0)]
    result = rank(entries, RerankRule(bonus_places=(0, 1)))
    assert teams(result) == ["B", "A", "C"]
    c = by_team(result)["C"]
    assert (c.bonus, c.moves, c.reasons) == (0, (), ())


def test_moves_apply_on_the_current_order() -> None:
    # Performance order A, B, C, D. C (most efficient) passes B and A: C, A, B, D.
    # D (second) now has B directly above it, not C as in the performance order, and passes it.
    entries = [
        Entry("A", 90.0, 100.0),
        Entry("B", 88.0, 100.0),
        Entry("C", 86.0, 10.0),
        Entry("D", 85.0, 50.0),
    ]
    result = rank(entries, RULE)
    assert teams(result) == ["C", "A", "D", "B"]
    assert [(m.kind, m.past) for m in by_team(result)["D"].moves] == [("moved", "B")]
    assert by_team(result)["B"].reasons == ("passed by C", "passed by D")


def test_a_team_that_moved_earlier_blocks_a_later_one() -> None:
    # C passes B and is stopped by A's score; B (second most efficient) then faces C, not A.
    entries = [Entry("A", 99.0, 100.0), Entry("B", 90.0, 50.0), Entry("C", 88.0, 40.0)]
    result = rank(entries, RULE)
    assert teams(result) == ["A", "C", "B"]
    assert by_team(result)["B"].moves == (
        Move("refused", "C", "not lifted past C: 25.0% slower (needs > 5.0% faster)"),
    )


def test_fewer_teams_than_bonuses() -> None:
    assert rank([], RULE) == []
    [only] = rank([Entry("solo", 50.0, 1.0)], RULE)
    assert (only.place, only.performance_place, only.efficiency_place, only.bonus) == (1, 1, 1, 2)
    assert only.moves == ()
    assert only.reasons == ("most efficient (bonus 2)", "already first (2 bonus places unused)")

    two = rank([Entry("A", 60.0, 10.0), Entry("B", 55.0, 1.0)], RULE)
    assert teams(two) == ["B", "A"]
    assert [p.bonus for p in two] == [2, 1]
    assert two[1].moves == (
        Move("refused", "B", "not lifted past B: 900.0% slower (needs > 5.0% faster)"),
    )

    three_bonuses = RerankRule(bonus_places=(3, 2, 1))
    assert teams(rank([Entry("A", 60.0, 10.0), Entry("B", 55.0, 1.0)], three_bonuses)) == [
        "B",
        "A",
    ]


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([Entry("A", 1.0, 1.0), Entry("A", 2.0, 1.0)], "'A' appears twice"),
        ([Entry("ok", 1.0, 1.0), Entry("zero", 1.0, 0.0)], "'zero' needs a positive"),
        ([Entry("neg", 1.0, -3.0)], "'neg' needs a positive"),
        ([Entry("inf", 1.0, math.inf)], "'inf' needs a positive"),
        ([Entry("nan", math.nan, 1.0)], "'nan' has no finite score"),
        ([Entry("when", 1.0, 1.0, submitted_at=math.nan)], "'when' has a NaN submission"),
    ],
)
def test_bad_entries_are_refused(entries: list[Entry], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        rank(entries, RULE)


# --- properties -------------------------------------------------------------------------------

scores = st.one_of(st.floats(0, 100), st.sampled_from([50.0, 55.0, 59.5, 60.0, 69.5]))
durations = st.one_of(st.floats(0.01, 1000), st.sampled_from([10.0, 10.5, 20.0, 100.0]))
entry_lists = st.lists(
    st.builds(
        Entry,
        team=st.text(alphabet="abcdefgh", min_size=1, max_size=3),
        score=scores,
        duration=durations,
        submitted_at=st.sampled_from([0.0, 1.0, 2.0]),
    ),
    max_size=9,
    unique_by=lambda e: e.team,
)
rules = st.builds(
    RerankRule,
    bonus_places=st.lists(st.integers(0, 4), max_size=5).map(tuple),
    max_score_gap=st.one_of(st.floats(0, 40), st.sampled_from([0.0, 5.0, 10.0])),
    min_efficiency_gain=st.one_of(st.floats(0, 0.95), st.sampled_from([0.0, 0.05, 0.5])),
)


def conditions_hold(above: Entry, team: Entry, rule: RerankRule) -> bool:
    gain = (above.duration - team.duration) / above.duration
    return above.score - team.score < rule.max_score_gap and gain > rule.min_efficiency_gain


@given(entry_lists, rules, st.randoms(use_true_random=False))
def test_invariants(entries: list[Entry], rule: RerankRule, rnd: random.Random) -> None:
    result = rank(entries, rule)
    n = len(entries)
    entry_of = {e.team: e for e in entries}

    # a permutation of the input with distinct places 1..n, listed in place order
    assert Counter(p.entry for p in result) == Counter(entries)
    assert [p.place for p in result] == list(range(1, n + 1))
    assert teams(sorted(result, key=lambda p: p.performance_place)) == teams(
        performance_order(entries)
    )
    assert teams(sorted(result, key=lambda p: p.efficiency_place)) == teams(
        efficiency_order(entries)
    )

    passed: Counter[str] = Counter()
    for p in result:
        assert p.bonus == rule.bonus(p.efficiency_place - 1)
        made = [m for m in p.moves if m.kind == "moved"]
        refused = [m for m in p.moves if m.kind == "refused"]
        assert len(made) <= p.bonus
        assert len(refused) <= 1 and p.moves[len(made) :] == tuple(refused)  # refusal ends it
        assert len({m.past for m in p.moves}) == len(p.moves)
        for m in made:
            assert conditions_hold(entry_of[m.past], p.entry, rule)
            # nobody ever passes a team at least as fast as itself
            assert entry_of[m.past].duration > p.entry.duration
            passed[m.past] += 1
        for m in refused:
            assert not conditions_hold(entry_of[m.past], p.entry, rule)
        if len(made) < p.bonus and not refused:
            assert p.place == 1  # it stopped only because it was first, and stays first
        # a team rises at most its bonus; a team without bonus never rises
        assert p.place >= p.performance_place - p.bonus
        if p.bonus == 0:
            assert p.moves == () and p.place >= p.performance_place
    for p in result:
        made_count = sum(m.kind == "moved" for m in p.moves)
        assert p.place == p.performance_place - made_count + passed[p.team]

    # the input order never matters
    shuffled = list(entries)
    rnd.shuffle(shuffled)
    assert rank(shuffled, rule) == result


@given(entry_lists, rules)
def test_no_score_gap_allowed_means_performance_order(
    entries: list[Entry], rule: RerankRule
) -> None:
    rule = RerankRule(rule.bonus_places, 0.0, rule.min_efficiency_gain)
    result = rank(entries, rule)
    assert teams(result) == teams(performance_order(entries))
    assert all(m.kind == "refused" for p in result for m in p.moves)


@given(entry_lists, rules)
def test_no_bonus_means_performance_order(entries: list[Entry], rule: RerankRule) -> None:
    rule = RerankRule((), rule.max_score_gap, rule.min_efficiency_gain)
    result = rank(entries, rule)
    assert teams(result) == teams(performance_order(entries))
    assert all(p.moves == () for p in result)
    # the only reasons left say why one of two equal scores is ahead of the other
    assert all(r.startswith("ahead of ") and "on an equal score" in r
               for p in result for r in p.reasons)  # fmt: skip


# --- lower is better (an error metric such as RMSE) -------------------------------------------


def test_lower_is_better_ranks_the_smallest_error_first() -> None:
    rule = RerankRule(higher_is_better=False)
    entries = [Entry("A", 12.0, 100.0), Entry("B", 3.0, 100.0), Entry("C", 7.5, 50.0)]
    assert teams(performance_order(entries, higher_is_better=False)) == ["B", "C", "A"]
    result = rank(entries, rule)
    # C is the most efficient and 4.5 behind B (< 10): it is lifted past B
    assert teams(result) == ["C", "B", "A"]
    assert result[0].moves[0].reason.startswith("lifted past B: 4.50 points behind (< 10.00)")


def test_lower_is_better_gap_counts_the_right_way() -> None:
    rule = RerankRule(higher_is_better=False, max_score_gap=1.0)
    result = rank([Entry("A", 2.0, 100.0), Entry("B", 5.0, 10.0)], rule)
    assert teams(result) == ["A", "B"]
    assert result[1].moves[0].reason == "not lifted past A: score gap 3.00 ≥ 1.00"


@given(entry_lists, rules)
def test_lower_is_better_mirrors_higher_is_better(entries: list[Entry], rule: RerankRule) -> None:
    lower = RerankRule(
        rule.bonus_places, rule.max_score_gap, rule.min_efficiency_gain, higher_is_better=False
    )
    mirrored = [
        Entry(e.team, -e.score, e.duration, e.submitted_at) if e.score else e for e in entries
    ]
    expected = rank(mirrored, rule)
    result = rank(entries, lower)
    assert teams(result) == teams(expected)
    assert [[m.kind for m in p.moves] for p in result] == [
        [m.kind for m in p.moves] for p in expected
    ]
