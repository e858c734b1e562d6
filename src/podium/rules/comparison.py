"""Which of two measured durations is *surely* shorter, and orders built from sure differences only.

The principle (DESIGN.md, "No outcome on noise"): an order may follow a measured duration only
where the difference is sure at the published confidence; where it is not, the order is the one
a timing-free rule gives (the caller passes its items in that order).

- With samples and a noise model, A is surely faster than B when the interval of A's gain over
  B (at the order's risk, at the last look of the photo finish both reached:
  `podium.rules.looks`) lies above 0 **and** the medians shown beside it agree (A's median
  is the shorter), so no sentence contradicts a number on the board. A pair whose interval
  rules out a 10% gain either way is *settled* (`futile`): re-measuring it stops.
- Without them (single numbers, as in the documented examples) the exact floats are compared.

Pure: nothing here reads a clock or a store.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from podium.rules.efficiency import Noise
from podium.rules.looks import DESIGN_GAIN, Plan, judge

__all__ = [
    "Comparison",
    "Timings",
    "by_sign",
    "decided_order",
    "gain_span",
    "level_text",
    "median_gain",
]

T = TypeVar("T", bound="Timed")


class Timed(Protocol):
    """What a comparison needs of a team's result (`podium.rules.ranking.Entry` has it)."""

    @property
    def team(self) -> str: ...

    @property
    def duration(self) -> float: ...

    @property
    def samples(self) -> tuple[float, ...]: ...

    @property
    def remeasures(self) -> int: ...

    @property
    def repeats(self) -> int: ...


def by_sign(share: float) -> str:
    """A gain as people read it: "12.0% faster", "19.5% slower", never "-19.5% faster"."""
    if share > 9.99:
        return "more than 999% faster"
    if share < -9.99:
        return "more than 999% slower"
    if share > 0:
        return f"{share:.1%} faster"
    if share < 0:
        return f"{-share:.1%} slower"
    return "the same duration"


def level_text(level: float) -> str:
    """A confidence as people read it, never rounded up: 95%, 99.5%, 99.75%, 99.99991%."""
    risk = 1 - level
    digits = max(2, math.ceil(-math.log10(risk)) - 1) if 0 < risk < 1 else 2
    shown = math.floor(level * 100 * 10**digits) / 10**digits
    return f"{shown:.{digits}f}".rstrip("0").rstrip(".") + "%"


def median_gain(faster: float, slower: float) -> float:
    """The share of time `faster` saves against `slower`, from the medians shown on a board."""
    return (slower - faster) / slower


@dataclass(frozen=True)
class Comparison:
    """Two teams' durations compared: ``first`` is the shorter by the medians (or by name)."""

    first: str
    second: str
    first_seconds: float
    second_seconds: float
    sure: bool
    gain_ci: tuple[float, float] | None = None  # first's gain over second; None: no samples
    level: float = 0.0  # the interval's confidence
    runs: tuple[int, int] = (0, 0)
    remeasures: tuple[int, int] = (0, 0)
    look: tuple[int, int] = (0, 0)  # the photo finish's look the interval is at, of how many
    futile: bool = False  # surely less than `design` apart: re-measuring stops, unsure
    design: float = DESIGN_GAIN  # the gain the photo finish is sized for

    @property
    def gain(self) -> float:
        """first's gain over second by the medians (>= 0)."""
        return median_gain(self.first_seconds, self.second_seconds)

    @property
    def text(self) -> str:
        """The comparison in words, every figure from the numbers shown beside it."""
        what = "durations" if self.gain_ci is None else "medians"
        numbers = f"({what} {self.first_seconds:.4g} and {self.second_seconds:.4g})"
        if self.gain == 0:
            point = f"{self.first} and {self.second} take the same time {numbers}"
        else:
            point = f"{self.first} {by_sign(self.gain)} than {self.second} {numbers}"
        if self.gain_ci is None:
            return point
        low, high = self.gain_ci
        at = f", look {self.look[0]} of {self.look[1]}" if self.look[0] else ""
        interval = f"{level_text(self.level)} interval of the gain {gain_span(low, high)}"
        verdict = "surely different" if self.sure else "not surely different"
        said = f"{point}, {verdict} ({interval}, {self.runs[0]} and {self.runs[1]} runs{at})"
        if self.futile and not self.sure:
            said += f"; surely less than {self.design:.0%} apart, so re-measuring stopped"
        return said

    def to_dict(self) -> dict[str, object]:
        return {
            "first": self.first,
            "second": self.second,
            "sure": self.sure,
            "gain": self.gain,
            "gain_ci": list(self.gain_ci) if self.gain_ci is not None else None,
            "level": self.level,
            "runs": list(self.runs),
            "remeasures": list(self.remeasures),
            "look": list(self.look),
            "futile": self.futile,
            "text": self.text,
        }


