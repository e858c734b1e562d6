"""The published ranking rule: performance order, then efficiency bonuses (DESIGN.md).

Pure functions only, so the rule can be tested exhaustively and re-run on stored numbers.

1. Performance order: score descending (ascending when lower is better, e.g. an error such
   as RMSE); ties by shorter duration, then earlier submission, then team name (so the
   result never depends on the input order).
2. Efficiency order: duration ascending (ties: performance order). The k-th most efficient
   team receives ``bonus_places[k]`` (0 beyond the tuple).
3. Bonuses are applied in efficiency order on the current order. A team moves up one place
   at a time, at most its bonus, past the team A directly above it only if
   ``score(A) - score(T) < max_score_gap`` (``score(T) - score(A)`` when lower is better)
   and its gain
   ``(duration(A) - duration(T)) / duration(A)`` clears ``min_efficiency_gain``; the first
   failed condition ends its moves. Both comparisons are strict.
4. With measured samples and a noise model (`podium.efficiency`), "clears" means the lower
   bound of the gain's interval (at ``confidence``) is above the threshold; an interval
   that straddles it is *undecided*: no move, and the service may re-measure (photo finish).
   Without samples the exact floats are compared.
5. Every examined move is a decision with its numbers and a reason.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from podium.efficiency import Noise, gain, gain_interval

__all__ = [
    "Decision",
    "Entry",
    "Move",
    "Placement",
    "RerankRule",
    "efficiency_order",
    "performance_order",
    "rank",
]


@dataclass(frozen=True)
class Entry:
    """One team's result: overall score (0-100), duration in seconds, submission time.

    ``submitted_at`` only breaks ties (earlier wins), so any monotonic clock will do.
    """

    team: str
    score: float
    duration: float
    submitted_at: float = 0.0
    samples: tuple[float, ...] = ()  # every measured figure (repeats, then re-measurements)
    remeasures: int = 0  # re-measurement runs behind some of the samples


@dataclass(frozen=True)
class RerankRule:
    """The efficiency re-ranking rule's parameters (seed competition defaults).

    Validated here so that a bad competition.toml fails before any leaderboard is built.
    """

    bonus_places: tuple[int, ...] = (2, 1)
    max_score_gap: float = 10.0
    min_efficiency_gain: float = 0.05
    confidence: float = 0.95
    higher_is_better: bool = True  # False: the lowest score is the best (an error metric)

    def __post_init__(self) -> None:
        # accept any sequence (e.g. a list from a parsed spec) but keep the rule hashable
        object.__setattr__(self, "bonus_places", tuple(self.bonus_places))
        if any(not isinstance(b, int) or b < 0 for b in self.bonus_places):
            raise ValueError(
                f"bonus_places must be non-negative integers, got {list(self.bonus_places)}"
            )
        if not self.max_score_gap >= 0:  # also rejects NaN
            raise ValueError(f"max_score_gap must be >= 0, got {self.max_score_gap}")
        if not 0 <= self.min_efficiency_gain < 1:  # also rejects NaN
            raise ValueError(
                f"min_efficiency_gain must be in [0, 1), got {self.min_efficiency_gain}"
            )
        if not 0.5 < self.confidence < 1:
            raise ValueError(f"confidence must be in (0.5, 1), got {self.confidence}")

    def look_confidence(self, remeasured: int) -> float:
        """The confidence a decision needs: the stated one on the measurements as they come,
        a stricter one (half the risk) once a photo finish has re-measured, because every
        extra look is another chance for noise to pass the threshold."""
        return self.confidence if remeasured == 0 else 1 - (1 - self.confidence) / 2

    def bonus(self, efficiency_index: int) -> int:
        """Bonus places of the team at 0-based ``efficiency_index`` (0 beyond the tuple)."""
        if 0 <= efficiency_index < len(self.bonus_places):
            return self.bonus_places[efficiency_index]
        return 0


@dataclass(frozen=True)
class Decision:
    """One examined move of `team` past `past` (directly above it), with the numbers.

    ``kind`` is ``moved`` (granted), ``refused``, or ``undecided`` (the gain's interval
    straddles the threshold: no move now; a re-measurement may decide it).
    """

    kind: Literal["moved", "refused", "undecided"]
    past: str
    reason: str
    # the numbers behind the reason (compared through the reason, which shows them)
    team: str = field(default="", compare=False)
    score_gap: float = field(default=0.0, compare=False)
    gain: float = field(default=0.0, compare=False)
    gain_ci: tuple[float, float] | None = field(default=None, compare=False)  # None: no samples
    runs: tuple[int, int] = field(default=(0, 0), compare=False)  # samples: team, past
    remeasures: tuple[int, int] = field(default=(0, 0), compare=False)  # re-measurement runs

    @property
    def granted(self) -> bool:
        return self.kind == "moved"

    def to_dict(self) -> dict[str, Any]:
        return {
            "team": self.team,
            "past": self.past,
            "score_gap": self.score_gap,
            "gain": self.gain,
            "gain_ci95": list(self.gain_ci) if self.gain_ci is not None else None,
            "granted": self.granted,
            "kind": self.kind,  # moved | refused | undecided
            "undecided": self.kind == "undecided",
            "runs": list(self.runs),
            "remeasures": list(self.remeasures),
            "reason": self.reason,
        }


Move = Decision  # the name the rule's steps had before they carried their numbers


@dataclass(frozen=True)
class Placement:
    """A team's final place and how it got there (all places are 1-based)."""

    entry: Entry
    place: int
    performance_place: int
    efficiency_place: int
    bonus: int
    moves: tuple[Decision, ...] = ()
    # human-readable, in the order things happened: bonus, own moves, being passed by others
    reasons: tuple[str, ...] = ()

    @property
    def team(self) -> str:
        return self.entry.team


