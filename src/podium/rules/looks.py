"""A photo finish as a group-sequential test: planned looks, spent risk, a futility stop.

A photo finish re-measures an unsure pair of teams, interleaved, up to its planned runs per
team (`Plan.runs`, the budget). It does not look after every run: it looks at `LOOKS`
planned points (after 1/5, 2/5, ... of the planned runs), and only there may a comparison
become sure. The risk of one comparison (1 - confidence) is spent in two halves:

- half at **look 0**, the evaluations as they came (a fixed interval, as before any close);
- half over looks 1..K by an **O'Brien-Fleming-type spending function** (Lan & DeMets 1983):
  by the information fraction t = runs so far / planned runs, at most
  ``a(t) = 4 - 4·Φ(z(1 - a/4) / √t)`` of the half ``a`` is spent, so early looks spend almost
  nothing and the last look nearly all of it. Look k reads a fixed interval (Student's t)
  at the risk ``a(t_k) - a(t_{k-1})``; by the union bound the chance that *any* look
  excludes the true gain is at most the comparison's risk, whenever the photo finish stops.

**Futility.** At look k a pair also stops once its interval, at the one-sided risk
``FUTILITY_RISK · (t_k - t_{k-1})``, rules out the gain the budget is sized for (`design`,
10%): two teams that are surely not 10% apart (twins) stop early instead of spending the
budget, and their outcome is the timing-free one. A stop for futility never decides
anything, so it cannot raise the chance that noise decides; it costs a little power, which
the sizing counts.

**A run is one observation.** A run times its `repeats` back to back, in one session of
the machine: a load burst covers all of them or none, so they share that session's error
and are not independent. (Seen: a burst over one twin's three repeats, 2.5 times slower
with hardly any spread, made byte-identical twins "surely different" at look 0 when the
repeats counted as three runs, and noise gave them different efficiency places.) The model
is log(figure) = true log figure + the run's session error + the repeat's own error, so the
mean log of a run's repeats is one observation whose noise is the session's, which the
spread *within* the run does not show. Each run, the evaluation and every re-measurement,
enters a look as that one observation. The evaluation's, taken alone in its own session,
is charged at least the noise known before it (`Noise.session`: the calibration of the
hardware, else `noise_prior`), which its own tight repeats cannot talk down; a
re-measurement's at the pooled noise, which by then holds the spread between a
submission's runs. A team's figure is the observations' mean weighed by the inverse of
their noise (the efficient estimate when the noises are known; the Student quantile keeps
the pooled degrees of freedom), so a burst over an evaluation counts less once the team
is re-measured. The risk bounds above hold while a session's error stays within the noise
it is charged: a machine whose bursts exceed its calibration needs a new calibration
(`benchmarks/bench_bursts.py` shows what they do), and the photo finish's runs,
interleaved A, B, A, B, share a burst between the two teams. Teams far apart are still
decided at look 0 (10 times apart at the default noise 0.2).

**A look reads a fixed amount of data.** A pair is at look k when both teams have at least
the runs of look k; the look reads exactly those (a team re-measured more for another pair
is cut back), so each pair has at most K + 1 looks whatever order the runs come in.

**The budget** (`runs_for_power`): the fewest runs per team with which the last look alone
clears the threshold with `DESIGN_POWER` + 2·`FUTILITY_RISK` at the design gain, a
conservative count (earlier looks only add power; futility stops of the two comparisons a
bonus needs, the order and the move, take at most `FUTILITY_RISK` of it away each), so the
power is at least `DESIGN_POWER`.
"""

from __future__ import annotations

import functools
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from podium.rules.efficiency import Interval, Noise, student_t_quantile

__all__ = [
    "DESIGN_GAIN",
    "DESIGN_POWER",
    "FUTILITY_RISK",
    "LOOKS",
    "MAX_PHOTO_FINISH_RUNS",
    "Budget",
    "Look",
    "Plan",
    "judge",
    "photo_finish_budget",
    "runs_for_power",
    "spent",
]

LOOKS = 5  # planned looks of a photo finish (after 1/5, 2/5, ... of its runs)
FUTILITY_RISK = 0.05  # the most power futility stops may cost at the design gain
DESIGN_GAIN = 0.10  # the true gain an automatic budget is sized to decide
DESIGN_POWER = 0.8  # ... with at least this chance
MAX_PHOTO_FINISH_RUNS = 400  # the published default cap of an automatic budget

