"""Overlapping windows over a word sequence that never cut a word.

A sentence longer than the encoder's budget is read in several windows; each word is
*predicted* by exactly one window (its keep range), the one where it sits away from the
edges, so that merging the windows back gives one prediction per word. Runtime module:
standard library only (packaging copies it into the submission).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Window:
    """Words [start, end) are encoded; words [keep_start, keep_end) are predicted here."""

    start: int
    end: int
    keep_start: int
    keep_end: int


def plan_windows(lengths: Sequence[int], budget: int, overlap: int) -> list[Window]:
    """Windows over words of `lengths` subwords, each at most `budget` subwords in total.

    About `overlap // 2` subwords of context stay on each side of a keep range. Every
    length must be between 1 and `budget` (clip long words first, see `clip_pieces`).
    """
    if budget < 1:
        raise ValueError(f"budget must be >= 1, got {budget}")
    for i, n in enumerate(lengths):
        if not 1 <= n <= budget:
            raise ValueError(f"word {i} has {n} subwords; each must be in 1..{budget}")
    total = len(lengths)
    side = max(0, min(overlap, budget - 1) // 2)
    windows: list[Window] = []
    keep_start = 0
    while keep_start < total:
        start, left = keep_start, 0
        while start > 0 and left + lengths[start - 1] <= side:
            start -= 1
            left += lengths[start]
        end, used = start, 0
        while end < total and used + lengths[end] <= budget:
            used += lengths[end]
            end += 1
        if end <= keep_start:  # the left context left no room: drop it
            start, end, used = keep_start, keep_start, 0
            while end < total and used + lengths[end] <= budget:
                used += lengths[end]
                end += 1
        keep_end = end
        if end < total:  # leave right context for words near the edge
            right = 0
            while keep_end - 1 > keep_start and right + lengths[keep_end - 1] <= side:
                keep_end -= 1
                right += lengths[keep_end]
        windows.append(Window(start, end, keep_start, keep_end))
        keep_start = keep_end
    return windows


def merge_windows(windows: Sequence[Window], predictions: Sequence[Sequence[T]]) -> list[T]:
    """One prediction per word from per-window predictions over words [start, end)."""
    out: list[T] = []
    for window, preds in zip(windows, predictions, strict=True):
        if len(preds) != window.end - window.start:
            raise ValueError(
                f"window {window} has {window.end - window.start} words, got {len(preds)}"
            )
        out.extend(preds[window.keep_start - window.start : window.keep_end - window.start])
    return out


def clip_pieces(pieces: Sequence[Sequence[int]], limit: int) -> list[list[int]]:
    """Keep at most `limit` subwords of each word (only the first one is labelled)."""
    return [list(p[:limit]) for p in pieces]