def _validate(entries: Sequence[Entry]) -> None:
    """Refuse input the rule cannot order meaningfully, naming the team at fault."""
    seen: set[str] = set()
    for e in entries:
        if e.team in seen:
            raise ValueError(f"team {e.team!r} appears twice; rank one entry per team")
        seen.add(e.team)
        if not math.isfinite(e.score):
            raise ValueError(f"team {e.team!r} has no finite score ({e.score})")
        if not (math.isfinite(e.duration) and e.duration > 0):
            raise ValueError(f"team {e.team!r} needs a positive finite duration, got {e.duration}")
        if math.isnan(e.submitted_at):
            raise ValueError(f"team {e.team!r} has a NaN submission time")


def performance_order(entries: Iterable[Entry], higher_is_better: bool = True) -> list[Entry]:
    """Best score first; ties: shorter duration, earlier submission, team name."""
    sign = -1.0 if higher_is_better else 1.0
    return sorted(entries, key=lambda e: (sign * e.score, e.duration, e.submitted_at, e.team))


def efficiency_order(entries: Iterable[Entry], higher_is_better: bool = True) -> list[Entry]:
    """Shortest duration first; ties follow the performance order."""
    # sorted() is stable, so equal durations keep their performance order
    return sorted(performance_order(entries, higher_is_better), key=lambda e: e.duration)


def _pair(
    value: float, threshold: float, decimals: int, *, percent: bool = False
) -> tuple[str, str]:
    """Format a value and its threshold with enough decimals that unequal ones look unequal.

    Otherwise 9.999 vs 10 would read "10.00 (< 10.00)", which looks like a bug in the rule.
    """
    scale = 100.0 if percent else 1.0
    suffix = "%" if percent else ""
    a, b = value * scale, threshold * scale
    for d in range(decimals, 18):
        sa, sb = f"{a:.{d}f}", f"{b:.{d}f}"
        if value == threshold or sa != sb:
            break
    return sa + suffix, sb + suffix


