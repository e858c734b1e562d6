"""The published ranking rule: performance order, then efficiency bonuses (DESIGN.md).

Pure functions only, so the rule can be tested exhaustively and re-run on stored numbers.
No outcome rests on timing noise: a duration decides something only where the difference is
sure (`podium.rules.comparison`); otherwise a timing-free rule decides.

1. Performance order: score descending (ascending when lower is better, e.g. an error such
   as RMSE); equal scores: a surely shorter duration first, otherwise the earlier submission,
   then the team name (so the result never depends on the input order or on noise).
2. Efficiency order: duration ascending where the difference is sure. A team's efficiency
   place is the one it surely holds (one more than the teams it is not surely faster
   than): teams not surely different, directly or through a third team, share the lowest
   of their places, and the team at place k
   receives ``bonus_places[k - 1]`` (0 beyond the tuple). Bonuses are applied in the order
   of sure differences, the performance order elsewhere.
3. Bonuses are applied in efficiency order on the current order. A team moves up one place
   at a time, at most its bonus, past the team A directly above it only if
   ``score(A) - score(T) < max_score_gap`` (``score(T) - score(A)`` when lower is better)
   and its gain
   ``(duration(A) - duration(T)) / duration(A)`` clears ``min_efficiency_gain``; the first
   failed condition ends its moves. Both comparisons are strict.
4. With measured samples and a noise model (`podium.rules.efficiency`), "clears" means the lower
   bound of the gain's interval (at the rule's ``risk``, spent over the photo finish's
   looks: `podium.rules.looks`) is above the threshold; an interval that straddles it is
   *undecided*: no move, and the service may re-measure (photo finish) unless the interval
   already rules out the 10% gain the budget is sized for (futile: re-measuring stops).
   "Surely shorter" (steps 1-2) means the gain's interval at the stricter ``order_risk``
   excludes 0. Without samples the exact floats are compared.
5. Every examined move is a decision with its numbers and a reason; `contested` names the
   unsure comparisons whose outcome could change a place or a bonus (what a photo finish
   re-measures).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from podium.rules.comparison import (
    Comparison,
    Timings,
    by_sign,
    decided_order,
    gain_span,
    level_text,
)
from podium.rules.efficiency import Noise
from podium.rules.looks import DESIGN_GAIN, Plan, judge

__all__ = [
    "Contest",
    "Decision",
    "Entry",
    "Move",
    "Placement",
    "RerankRule",
    "contested",
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
    repeats: int = 0  # samples per run (timed back to back: one observation); 0: not known
    training_seconds: float = 0.0  # CPU time billed to the team's training jobs


# billed training CPU time is counted by the kernel to the microsecond; a stop at the budget
# adds at most 20 ms per core: two teams closer than this have spent the same compute
TRAINING_RESOLUTION = 1.0


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
    training_tiebreak: bool = False  # equal scores: less billed training compute first

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

    @property
    def risk(self) -> float:
        """A move's risk over all its looks (half before any re-measurement, half over the
        photo finish's planned looks: `podium.rules.looks`)."""
        return 1 - self.confidence

    @property
    def order_risk(self) -> float:
        """The risk that one duration is called surely shorter than another (an order, a
        tie-break, an efficiency bonus) wrongly: a tenth of a move's, because twins doing
        identical work are compared again and again and must almost never be split."""
        return self.risk / 10

    @property
    def design_gain(self) -> float:
        """The true gain a photo finish is sized to decide (and whose absence stops it)."""
        g = self.min_efficiency_gain  # twice the rule's gain, kept below 100% for a large one
        return max(DESIGN_GAIN, min(2 * g, (1 + g) / 2))

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
    futile: bool = field(default=False, compare=False)  # undecided, re-measuring stopped

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
            "futile": self.futile,
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


def _plan(entries: Sequence[Entry], plan: Plan | None) -> Plan:
    """The photo finish's plan; without one, a single look at every re-measurement made."""
    return plan if plan is not None else Plan(max((e.remeasures for e in entries), default=0))


def _timings(rule: RerankRule | None, noise: Noise | None, plan: Plan | None = None) -> Timings:
    rule = rule or RerankRule()
    return Timings(noise, rule.order_risk, plan or Plan(), design=rule.design_gain)


def less_training(a: Entry, b: Entry) -> bool:
    """Whether `a` billed surely less training compute than `b` (by the resolution)."""
    return a.training_seconds + TRAINING_RESOLUTION <= b.training_seconds


