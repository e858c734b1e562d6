from __future__ import annotations

import numpy as np
import pytest

from podium.rules.calibration import recommend_min_gain


def test_noiseless_runs_need_no_margin() -> None:
    assert recommend_min_gain([2.0] * 10).recommended_min_gain == 0.0


def test_more_noise_needs_a_larger_gain_and_repeats_reduce_it() -> None:
    rng = np.random.default_rng(1)
    quiet = list(1.0 + rng.normal(0, 0.01, 40).clip(-0.05, 0.05))
    noisy = list(1.0 + rng.normal(0, 0.08, 40).clip(-0.3, 0.3))
    q = recommend_min_gain(quiet).recommended_min_gain
    n = recommend_min_gain(noisy).recommended_min_gain
    assert 0 < q < n
    assert recommend_min_gain(noisy, repeats=5).recommended_min_gain < n


def test_recommended_gain_is_crossed_by_noise_rarely() -> None:
    rng = np.random.default_rng(7)
    runs = list(rng.lognormal(0, 0.05, 60))
    gain = recommend_min_gain(runs).recommended_min_gain
    a, t = rng.choice(runs, 20_000), rng.choice(runs, 20_000)
    assert np.mean((a - t) / a > gain) < 0.02


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="at least 3"):
        recommend_min_gain([1.0, 2.0])
    with pytest.raises(ValueError, match="positive"):
        recommend_min_gain([1.0, 0.0, 2.0])
