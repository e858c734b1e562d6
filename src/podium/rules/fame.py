"""The hall of fame's order and how a place is written.

Entries are ordered newest stage first, then by place: the stage's winners were entered
together, and one stage's date is the moment its first entry was recorded. Ordering by each
row's own timestamp (what the page did) reversed the places of one stage: place 1 is recorded
a few microseconds before place 3, so "newest first" put place 3 on top.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol, TypeVar


class Entry(Protocol):
    """What the order needs of a hall-of-fame entry (the store's row has it)."""

    @property
    def competition_name(self) -> str: ...

    @property
    def stage_name(self) -> str: ...

    @property
    def place(self) -> int: ...

    @property
    def recorded_at(self) -> datetime: ...


E = TypeVar("E", bound=Entry)


def fame_order(entries: Iterable[E]) -> list[E]:
    """Newest stage first (its entries' earliest time), then place 1, 2, 3 within it."""
    entries = list(entries)
    dates: dict[tuple[str, str], datetime] = {}
    for e in entries:
        key = (e.competition_name, e.stage_name)
        dates[key] = min(dates.get(key, e.recorded_at), e.recorded_at)
    return sorted(
        entries,
        key=lambda e: (
            -dates[(e.competition_name, e.stage_name)].timestamp(),
            e.competition_name,
            e.stage_name,
            e.place,
        ),
    )


def ordinal(place: int) -> str:
    """`1st`, `2nd`, `3rd`, `4th`, `11th`, `12th`, `13th`, `21st`: readable without emoji."""
    if 10 <= place % 100 <= 20:
        return f"{place}th"
    return f"{place}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(place % 10, 'th') }"


def badge_class(place: int) -> str:
    """The CSS class of a place's badge: gold, silver, bronze, or a plain one."""
    return {1: "gold", 2: "silver", 3: "bronze"}.get(place, "plain")
