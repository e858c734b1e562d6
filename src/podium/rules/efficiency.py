"""How sure a timing comparison is: intervals for a median duration and for a gain.

Pure functions over measured samples (seconds, or joules: any positive figure).

- **The median's interval** is distribution-free: the order statistics X(k) and X(n-k+1)
  cover the true median with probability 1 - 2·P(Binomial(n, 1/2) < k). The widest k that
  reaches the asked confidence is used; with too few samples for it (fewer than 6 at 95%)
  the interval is [min, max] and its actual confidence is stated (75% for 3 samples).
- **A gain's interval** uses a log-normal noise model: the log of a run's figure varies
  around the submission's true log figure with a standard deviation `sigma` that is the same
  on one machine (estimated by pooling the repeats of every submission, and the stored
  calibration of that hardware). The gain of T over A is 1 - g(T)/g(A), with g the geometric
  mean of the runs (the efficient estimate under that model); its interval is
  1 - exp(-(d ± t·se)) with d = mean log A - mean log T, se = sigma·√(1/nA + 1/nT) and t the
  Student quantile for the pooled degrees of freedom.
- **A sequential interval** (`sequential_gain_interval`) is the same interval made valid at
  every look at once, for a photo finish that re-measures and looks again after every run: a
  normal-mixture confidence sequence (Robbins 1970; Howard et al. 2021, "Time-uniform,
  nonparametric, nonasymptotic confidence sequences", eq. for the two-sided normal mixture).
  With t = 1/(1/nA + 1/nT) runs of information, the critical value is
  c(t) = sqrt((1 + r/t) · log((t + r) / (r · α²))) instead of a fixed quantile; the
  chance that *any* look excludes the true gain is at most α (Ville's inequality), however
  often one looks and whenever one stops. r tunes where it is tightest (`HORIZON`).
- **The runs a budget needs** (`runs_for_power`): the fewest interleaved runs per team for
  which the sequential interval, at its last look, clears a threshold with the asked power
  when the true gain is the design gain (stdlib `statistics.NormalDist`).
"""

from __future__ import annotations

import functools
import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Interval:
    low: float
    high: float
    confidence: float  # what the interval really covers (may be below the asked level)

    @property
    def relative_half_width(self) -> float:
        """± as a share of the middle of the interval (0 for a point)."""
        middle = (self.low + self.high) / 2
        return (self.high - self.low) / 2 / middle if middle > 0 else 0.0


@dataclass(frozen=True)
class Noise:
    """Run-to-run noise of one machine: the standard deviation of log(figure) per run."""

    sigma: float
    df: int  # degrees of freedom behind the estimate
    source: str  # where it came from, for the reasons shown to people

    def __post_init__(self) -> None:
        if not (self.sigma >= 0 and self.df >= 1):
            raise ValueError(f"noise needs sigma >= 0 and df >= 1, got {self.sigma}, {self.df}")


