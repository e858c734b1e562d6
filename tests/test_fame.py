"""The hall of fame's order and its place words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from podium.rules.fame import badge_class, fame_order, ordinal

T0 = datetime(2026, 11, 1, 12, tzinfo=UTC)


@dataclass(frozen=True)
class E:
    competition_name: str
    stage_name: str
    place: int
    recorded_at: datetime


def test_newest_stage_first_then_place_even_when_place_one_was_recorded_first() -> None:
    # one stage's winners are entered in one go, place 1 a few microseconds before place 3:
    # a plain "newest row first" put 3rd above 1st (the bug this order fixes)
    tick = timedelta(microseconds=1)
    final = [E("cup", "final", p, T0 + timedelta(days=3) + p * tick) for p in (1, 2, 3)]
    stage = [E("cup", "evaluation", 1, T0)]
    other = [E("other cup", "final", p, T0 + timedelta(days=1) + p * tick) for p in (2, 1)]
    ordered = fame_order([*stage, *reversed(final), *other])
    assert [(e.competition_name, e.stage_name, e.place) for e in ordered] == [
        ("cup", "final", 1),
        ("cup", "final", 2),
        ("cup", "final", 3),
        ("other cup", "final", 1),
        ("other cup", "final", 2),
        ("cup", "evaluation", 1),
    ]


def test_a_late_row_of_a_stage_does_not_move_it_ahead_of_a_newer_stage() -> None:
    old = [E("cup", "a", 1, T0), E("cup", "a", 2, T0 + timedelta(days=5))]
    new = [E("cup", "b", 1, T0 + timedelta(days=2))]
    assert [(e.stage_name, e.place) for e in fame_order(old + new)] == [
        ("b", 1),
        ("a", 1),
        ("a", 2),
    ]


def test_places_in_words_without_emoji() -> None:
    words = [ordinal(p) for p in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111)]
    assert words == ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd",
                     "101st", "111th"]  # fmt: skip
    assert all(w.isascii() for w in words)
    assert [badge_class(p) for p in (1, 2, 3, 4)] == ["gold", "silver", "bronze", "plain"]