def performance_order(
    entries: Iterable[Entry],
    higher_is_better: bool = True,
    timings: Timings | None = None,
    training_tiebreak: bool = False,
) -> list[Entry]:
    """Best score first; equal scores: less training compute (when the rule says so), else
    surely shorter duration, else earlier submission, name."""
    sign = -1.0 if higher_is_better else 1.0
    timings = timings or _timings(None, None)
    timing_free = sorted(entries, key=lambda e: (sign * e.score, e.submitted_at, e.team))
    surely: Callable[[Entry, Entry], bool] = timings.surely_faster
    if training_tiebreak:

        def ahead(a: Entry, b: Entry) -> bool:
            if less_training(a, b) or less_training(b, a):
                return less_training(a, b)
            return timings.surely_faster(a, b)

        surely = ahead
    out: list[Entry] = []
    for _, group in itertools.groupby(timing_free, key=lambda e: e.score):
        out.extend(decided_order(list(group), surely))
    return out


def efficiency_order(
    entries: Iterable[Entry],
    higher_is_better: bool = True,
    timings: Timings | None = None,
    training_tiebreak: bool = False,
) -> list[Entry]:
    """Surely shorter duration first; teams not surely different keep their performance order
    (the order bonuses are applied in; the places they share: `_efficiency_places`)."""
    timings = timings or _timings(None, None)
    return decided_order(
        performance_order(entries, higher_is_better, timings, training_tiebreak),
        timings.surely_faster,
    )


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


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _step(above: Entry, team: Entry, rule: RerankRule, noise: Noise | None, plan: Plan) -> Decision:
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
    seen = judge((above.samples, above.remeasures), (team.samples, team.remeasures), noise,
                 plan, rule.risk, rule.design_gain, two_sided=False,
                 repeats=(above.repeats, team.repeats))  # fmt: skip
    ci = seen.interval
    facts["gain_ci"] = (ci.low, ci.high)
    threshold = rule.min_efficiency_gain
    at = f", look {seen.look} of {seen.looks}" if seen.look else ""
    interval = (
        f"{by_sign(point)} by the medians ({team.duration:.4g} vs {above.duration:.4g}); "
        f"{level_text(ci.confidence)} interval of the gain {gain_span(ci.low, ci.high)}, "
        f"{seen.runs[1]} and {seen.runs[0]} runs{at}"
    )
    if ci.low > threshold:
        why = f"{gap_s} points behind (< {max_gap_s}) and surely more than {threshold:.1%} faster"
        return Decision(
            "moved", above.team, f"lifted past {above.team}: {why} ({interval})", **facts
        )
    if ci.high <= threshold:
        why = f"not more than {threshold:.1%} faster ({interval})"
        return Decision("refused", above.team, f"not lifted past {above.team}: {why}", **facts)
    why = f"the gain over the {threshold:.1%} threshold is not sure ({interval}); no move"
    if seen.futile:
        why += f"; surely not {rule.design_gain:.0%} faster, so re-measuring stopped"
    return Decision(
        "undecided",
        above.team,
        f"undecided against {above.team}: {why}",
        **facts,
        futile=seen.futile,
    )


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
            why = f"{by_sign(gain)} (needs > {min_gain_s} faster)"
        return Decision("refused", above.team, f"not lifted past {above.team}: {why}", **facts)
    return Decision(
        "moved",
        above.team,
        f"lifted past {above.team}: {gap_s} points behind (< {max_gap_s}) "
        f"and {gain_s} faster (> {min_gain_s})",
        **facts,
    )


@dataclass(frozen=True)
class Contest:
    """An unsure timing comparison whose outcome could change a place or a bonus.

    ``kind``: ``tie`` (equal scores ordered by the timing-free rule), ``efficiency`` (teams
    sharing an efficiency place and its bonus), ``move`` (an undecided move). ``ahead`` is
    the team the outcome favours now; a photo finish re-measures both, interleaved.
    """

    kind: Literal["tie", "efficiency", "move"]
    ahead: str
    behind: str
    reason: str
    remeasures: tuple[int, int] = (0, 0)
    comparison: Comparison | None = field(default=None, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "ahead": self.ahead, "behind": self.behind,
                "reason": self.reason, "remeasures": list(self.remeasures),
                "comparison": self.comparison.to_dict() if self.comparison else None}  # fmt: skip


def rank(
    entries: Iterable[Entry],
    rule: RerankRule | None = None,
    noise: Noise | None = None,
    plan: Plan | None = None,
) -> list[Placement]:
    """Placements ordered by final place, each with its decisions and reasons.

    With `noise` (and samples in the entries) a move needs the gain's interval to clear the
    threshold, and an order needs a sure difference. Raises ValueError for duplicate teams, a
    non-finite score or a non-positive duration.
    """
    rule = rule or RerankRule()
    items = list(entries)
    _validate(items)
    plan = _plan(items, plan)
    return _rank(items, rule, noise, _timings(rule, noise, plan), plan)