def median_interval(samples: Sequence[float], confidence: float = 0.95) -> Interval:
    """The order-statistic interval for the median of `samples`."""
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples)
    n = len(ordered)
    best = Interval(ordered[0], ordered[-1], _coverage(n, 1))
    for k in range(2, n // 2 + 1):
        coverage = _coverage(n, k)
        if coverage < confidence:
            break
        best = Interval(ordered[k - 1], ordered[n - k], coverage)
    return best


def _coverage(n: int, k: int) -> float:
    """P(X(k) <= median <= X(n-k+1)) for n samples of a continuous figure."""
    below: float = sum(math.comb(n, i) for i in range(k)) / 2**n
    return 1 - 2 * below


def pooled_noise(
    groups: Iterable[Sequence[float]], prior: Noise | None = None, source: str = "repeats"
) -> Noise | None:
    """Pool the within-group variance of log figures (each group: one submission's samples)
    with a prior estimate (a stored calibration); None when nothing is known."""
    sum_squares, df = 0.0, 0
    for group in groups:
        logs = [math.log(x) for x in group]
        if len(logs) >= 2:
            centre = statistics.fmean(logs)
            sum_squares += math.fsum((v - centre) ** 2 for v in logs)
            df += len(logs) - 1
    if prior is not None:
        sum_squares += prior.sigma**2 * prior.df
        df += prior.df
        source = f"{source} and {prior.source}" if df > prior.df else prior.source
    if df == 0:
        return None
    return Noise(math.sqrt(sum_squares / df), df, source)


def _log_ratio(slower: Sequence[float], faster: Sequence[float]) -> float:
    return statistics.fmean(map(math.log, slower)) - statistics.fmean(map(math.log, faster))


def gain(slower: Sequence[float], faster: Sequence[float]) -> float:
    """1 - g(faster)/g(slower) (geometric means): the share of time `faster` saves."""
    return 1 - math.exp(-_log_ratio(slower, faster))


def gain_interval(
    slower: Sequence[float], faster: Sequence[float], noise: Noise, confidence: float = 0.95
) -> Interval:
    """The two-sided interval of `gain(slower, faster)` under the log-normal noise model."""
    centre = _log_ratio(slower, faster)
    se = noise.sigma * math.sqrt(1 / len(slower) + 1 / len(faster))
    spread = student_t_quantile(1 - (1 - confidence) / 2, noise.df) * se
    return Interval(1 - math.exp(-(centre - spread)), 1 - math.exp(-(centre + spread)), confidence)


HORIZON = 20.0  # runs of information t where the sequence is tightest (about 40 runs each)


def mixture_critical(t: float, alpha: float, horizon: float = HORIZON) -> float:
    """The normal-mixture boundary, in standard errors, at `t` runs of information: valid
    at every t together with risk `alpha` (two-sided)."""
    log_a = -2 * math.log(alpha)
    r = horizon / (log_a + math.log(log_a + 1))  # tightest at t = horizon (Howard et al.)
    return math.sqrt((1 + r / t) * math.log((t + r) / (r * alpha**2)))


def sequential_gain_interval(
    slower: Sequence[float], faster: Sequence[float], noise: Noise, confidence: float = 0.95
) -> Interval:
    """`gain_interval` as an always-valid confidence sequence: its confidence holds over
    every look of a photo finish together (the Student/normal ratio widens it for a noise
    that is itself estimated)."""
    centre = _log_ratio(slower, faster)
    inverse = 1 / len(slower) + 1 / len(faster)
    alpha = 1 - confidence
    estimated = _t_over_z(1 - alpha / 2, noise.df)
    spread = mixture_critical(1 / inverse, alpha) * estimated * noise.sigma * math.sqrt(inverse)
    return Interval(1 - math.exp(-(centre - spread)), 1 - math.exp(-(centre + spread)), confidence)


def _t_over_z(p: float, df: int) -> float:
    """Student's p-quantile over the normal one: how much an estimated noise widens an
    interval (Cornish-Fisher for df >= 30, within 1e-5 there and far cheaper: a photo
    finish asks at every look, with one more degree of freedom each time)."""
    z = statistics.NormalDist().inv_cdf(p)
    if df < 30:
        return student_t_quantile(p, df) / z
    t = z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
    t += (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * df**3)
    return t / z


def runs_for_power(
    sigma: float,
    gain: float,
    threshold: float,
    confidence: float,
    power: float = 0.8,
    cap: int = 10_000,
) -> int:
    """Re-measurement runs per team (after one run each) for a sequential interval at
    `confidence` to show a true `gain` above `threshold` with `power` at its last look
    (earlier looks only add power: a conservative count); `cap` when even that is too few."""
    effect = math.log((1 - threshold) / (1 - gain))
    if effect <= 0:
        raise ValueError(f"gain {gain} must exceed the threshold {threshold}")
    if sigma <= 0:
        return 1
    z_power = statistics.NormalDist().inv_cdf(power)
    for extra in range(1, cap + 1):
        n = extra + 1
        t = n / 2  # balanced: 1/(1/n + 1/n)
        if effect / (sigma * math.sqrt(2 / n)) - mixture_critical(t, 1 - confidence) >= z_power:
            return extra
    return cap


@functools.lru_cache(maxsize=4096)
def student_t_quantile(p: float, df: int) -> float:
    """The p-quantile of Student's t with `df` degrees of freedom (bisection on the CDF;
    cached: a board asks for the same few levels over and over)."""
    if not 0 < p < 1:
        raise ValueError(f"p must be in (0, 1), got {p}")
    if p < 0.5:
        return -student_t_quantile(1 - p, df)
    low, high = 0.0, 1.0
    while _t_cdf(high, df) < p:
        high *= 2
    for _ in range(100):
        mid = (low + high) / 2
        if _t_cdf(mid, df) < p:
            low = mid
        else:
            high = mid
    return (low + high) / 2


def _t_cdf(t: float, df: int) -> float:
    x = df / (df + t * t)
    tail = 0.5 * _incomplete_beta(df / 2, 0.5, x)
    return 1 - tail if t >= 0 else tail


def _incomplete_beta(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function I_x(a, b) (continued fraction, Lentz)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    if x > (a + 1) / (a + b + 2):
        return 1 - _incomplete_beta(b, a, 1 - x)
    tiny, c, d = 1e-300, 1.0, 1 - (a + b) * x / (a + 1)
    d = 1 / (d if abs(d) > tiny else tiny)
    result = d
    for m in range(1, 300):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1 + numerator * d
            d = 1 / (d if abs(d) > tiny else tiny)
            c = 1 + numerator / c
            c = c if abs(c) > tiny else tiny
            result *= d * c
        if abs(d * c - 1) < 1e-15:
            break
    return math.exp(log_front) * result / a


DESIGN_GAIN = 0.10  # the true gain an automatic photo-finish budget is sized to decide
DESIGN_POWER = 0.8  # ... with this chance
MAX_PHOTO_FINISH_RUNS = 120  # the published default cap of an automatic budget


@dataclass(frozen=True)
class Budget:
    """A photo finish's re-measurement runs per team, and why (shown at a close)."""

    runs: int
    why: str


def photo_finish_budget(
    setting: int | str,
    noise: Noise | None,
    threshold: float,
    confidence: float,
    *,
    max_runs: int = MAX_PHOTO_FINISH_RUNS,
    seconds: float | None = None,
    slowest: float | None = None,
) -> Budget:
    """The budget a setting means: an integer as written; "auto": the runs that decide a
    true gain of `DESIGN_GAIN` (or twice the threshold, if higher) against `threshold` with
    `DESIGN_POWER` at this noise, capped by `max_runs` and by the time `seconds` allows when
    each of two interleaved runs takes up to `slowest` seconds."""
    if isinstance(setting, int):
        return Budget(setting, f"photo_finish_runs = {setting}, as set in competition.toml")
    if noise is None:
        return Budget(max_runs, f"auto: no noise measured yet, so the maximum {max_runs}")
    design = max(DESIGN_GAIN, 2 * threshold)
    needed = runs_for_power(noise.sigma, design, threshold, confidence, DESIGN_POWER, max_runs + 1)
    runs, why = (
        needed,
        (
            f"auto: {needed} runs per team decide a true {design:.0%} gain against the "
            f"{threshold:.1%} threshold with {DESIGN_POWER:.0%} power at noise sd(log) "
            f"{noise.sigma:.3f} ({noise.source})"
        ),
    )
    if needed > max_runs:
        runs, why = (
            max_runs,
            (
                f"auto: deciding a true {design:.0%} gain against the {threshold:.1%} threshold "
                f"with {DESIGN_POWER:.0%} power at noise sd(log) {noise.sigma:.3f} "
                f"({noise.source}) needs more than the maximum {max_runs} runs per team; "
                f"{max_runs} it is (close calls may stay undecided: lower the noise or raise "
                "photo_finish_max_runs)"
            ),
        )
    if seconds is not None and slowest:
        fits = max(1, int(seconds // (2 * slowest)))
        if fits < runs:
            runs, why = (
                fits,
                (
                    f"{why}; the time budget ({seconds / 60:.0f} min, photo_finish_minutes) "
                    f"fits {fits} interleaved pairs of {slowest:.3g} s runs"
                ),
            )
    return Budget(runs, why)