def _percent(share: float) -> str:
    """A gain as people read it; a very wide interval's far end is just "below -999%"."""
    return "below -999%" if share < -9.99 else f"{share:.1%}"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _step(above: Entry, team: Entry, rule: RerankRule, noise: Noise | None) -> Decision:
    """Try to move ``team`` past ``above`` (directly above it); say why or why not."""
    gap = above.score - team.score if rule.higher_is_better else team.score - above.score
    point = (above.duration - team.duration) / above.duration
    facts: dict[str, Any] = {
        "team": team.team,
        "score_gap": gap,
        "gain": point,
        "runs": (len(team.samples), len(above.samples)),
        "remeasures": (team.remeasures, above.remeasures),
    }
    gap_s, max_gap_s = _pair(gap, rule.max_score_gap, 2)
    if not gap < rule.max_score_gap:
        why = f"score gap {gap_s} ≥ {max_gap_s}"
        return Decision("refused", above.team, f"not lifted past {above.team}: {why}", **facts)
    if noise is None or not (above.samples and team.samples):
        return _point_step(above, team, rule, point, gap_s, max_gap_s, facts)
    point = gain(above.samples, team.samples)
    level = rule.look_confidence(max(team.remeasures, above.remeasures))
    ci = gain_interval(above.samples, team.samples, noise, level)
    facts["gain"], facts["gain_ci"] = point, (ci.low, ci.high)
    threshold = rule.min_efficiency_gain
    interval = (
        f"{_percent(point)} faster, {level:.1%} interval {_percent(ci.low)} to "
        f"{_percent(ci.high)}, {len(team.samples)} and {len(above.samples)} runs"
    ).replace(".0% interval", "% interval")
    if ci.low > threshold:
        why = f"{gap_s} points behind (< {max_gap_s}) and surely more than {threshold:.1%} faster"
        return Decision(
            "moved", above.team, f"lifted past {above.team}: {why} ({interval})", **facts
        )
    if ci.high <= threshold:
        why = f"not more than {threshold:.1%} faster ({interval})"
        return Decision("refused", above.team, f"not lifted past {above.team}: {why}", **facts)
    why = f"the gain over the {threshold:.1%} threshold is not sure ({interval}); no move"
    return Decision("undecided", above.team, f"undecided against {above.team}: {why}", **facts)


def _point_step(
    above: Entry,
    team: Entry,
    rule: RerankRule,
    gain: float,
    gap_s: str,
    max_gap_s: str,
    facts: dict[str, Any],
) -> Decision:
    """The rule on single numbers (no samples to judge the noise by)."""
    gain_s, min_gain_s = _pair(gain, rule.min_efficiency_gain, 1, percent=True)
    if not gain > rule.min_efficiency_gain:
        if gain > 0:
            why = f"only {gain_s} faster (needs > {min_gain_s})"
        elif gain == 0:
            why = f"same duration (needs > {min_gain_s} faster)"
        else:
            slower = (team.duration - above.duration) / above.duration
            why = f"{slower:.1%} slower (needs > {min_gain_s} faster)"
        return Decision("refused", above.team, f"not lifted past {above.team}: {why}", **facts)
    return Decision(
        "moved",
        above.team,
        f"lifted past {above.team}: {gap_s} points behind (< {max_gap_s}) "
        f"and {gain_s} faster (> {min_gain_s})",
        **facts,
    )


def rank(
    entries: Iterable[Entry], rule: RerankRule | None = None, noise: Noise | None = None
) -> list[Placement]:
    """Placements ordered by final place, each with its decisions and reasons.

    With `noise` (and samples in the entries) a move needs the gain's interval to clear the
    threshold. Raises ValueError for duplicate teams, a non-finite score or a non-positive
    duration.
    """
    if rule is None:
        rule = RerankRule()
    items = list(entries)
    _validate(items)
    perf = performance_order(items, rule.higher_is_better)
    perf_place = {e.team: i + 1 for i, e in enumerate(perf)}
    eff = efficiency_order(items, rule.higher_is_better)
    eff_place = {e.team: i + 1 for i, e in enumerate(eff)}

    order = list(perf)
    moves: dict[str, list[Decision]] = {e.team: [] for e in items}
    reasons: dict[str, list[str]] = {e.team: [] for e in items}
    for k, team in enumerate(eff):
        bonus = rule.bonus(k)
        if bonus == 0:
            continue
        which = "most efficient" if k == 0 else f"{_ordinal(k + 1)} most efficient"
        reasons[team.team].append(f"{which} (bonus {bonus})")
        pos = order.index(team)
        for used in range(bonus):
            if pos == 0:
                unused = bonus - used
                reasons[team.team].append(
                    f"already first ({unused} bonus place{'s' if unused > 1 else ''} unused)"
                )
                break
            above = order[pos - 1]
            move = _step(above, team, rule, noise)
            moves[team.team].append(move)
            reasons[team.team].append(move.reason)
            if not move.granted:
                break
            reasons[above.team].append(f"passed by {team.team}")
            order[pos - 1], order[pos] = team, above
            pos -= 1

    return [
        Placement(
            entry=e,
            place=i + 1,
            performance_place=perf_place[e.team],
            efficiency_place=eff_place[e.team],
            bonus=rule.bonus(eff_place[e.team] - 1),
            moves=tuple(moves[e.team]),
            reasons=tuple(reasons[e.team]),
        )
        for i, e in enumerate(order)
    ]