_NORMAL = statistics.NormalDist()


def spent(t: float, risk: float) -> float:
    """The O'Brien-Fleming-type two-sided spending function: the share of `risk` spent by
    information fraction `t` (0 at 0, `risk` at 1)."""
    if t <= 0:
        return 0.0
    if t >= 1:
        return risk
    return 4 - 4 * _NORMAL.cdf(_NORMAL.inv_cdf(1 - risk / 4) / math.sqrt(t))


@dataclass(frozen=True)
class Plan:
    """A photo finish's plan: `runs` re-measurements per team, looked at `looks` times."""

    runs: int = 0
    looks: int = LOOKS

    @functools.cached_property
    def points(self) -> tuple[int, ...]:
        """Re-measurement runs per team at each look 1..K (fewer looks than runs: each run)."""
        if self.runs <= 0:
            return ()
        return tuple(
            sorted({math.ceil(k * self.runs / self.looks) for k in range(1, self.looks + 1)})
        )

    def reached(self, remeasured: int) -> int:
        """The last look a pair whose teams both have `remeasured` runs has reached (0: none)."""
        return sum(1 for p in self.points if p <= remeasured)

    def runs_at(self, look: int) -> int:
        return self.points[look - 1] if look > 0 else 0

    def risk_at(self, look: int, risk: float) -> float:
        """The risk look `look` spends of a comparison's `risk` (half at look 0)."""
        if look == 0 or not self.points:
            return risk / 2
        t0, t1 = self.runs_at(look - 1) / self.runs, self.runs_at(look) / self.runs
        return spent(t1, risk / 2) - spent(t0, risk / 2)

    def futility_at(self, look: int) -> float:
        """The one-sided risk of a futility stop at `look` when the design gain is true."""
        if look == 0 or not self.points:
            return 0.0
        return FUTILITY_RISK * (self.runs_at(look) - self.runs_at(look - 1)) / self.runs

    def describe(self, look: int) -> str:
        if look == 0 or not self.points:
            return "before any re-measurement"
        return f"look {look} of {len(self.points)}"


@dataclass(frozen=True)
class Look:
    """What one look at a pair shows: the gain's interval at the look's level and whether
    the pair is settled for futility (surely less than the design gain apart)."""

    interval: Interval
    look: int
    looks: int
    runs: tuple[int, int]  # samples read: slower, faster
    futile: bool


def _sessions(
    samples: Sequence[float], remeasures: int, repeats: int, runs: int
) -> tuple[list[float], int, int]:
    """What a look reads of one team: one observation per run, the mean log of its `repeats`
    samples timed back to back (its evaluation, then its first `runs` re-measurement runs);
    how many of them are evaluations, and how many samples that is. `repeats` 0: every
    sample is a run of its own (single figures, a simulation), the last `remeasures` ones
    re-measurements."""
    logs = [math.log(x) for x in samples]
    if repeats <= 0:
        first = max(len(logs) - remeasures, 1)
        read = logs[: first + runs]
        return read, min(first, len(read)), len(read)
    chunks = [logs[i : i + repeats] for i in range(0, len(logs), repeats)][: 1 + runs]
    return [statistics.fmean(c) for c in chunks], 1, sum(map(len, chunks))


def _estimate(observations: Sequence[float], evaluations: int, noise: Noise) -> tuple[float, float]:
    """A team's log figure from its observations, each weighed by the inverse of its noise
    (an evaluation's: the session noise, at least the noise known before it; a
    re-measurement's: the pooled noise), and the estimate's variance."""
    variances = [
        noise.session**2 if i < evaluations else noise.sigma**2 for i in range(len(observations))
    ]
    if min(variances) == 0:  # noiseless runs: they alone tell the figure, exactly
        exact = [x for x, v in zip(observations, variances, strict=True) if v == 0]
        return statistics.fmean(exact), 0.0
    total = math.fsum(1 / v for v in variances)
    weighed = math.fsum(x / v for x, v in zip(observations, variances, strict=True))
    return weighed / total, 1 / total


