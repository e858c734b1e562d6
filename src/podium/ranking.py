"""The published ranking rule: performance order, then efficiency bonuses (DESIGN.md).

Pure functions only, so the rule can be tested exhaustively and re-run on stored numbers.

1. Performance order: score descending; ties by shorter duration, then earlier submission,
   then team name (so the result never depends on input order).
2. Efficiency order: duration ascending (ties: performance order). The k-th most efficient
   team receives ``bonus_places[k]``.
3. Bonuses are applied in efficiency order on the current order. A team moves up one place
   at a time, at most its bonus, past the team A directly above it only if
   ``score(A) - score(T) < max_score_gap`` and
   ``(duration(A) - duration(T)) / duration(A) > min_efficiency_gain``; the first failed
   condition ends its moves.
4. Every move and every refused move carries a reason.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Entry:
    """One team's result: overall score (0-100), duration in seconds, submission time."""

    team: str
    score: float
    duration: float
    submitted_at: float = 0.0


@dataclass(frozen=True)
class RerankRule:
    """The efficiency re-ranking rule's parameters (seed competition defaults)."""

    bonus_places: tuple[int, ...] = (2, 1)
    max_score_gap: float = 10.0
    min_efficiency_gain: float = 0.05

    def __post_init__(self) -> None:
        if any(b < 0 for b in self.bonus_places):
            raise ValueError(f"bonus places must be >= 0, got {self.bonus_places}")
        if not self.max_score_gap >= 0:
            raise ValueError(f"max_score_gap must be >= 0, got {self.max_score_gap}")
        if not 0 <= self.min_efficiency_gain < 1:
            raise ValueError(
                f"min_efficiency_gain must be in [0, 1), got {self.min_efficiency_gain}"
            )

    def bonus(self, efficiency_index: int) -> int:
        return (
            self.bonus_places[efficiency_index] if efficiency_index < len(self.bonus_places) else 0
        )


@dataclass(frozen=True)
class Move:
    """One step up (``moved``) or the step that was refused (``refused``), with why."""

    kind: Literal["moved", "refused"]
    past: str
    reason: str


@dataclass(frozen=True)
class Placement:
    """A team's final place and how it got there."""

    entry: Entry
    place: int
    performance_place: int
    efficiency_place: int
    bonus: int
    moves: tuple[Move, ...]

    @property
    def team(self) -> str:
        return self.entry.team

    @property
    def reasons(self) -> tuple[str, ...]:
        """Human-readable reasons: the bonus, then every move made or refused."""
        out = []
        if self.bonus:
            out.append(f"efficiency #{self.efficiency_place}: bonus of {self.bonus} place(s)")
        out.extend(m.reason for m in self.moves)
        return tuple(out)


def _validate(entries: Sequence[Entry]) -> None:
    seen: set[str] = set()
    for e in entries:
        if e.team in seen:
            raise ValueError(f"team {e.team!r} appears twice")
        seen.add(e.team)
        if not math.isfinite(e.score):
            raise ValueError(f"team {e.team!r} has no finite score ({e.score})")
        if not (math.isfinite(e.duration) and e.duration > 0):
            raise ValueError(f"team {e.team!r} needs a positive duration, got {e.duration}")


def performance_order(entries: Iterable[Entry]) -> list[Entry]:
    """Best score first; ties: shorter duration, earlier submission, team name."""
    return sorted(entries, key=lambda e: (-e.score, e.duration, e.submitted_at, e.team))


def efficiency_order(entries: Iterable[Entry]) -> list[Entry]:
    """Shortest duration first; ties follow the performance order."""
    items = list(entries)
    perf = {e.team: i for i, e in enumerate(performance_order(items))}
    return sorted(items, key=lambda e: (e.duration, perf[e.team]))


def _step(above: Entry, team: Entry, rule: RerankRule) -> Move:
    gap = above.score - team.score
    gain = (above.duration - team.duration) / above.duration
    if not gap < rule.max_score_gap:
        return Move(
            "refused",
            above.team,
            f"not lifted past {above.team}: {gap:.2f} points behind "
            f"(needs < {rule.max_score_gap:g})",
        )
    if not gain > rule.min_efficiency_gain:
        return Move(
            "refused",
            above.team,
            f"not lifted past {above.team}: only {gain:.1%} faster "
            f"(needs > {rule.min_efficiency_gain:.1%})",
        )
    return Move(
        "moved",
        above.team,
        f"lifted past {above.team}: {gap:.2f} points behind (< {rule.max_score_gap:g}) "
        f"and {gain:.1%} faster (> {rule.min_efficiency_gain:.1%})",
    )


def rank(entries: Iterable[Entry], rule: RerankRule | None = None) -> list[Placement]:
    """Placements ordered by final place, each with its moves and reasons."""
    rule = rule or RerankRule()
    items = list(entries)
    _validate(items)
    perf = performance_order(items)
    perf_place = {e.team: i + 1 for i, e in enumerate(perf)}
    eff = efficiency_order(items)
    eff_place = {e.team: i + 1 for i, e in enumerate(eff)}
    order = list(perf)
    moves: dict[str, list[Move]] = {e.team: [] for e in items}
    for k, team in enumerate(eff):
        for _ in range(rule.bonus(k)):
            pos = order.index(team)
            if pos == 0:
                break
            move = _step(order[pos - 1], team, rule)
            moves[team.team].append(move)
            if move.kind == "refused":
                break
            order[pos - 1], order[pos] = order[pos], order[pos - 1]
    return [
        Placement(
            entry=e,
            place=i + 1,
            performance_place=perf_place[e.team],
            efficiency_place=eff_place[e.team],
            bonus=rule.bonus(eff_place[e.team] - 1),
            moves=tuple(moves[e.team]),
        )
        for i, e in enumerate(order)
    ]
