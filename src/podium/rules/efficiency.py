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
  Student quantile for the pooled degrees of freedom. (The rule's comparisons count the
  repeats of one evaluation session as one observation: `podium.rules.looks`.)
- **A photo finish's looks** at re-measured samples: `podium.rules.looks`.
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
    # the noise known before these measurements (the calibration, else the assumed noise):
    # the least noise of one evaluation session's mean, which repeats back to back cannot
    # talk down, as they share the session's load (`podium.rules.looks`)
    floor: float = 0.0

    @property
    def session(self) -> float:
        """The noise of one evaluation session's mean (sd of log): at least `floor`."""
        return max(self.sigma, self.floor)

    def __post_init__(self) -> None:
        if not (self.sigma >= 0 and self.df >= 1 and self.floor >= 0):
            raise ValueError(
                f"noise needs sigma >= 0, df >= 1 and floor >= 0, got {self.sigma}, "
                f"{self.df}, {self.floor}"
            )


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
    floor = prior.session if prior is not None else 0.0
    return Noise(math.sqrt(sum_squares / df), df, source, floor)


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