def judge(
    slower: tuple[Sequence[float], int],
    faster: tuple[Sequence[float], int],
    noise: Noise,
    plan: Plan,
    risk: float,
    design: float,
    *,
    two_sided: bool,
    repeats: tuple[int, int] = (0, 0),
) -> Look:
    """The gain of `faster` over `slower` ((samples, re-measurement runs) each; `repeats`:
    samples per run of each, 0 if not known) at the last look both reached, one observation
    per run (see the module's note). `design`: the gain the futility stop rules out
    (`two_sided`: either way, as for an order; else only above, as for a move)."""
    look = plan.reached(min(slower[1], faster[1]))
    cut = plan.runs_at(look)
    (a, first_a, read_a), (b, first_b, read_b) = (
        _sessions(*slower, repeats[0], cut),
        _sessions(*faster, repeats[1], cut),
    )
    (mean_a, var_a), (mean_b, var_b) = _estimate(a, first_a, noise), _estimate(b, first_b, noise)
    centre, se = mean_a - mean_b, math.sqrt(var_a + var_b)
    level = 1 - plan.risk_at(look, risk)
    spread = student_t_quantile(1 - (1 - level) / 2, noise.df) * se
    interval = Interval(1 - math.exp(-(centre - spread)), 1 - math.exp(-(centre + spread)), level)
    futile = False
    beta = plan.futility_at(look)
    if beta > 0:
        far = -math.log(1 - design)
        reach = student_t_quantile(1 - beta, noise.df) * se
        futile = centre + reach < far and (not two_sided or centre - reach > -far)
    return Look(interval, look, len(plan.points), (read_a, read_b), futile)


def runs_for_power(
    sigma: float,
    gain: float,
    threshold: float,
    risk: float,
    power: float = DESIGN_POWER,
    cap: int = 10_000,
    looks: int = LOOKS,
) -> int:
    """Re-measurement runs per team (after one run each) with which a comparison at `risk`
    shows a true `gain` above `threshold` with at least `power` (see the module's note);
    `cap` when even that is too few."""
    effect = math.log((1 - threshold) / (1 - gain))
    if effect <= 0:
        raise ValueError(f"gain {gain} must exceed the threshold {threshold}")
    if sigma <= 0:
        return 1
    last = spent(1.0, risk / 2) - spent((looks - 1) / looks, risk / 2)
    # futility stops of the two comparisons a bonus needs (the order, the move) take at most
    # FUTILITY_RISK of the power each
    theta = _NORMAL.inv_cdf(1 - last / 2) + _NORMAL.inv_cdf(min(power + 2 * FUTILITY_RISK, 0.999))
    n = 2 * (sigma * theta / effect) ** 2  # runs per team at the last look, the first included
    return max(1, min(cap, math.ceil(n) - 1))


@dataclass(frozen=True)
class Budget:
    """A photo finish's re-measurement runs per team, and why (shown at a close)."""

    runs: int
    why: str


def photo_finish_budget(
    setting: int | str,
    noise: Noise | None,
    threshold: float,
    risk: float,
    *,
    max_runs: int = MAX_PHOTO_FINISH_RUNS,
) -> Budget:
    """The budget a setting means: an integer as written; "auto": the runs that decide a
    true gain of `DESIGN_GAIN` (or twice the threshold, if higher) with `DESIGN_POWER`, both
    as a move (against `threshold`, at `risk`) and as an order (against 0, at a tenth of
    it), at this noise, capped by `max_runs`."""
    if isinstance(setting, int):
        return Budget(setting, f"photo_finish_runs = {setting}, as set in competition.toml")
    if noise is None:
        return Budget(max_runs, f"auto: no noise measured yet, so the maximum {max_runs}")
    design = max(DESIGN_GAIN, 2 * threshold)
    needed = max(
        runs_for_power(noise.sigma, design, threshold, risk, cap=max_runs + 1),
        runs_for_power(noise.sigma, design, 0.0, risk / 10, cap=max_runs + 1),
    )
    said = (
        f"{design:.0%} gain against the {threshold:.1%} threshold with {DESIGN_POWER:.0%} "
        f"power at noise sd(log) {noise.sigma:.3f} ({noise.source}), {LOOKS} looks"
    )
    if needed > max_runs:
        return Budget(
            max_runs,
            f"auto: deciding a true {said} needs more than the maximum {max_runs} runs per "
            f"team; {max_runs} it is (close calls may stay undecided: lower the noise or "
            "raise photo_finish_max_runs)",
        )
    return Budget(needed, f"auto: {needed} runs per team decide a true {said}")
