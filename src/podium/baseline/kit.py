"""The baseline kit as one call: train the tiny encoder on public data, package its best
checkpoint. What `podium baseline train` then `podium baseline package` do with their
defaults, in the caller's process: the demo trains the kit once per attempt, and loading
torch, Lightning and transformers twice an attempt in new processes cost it more than the
training (about 12 s an attempt against 1 s of training)."""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# Lightning says, on every run, which accelerators it found and that a time limit stopped it:
# the caller's output is not the place
_CHATTY = ("lightning.pytorch", "lightning.fabric", "pytorch_lightning", "lightning_fabric")


def train_and_package(public: Path, run: Path, out: Path, minutes: float) -> Path:
    """Train for `minutes` (data preparation included) into `run`, package into `out`."""
    from .corpus import load_corpus
    from .model import TINY, build_model
    from .packaging import package
    from .training import TrainOptions, fit

    started = time.monotonic()
    with _hushed():
        corpus = load_corpus(public)
        net, tokenizer = build_model(TINY, corpus)
        options = TrainOptions(max_minutes=minutes, workers=1, progress=False)
        left = max(minutes * 60 - (time.monotonic() - started), 1.0)
        result = fit(net, tokenizer, corpus, run, options, seconds_left=left)
        return package(result.best, out)


@contextmanager
def _hushed() -> Iterator[None]:
    loggers = [logging.getLogger(name) for name in _CHATTY]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Lightning's own deprecations, at its import
            yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
