"""The re-ranking rule of DESIGN.md, including its worked example and edge cases."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from podium.ranking import Entry, RerankRule, efficiency_order, performance_order, rank

RULE = RerankRule()


def teams(placements: list) -> list[str]:  # type: ignore[type-arg]
    return [p.team for p in placements]


def test_worked_example_from_design() -> None:
    # performance order NN, GG, T3; GG most efficient, T3 second; NN three times slower
    entries = [Entry("NN", 80.0, 90.0), Entry("GG", 78.0, 30.0), Entry("T3", 75.0, 30.5)]
    result = rank(entries, RULE)
    assert teams(result) == ["GG", "T3", "NN"]
    gg, t3, nn = result
    assert [m.kind for m in gg.moves] == ["moved"]  # one move: nobody left above
    assert gg.bonus == 2 and t3.bonus == 1 and nn.bonus == 0
    assert [m.past for m in t3.moves] == ["NN"]
    assert (gg.performance_place, t3.performance_place, nn.performance_place) == (2, 3, 1)
    assert "lifted past NN" in gg.reasons[-1]


def test_default_rule_matches_the_seed_competition() -> None:
    assert RerankRule(bonus_places=(2, 1), max_score_gap=10.0, min_efficiency_gain=0.05) == RULE


def test_score_gap_blocks_a_move() -> None:
    result = rank([Entry("A", 90.0, 100.0), Entry("B", 79.0, 10.0)], RULE)
    assert teams(result) == ["A", "B"]
    [refused] = result[1].moves
    assert refused.kind == "refused" and "11.00 points behind" in refused.reason


def test_efficiency_gain_blocks_a_move_and_thresholds_are_strict() -> None:
    result = rank([Entry("A", 80.0, 100.0), Entry("B", 79.0, 96.0)], RULE)
    assert teams(result) == ["A", "B"]
    assert "only 4.0% faster" in result[1].moves[0].reason
    # exactly 5% faster is not more than 5%
    assert teams(rank([Entry("A", 80.0, 100.0), Entry("B", 79.0, 95.0)], RULE)) == ["A", "B"]
    # exactly 10 points behind is not less than 10
    assert teams(rank([Entry("A", 80.0, 100.0), Entry("B", 70.0, 10.0)], RULE)) == ["A", "B"]
    assert teams(rank([Entry("A", 80.0, 100.0), Entry("B", 70.5, 10.0)], RULE)) == ["B", "A"]


def test_bonus_of_two_moves_two_places_and_stops_at_a_refusal() -> None:
    entries = [Entry("A", 90.0, 100.0), Entry("B", 88.0, 100.0), Entry("C", 85.0, 10.0)]
    assert teams(rank(entries, RULE)) == ["C", "A", "B"]
    entries = [Entry("A", 99.0, 100.0), Entry("B", 88.0, 100.0), Entry("C", 85.0, 10.0)]
    result = rank(entries, RULE)
    assert teams(result) == ["A", "C", "B"]
    assert [m.kind for m in result[1].moves] == ["moved", "refused"]


def test_moves_apply_on_the_current_order() -> None:
    # C (most efficient) passes B then A; B (second) then passes A, which C already passed.
    entries = [Entry("A", 90.0, 100.0), Entry("B", 88.0, 50.0), Entry("C", 86.0, 10.0)]
    result = rank(entries, RULE)
    assert teams(result) == ["C", "B", "A"]
    assert [m.past for m in result[1].moves] == ["A"]


def test_ties_in_score_break_on_duration_then_submission_time() -> None:
    entries = [
        Entry("late", 80.0, 50.0, submitted_at=2.0),
        Entry("early", 80.0, 50.0, submitted_at=1.0),
        Entry("fast", 80.0, 40.0, submitted_at=3.0),
    ]
    assert teams(performance_order(entries)) == ["fast", "early", "late"]
    assert teams(efficiency_order(entries)) == ["fast", "early", "late"]


def test_fewer_teams_than_bonuses() -> None:
    assert rank([], RULE) == []
    [only] = rank([Entry("solo", 50.0, 1.0)], RULE)
    assert only.place == 1 and only.moves == ()
    two = rank([Entry("A", 60.0, 10.0), Entry("B", 55.0, 1.0)], RerankRule(bonus_places=(2, 1, 1)))
    assert teams(two) == ["B", "A"]


def test_bad_entries_are_refused() -> None:
    with pytest.raises(ValueError, match="appears twice"):
        rank([Entry("A", 1.0, 1.0), Entry("A", 2.0, 1.0)])
    with pytest.raises(ValueError, match="positive duration"):
        rank([Entry("A", 1.0, 0.0)])
    with pytest.raises(ValueError, match="finite score"):
        rank([Entry("A", float("nan"), 1.0)])
    with pytest.raises(ValueError):
        RerankRule(bonus_places=(-1,))
    with pytest.raises(ValueError):
        RerankRule(min_efficiency_gain=1.0)


entry_lists = st.lists(
    st.builds(
        Entry,
        team=st.text(alphabet="abcdefghij", min_size=1, max_size=4),
        score=st.floats(0, 100, allow_nan=False),
        duration=st.floats(0.01, 1000, allow_nan=False),
        submitted_at=st.floats(0, 10, allow_nan=False),
    ),
    max_size=8,
    unique_by=lambda e: e.team,
)
rules = st.builds(
    RerankRule,
    bonus_places=st.lists(st.integers(0, 3), max_size=4).map(tuple),
    max_score_gap=st.floats(0, 30),
    min_efficiency_gain=st.floats(0, 0.9),
)


@given(entry_lists, rules)
def test_properties(entries: list[Entry], rule: RerankRule) -> None:
    result = rank(entries, rule)
    assert sorted(teams(result)) == sorted(e.team for e in entries)
    assert [p.place for p in result] == list(range(1, len(entries) + 1))
    assert teams(rank(list(reversed(entries)), rule)) == teams(result)
    for p in result:
        made = sum(m.kind == "moved" for m in p.moves)
        assert made <= p.bonus
        assert p.performance_place - p.place <= p.bonus  # never rises more than its bonus
        if p.bonus == 0:
            assert p.place >= p.performance_place
        assert sum(m.kind == "refused" for m in p.moves) <= 1


@given(entry_lists)
def test_no_gap_allowed_means_performance_order(entries: list[Entry]) -> None:
    rule = RerankRule(max_score_gap=0.0)
    assert teams(rank(entries, rule)) == teams(performance_order(entries))