def gain_span(low: float, high: float) -> str:
    """An interval of a gain in words by sign: "3.0% to 9.0% faster", "from 2.0% slower to
    8.0% faster"."""

    def far(share: float) -> str:
        return by_sign(share).replace(" faster", "").replace(" slower", "")

    if low >= 0:
        return f"{far(low)} to {by_sign(high)}"
    if high <= 0:
        return f"{far(high)} to {by_sign(low)}"
    return f"from {by_sign(low)} to {by_sign(high)}"


class Timings:
    """The sure-difference relation over one board's entries (cached: a board asks often).

    ``risk`` is an order's risk over all its looks (`plan`); ``forced`` fixes pairs as if
    they were sure (what-if questions of `contested`); ``design`` is the gain whose absence
    either way settles a pair (futility).
    """

    def __init__(
        self,
        noise: Noise | None,
        risk: float,
        plan: Plan,
        forced: Mapping[tuple[str, str], bool] | None = None,
        design: float = DESIGN_GAIN,
    ) -> None:
        self.noise, self.risk, self.plan, self.design = noise, risk, plan, design
        self.forced = dict(forced or {})
        self._cache: dict[tuple[str, str], Comparison] = {}
        self._sure: dict[tuple[str, str], bool] = {}  # (a, b): a surely faster, measured

    def forcing(self, faster: str, slower: str) -> Timings:
        """The same relation, with `faster` surely faster than `slower`."""
        forced = {**self.forced, (faster, slower): True}
        other = Timings(self.noise, self.risk, self.plan, forced, self.design)
        other._cache, other._sure = self._cache, self._sure  # the measurements do not change
        return other

    def compare(self, a: Timed, b: Timed) -> Comparison:
        key = (a.team, b.team) if a.team < b.team else (b.team, a.team)
        if key not in self._cache:
            self._cache[key] = self._uncached(a, b)
        return self._cache[key]

    def surely_faster(self, a: Timed, b: Timed) -> bool:
        key = (a.team, b.team)
        if self.forced:
            if key in self.forced:
                return True
            if (b.team, a.team) in self.forced:
                return False
        sure = self._sure.get(key)
        if sure is None:
            c = self.compare(a, b)
            sure = self._sure[key] = c.sure and c.first == a.team
        return sure

    def _uncached(self, a: Timed, b: Timed) -> Comparison:
        if (b.duration, b.team) < (a.duration, a.team):
            a, b = b, a
        runs, remeasures = (len(a.samples), len(b.samples)), (a.remeasures, b.remeasures)
        if self.noise is None or not (a.samples and b.samples):
            sure = a.duration < b.duration
            return Comparison(
                a.team, b.team, a.duration, b.duration, sure, runs=runs, remeasures=remeasures
            )
        seen = judge((b.samples, b.remeasures), (a.samples, a.remeasures), self.noise,
                     self.plan, self.risk, self.design, two_sided=True,
                     repeats=(b.repeats, a.repeats))  # fmt: skip
        ci = seen.interval
        sure = ci.low > 0 and a.duration < b.duration
        return Comparison(a.team, b.team, a.duration, b.duration, sure, (ci.low, ci.high),
                          ci.confidence, (seen.runs[1], seen.runs[0]), remeasures,
                          (seen.look, seen.looks), seen.futile, self.design)  # fmt: skip


def decided_order(items: Sequence[T], surely_faster: Callable[[T, T], bool]) -> list[T]:
    """`items` (given in the timing-free order) reordered by sure differences only: a team
    goes before every team it is surely faster than; otherwise the timing-free order holds.

    Each step takes the first remaining item that no remaining item is surely faster than.
    """
    n = len(items)
    beats = [
        [j for j in range(n) if j != i and surely_faster(items[i], items[j])] for i in range(n)
    ]
    blocked = [0] * n  # how many remaining items are surely faster than this one
    for successors in beats:
        for j in successors:
            blocked[j] += 1
    done = [False] * n
    out: list[T] = []
    for _ in range(n):
        # a cycle of sure differences cannot happen in one noise model; be safe anyway
        free = next((i for i in range(n) if not done[i] and blocked[i] == 0), None)
        pick = free if free is not None else done.index(False)
        done[pick] = True
        out.append(items[pick])
        for j in beats[pick]:
            blocked[j] -= 1
    return out
