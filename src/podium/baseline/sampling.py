"""Temperature-scaled sampling over (task, language) datasets.

Drawing in proportion to size lets the largest language drown the rest; drawing uniformly
repeats tiny datasets until they are memorised. Probabilities proportional to
size ** (1 / temperature) sit in between (temperature 1: by size; large: uniform), as in
multilingual BERT/XLM-R training. Pure numpy, no torch.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping
from typing import Generic, TypeVar

import numpy as np

K = TypeVar("K", bound=Hashable)


def temperature_weights(sizes: Mapping[K, int], temperature: float) -> dict[K, float]:
    """Sampling probability of each dataset; empty datasets get 0."""
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    if not any(n > 0 for n in sizes.values()):
        raise ValueError("every dataset is empty")
    raw = {k: float(n) ** (1.0 / temperature) if n > 0 else 0.0 for k, n in sizes.items()}
    total = sum(raw.values())
    return {k: v / total for k, v in raw.items()}


class TemperatureSampler(Generic[K]):
    """An endless stream of (dataset key, example index).

    Within a dataset, examples come in a fresh random order each pass, so every example is
    seen once before any is repeated.
    """

    def __init__(self, sizes: Mapping[K, int], temperature: float, seed: int) -> None:
        self.weights = temperature_weights(sizes, temperature)
        self.keys = [k for k, w in self.weights.items() if w > 0]
        self.probs = np.array([self.weights[k] for k in self.keys])
        self.sizes = dict(sizes)
        self.rng = np.random.default_rng(seed)
        self._orders: dict[K, Iterator[int]] = {}

    def _next_index(self, key: K) -> int:
        while True:
            order = self._orders.get(key)
            if order is not None:
                index = next(order, None)
                if index is not None:
                    return index
            self._orders[key] = iter(self.rng.permutation(self.sizes[key]).tolist())

    def draw(self, n: int) -> list[tuple[K, int]]:
        picks = self.rng.choice(len(self.keys), size=n, p=self.probs)
        return [(self.keys[i], self._next_index(self.keys[i])) for i in picks.tolist()]