def compare(
    a: Entry,
    b: Entry,
    rule: RerankRule | None = None,
    noise: Noise | None = None,
    plan: Plan | None = None,
) -> Comparison:
    """The rule's comparison of two teams' durations (as the orders read it)."""
    return _timings(rule, noise, _plan((a, b), plan)).compare(a, b)


def contested(
    entries: Iterable[Entry],
    rule: RerankRule | None = None,
    noise: Noise | None = None,
    plan: Plan | None = None,
) -> list[Contest]:
    """The unsure timing comparisons that could change an outcome (a place or a bonus, hence
    a move or the winner): undecided moves, then unsure ties and efficiency places whose
    reversal changes the outcome. Only measured comparisons (samples and noise) are listed:
    they are the ones a re-measurement can decide. Only neighbours by median are paired
    (within equal scores for a tie; settling them settles the order), and a pair settled for
    futility (surely less than the design gain apart: `podium.rules.looks`) is not listed."""
    rule = rule or RerankRule()
    items = list(entries)
    _validate(items)
    plan = _plan(items, plan)
    timings = _timings(rule, noise, plan)
    placed = _rank(items, rule, noise, timings, plan)
    outcome = _outcome(placed)
    found: list[Contest] = []
    for p in sorted(placed, key=lambda p: p.efficiency_place):
        for d in p.moves:
            if d.kind == "undecided" and not d.futile:
                found.append(
                    Contest("move", d.past, d.team, d.reason, (d.remeasures[1], d.remeasures[0]))
                )
    perf = performance_order(items, rule.higher_is_better, timings, rule.training_tiebreak)
    eff = efficiency_order(items, rule.higher_is_better, timings, rule.training_tiebreak)
    pairs: list[tuple[Literal["tie", "efficiency"], Entry, Entry]] = []
    for _, group in itertools.groupby(perf, key=lambda e: e.score):
        pairs += [("tie", x, y) for x, y in _neighbours(list(group), perf)]
    pairs += [("efficiency", x, y) for x, y in _neighbours(eff, eff)]
    hopeful = _could_earn_more(eff, rule, timings)
    seen: set[tuple[str, str]] = set()
    for kind, x, y in pairs:
        c = timings.compare(x, y)
        key = (x.team, y.team) if x.team < y.team else (y.team, x.team)
        if c.sure or c.futile or c.gain_ci is None or key in seen:
            continue
        either = (timings.forcing(y.team, x.team), timings.forcing(x.team, y.team))
        could_earn = kind == "efficiency" and (x.team in hopeful or y.team in hopeful)
        if not could_earn and all(
            _outcome(_rank(items, rule, noise, t, plan)) == outcome for t in either
        ):
            continue
        seen.add(key)
        if kind == "tie":
            reason = f"{x.team} is ahead of {y.team} on an equal score by the timing-free rule"
        else:
            reason = f"{x.team} and {y.team} share an efficiency place and its bonus"
        reason += f": {c.text}"
        found.append(Contest(kind, x.team, y.team, reason, (x.remeasures, y.remeasures), c))
    return found


def _neighbours(group: Sequence[Entry], order: Sequence[Entry]) -> list[tuple[Entry, Entry]]:
    """Pairs of `group` next to each other by median duration, each as (ahead, behind) in
    `order`."""
    at = {e.team: i for i, e in enumerate(order)}
    by_median = sorted(group, key=lambda e: (e.duration, at[e.team]))
    return [(x, y) if at[x.team] < at[y.team] else (y, x) for x, y in itertools.pairwise(by_median)]


def _could_earn_more(eff: Sequence[Entry], rule: RerankRule, timings: Timings) -> set[str]:
    """Teams whose bonus would grow if their unsure comparisons were all settled in their
    favour: every one of those comparisons matters, even where settling one alone does not
    (five teams not surely different share the 5th place, and no bonus)."""
    hopeful = set()
    for a in eff:
        best = 1 + sum(1 for b in eff if b is not a and timings.surely_faster(b, a))
        worst = 1 + sum(1 for b in eff if b is not a and not timings.surely_faster(a, b))
        if rule.bonus(best - 1) > rule.bonus(worst - 1):
            hopeful.add(a.team)
    return hopeful


def _outcome(placed: Sequence[Placement]) -> tuple[tuple[str, int, int], ...]:
    return tuple(sorted((p.team, p.place, p.bonus) for p in placed))


def _timing_free_why(upper: Entry, lower: Entry) -> str:
    if upper.submitted_at < lower.submitted_at:
        return "submitted earlier"
    if upper.submitted_at == lower.submitted_at and upper.team < lower.team:
        return "submitted at the same time; team name first"
    return "the timing-free order"


