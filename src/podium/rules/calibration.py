"""How much of a duration difference is noise: the threshold calibration of the rule.

Two runs of the same submission differ only by noise. The re-ranking rule lifts a team
when it is more than ``min_efficiency_gain`` faster, so that threshold should be one that
noise alone crosses rarely: we take the smallest gain that the relative difference between
two noise-only measurements (each the median of ``repeats`` runs, as the leaderboard uses)
exceeds less than ``1 - quantile`` of the time, estimated by resampling measured durations.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from podium.rules.integrity import LeanReport


@dataclass(frozen=True)
class NoiseReport:
    runs: int
    median: float
    minimum: float
    maximum: float
    relative_spread: float  # (max - min) / median
    repeats: int
    quantile: float
    recommended_min_gain: float
    sigma: float  # standard deviation of log(duration): the noise model's unit
    canaries: LeanReport | None = None  # the same submission's canary pairs, when it had some


def recommend_min_gain(
    durations: Sequence[float],
    *,
    repeats: int = 1,
    quantile: float = 0.99,
    samples: int = 20_000,
    seed: int = 0,
) -> NoiseReport:
    """The smallest gain that noise alone crosses less than (1 - quantile) of the time."""
    if len(durations) < 3:
        raise ValueError("calibration needs at least 3 runs")
    if any(d <= 0 for d in durations):
        raise ValueError("durations must be positive")
    if not 0.5 <= quantile < 1:
        raise ValueError("quantile must be in [0.5, 1)")
    values = np.asarray(durations, dtype=float)
    rng = np.random.default_rng(seed)
    a = np.median(rng.choice(values, size=(samples, repeats)), axis=1)
    t = np.median(rng.choice(values, size=(samples, repeats)), axis=1)
    gains = (a - t) / a  # how much faster "T" looks than "A" although both are the same
    threshold = float(np.quantile(gains, quantile))
    med = statistics.median(durations)
    logs = np.log(values)
    return NoiseReport(
        sigma=float(np.std(logs, ddof=1)),
        runs=len(durations),
        median=med,
        minimum=min(durations),
        maximum=max(durations),
        relative_spread=(max(durations) - min(durations)) / med,
        repeats=repeats,
        quantile=quantile,
        recommended_min_gain=max(0.0, threshold),
    )
