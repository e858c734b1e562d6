"""Temperature sampling oversamples rare languages and cycles through each dataset."""

from __future__ import annotations

from collections import Counter

import pytest

from podium.baseline.sampling import TemperatureSampler, temperature_weights


def test_temperature_one_is_proportional_and_large_is_near_uniform() -> None:
    sizes = {"en": 900, "sw": 100}
    assert temperature_weights(sizes, 1.0) == pytest.approx({"en": 0.9, "sw": 0.1})
    assert temperature_weights(sizes, 2.0) == pytest.approx({"en": 0.75, "sw": 0.25})
    assert temperature_weights(sizes, 1000.0)["sw"] == pytest.approx(0.5, abs=0.01)


def test_empty_datasets_are_never_drawn_and_bad_input_is_refused() -> None:
    assert temperature_weights({"a": 10, "b": 0}, 2.0) == {"a": 1.0, "b": 0.0}
    with pytest.raises(ValueError, match="temperature"):
        temperature_weights({"a": 1}, 0.0)
    with pytest.raises(ValueError, match="empty"):
        temperature_weights({"a": 0}, 1.0)


def test_rare_language_is_oversampled_relative_to_its_size() -> None:
    sampler = TemperatureSampler({("xnli", "en"): 900, ("xnli", "sw"): 100}, 2.0, seed=1)
    counts = Counter(key[1] for key, _ in sampler.draw(4000))
    assert 0.2 < counts["sw"] / 4000 < 0.3  # 10% of the data, ~25% of the draws


def test_every_example_is_seen_before_any_repeats() -> None:
    sampler = TemperatureSampler({"only": 7}, 1.0, seed=3)
    first = [i for _, i in sampler.draw(7)]
    assert sorted(first) == list(range(7))
    again = TemperatureSampler({"only": 7}, 1.0, seed=3)
    assert [i for _, i in again.draw(7)] == first  # seeded: reproducible