def _tie_reasons(
    perf: Sequence[Entry], timings: Timings, training: bool = False
) -> dict[str, list[str]]:
    """Why each team is ahead of the next one on an equal score."""
    reasons: dict[str, list[str]] = {}
    for upper, lower in itertools.pairwise(perf):
        if upper.score != lower.score:
            continue
        c = timings.compare(upper, lower)
        if training and less_training(upper, lower):
            why = (
                f"less training compute ({upper.training_seconds:.0f} CPU s vs "
                f"{lower.training_seconds:.0f})"
            )
        elif timings.surely_faster(upper, lower):
            why = f"a surely shorter duration ({c.text})"
        else:
            why = f"{_timing_free_why(upper, lower)} ({c.text})"
        reasons.setdefault(upper.team, []).append(f"ahead of {lower.team} on an equal score: {why}")
    return reasons


def _level(a: Entry, b: Entry, timings: Timings) -> bool:
    """Neither is surely faster than the other."""
    return not timings.surely_faster(a, b) and not timings.surely_faster(b, a)


def _shared(eff: Sequence[Entry], timings: Timings) -> dict[str, list[Entry]]:
    """Each team's group: the teams it is not surely different from, directly or through a
    chain of such teams (A level with B, B with C: A, B and C share)."""
    group = {e.team: [e] for e in eff}
    for a, b in itertools.combinations(eff, 2):
        if group[a.team] is not group[b.team] and _level(a, b, timings):
            merged = group[a.team] + group[b.team]
            for e in merged:
                group[e.team] = merged
    order = {e.team: i for i, e in enumerate(eff)}
    return {t: sorted(g, key=lambda e: order[e.team]) for t, g in group.items()}


def _efficiency_places(eff: Sequence[Entry], timings: Timings) -> dict[str, int]:
    """Each team's efficiency place, the one it *surely* holds: one more than the teams it
    is not surely faster than, and no better than any team of its group (`_shared`): teams
    not surely different, even through a third team, share the lowest place (and its bonus),
    so a bonus never goes to a team over one it is not surely faster than. (Without the
    chain, twins could part: one surely faster than a slow team, the other, slowed by a
    burst of load, not surely; the first would take a bonus over its twin.)"""
    alone = {
        a.team: 1 + sum(1 for b in eff if b is not a and not timings.surely_faster(a, b))
        for a in eff
    }
    groups = _shared(eff, timings)
    return {a.team: max(alone[b.team] for b in groups[a.team]) for a in eff}


def _bonus_why(
    team: Entry, eff: Sequence[Entry], places: dict[str, int], bonus: int, timings: Timings
) -> str:
    """ "most efficient (bonus 2)", or the shared places with the comparisons that share them."""
    place = places[team.team]
    group = _shared(eff, timings)[team.team]
    level = [b for b in group if b is not team]
    if not level:
        which = "most efficient" if place == 1 else f"{_ordinal(place)} most efficient"
        return f"{which} (bonus {bonus})"
    first = place - len(level)
    names = ", ".join(b.team for b in level)
    pairs = [(team, b) for b in level if _level(team, b, timings)] + [
        (a, b) for a, b in itertools.combinations(level, 2) if _level(a, b, timings)
    ]
    why = "; ".join(timings.compare(a, b).text for a, b in pairs)
    return (
        f"shares the {_ordinal(first)} to {_ordinal(place)} efficiency places with {names} "
        f"(bonus {bonus}; not surely different: {why})"
    )


def _rank(
    items: Sequence[Entry], rule: RerankRule, noise: Noise | None, timings: Timings, plan: Plan
) -> list[Placement]:
    perf = performance_order(items, rule.higher_is_better, timings, rule.training_tiebreak)
    perf_place = {e.team: i + 1 for i, e in enumerate(perf)}
    eff = efficiency_order(items, rule.higher_is_better, timings, rule.training_tiebreak)
    eff_place = _efficiency_places(eff, timings)

    order = list(perf)
    moves: dict[str, list[Decision]] = {e.team: [] for e in items}
    reasons: dict[str, list[str]] = {e.team: [] for e in items}
    for name, why in _tie_reasons(perf, timings, rule.training_tiebreak).items():
        reasons[name].extend(why)
    for team in eff:
        bonus = rule.bonus(eff_place[team.team] - 1)
        if bonus == 0:
            continue
        reasons[team.team].append(_bonus_why(team, eff, eff_place, bonus, timings))
        pos = order.index(team)
        for used in range(bonus):
            if pos == 0:
                unused = bonus - used
                reasons[team.team].append(
                    f"already first ({unused} bonus place{'s' if unused > 1 else ''} unused)"
                )
                break
            above = order[pos - 1]
            move = _step(above, team, rule, noise, plan)
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
            bonus=rule.bonus(eff_place[e.team] - 1),  # the place it surely holds
            moves=tuple(moves[e.team]),
            reasons=tuple(reasons[e.team]),
        )
        for i, e in enumerate(order)
    ]
