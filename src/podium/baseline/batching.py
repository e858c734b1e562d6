"""Samples to tensors without wasting compute on padding.

Three ways to lay samples out in rows: `pack` puts several short samples back-to-back in one
row (each keeps its own positions and sees only itself through a block attention mask),
`buckets` sorts by length so that a batch pads only to its own longest sample, `plain` keeps
the given order and pads to the longest (the reference the benchmark compares against).
Runtime module: standard library and torch only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import torch

from .encoding import PAIR_FEATURES, Sample

Row = list[Sample]


def pack(samples: Sequence[Sample], max_len: int) -> list[Row]:
    """First-fit decreasing: rows of several samples, each row at most `max_len` tokens."""
    rows: list[Row] = []
    room: list[int] = []
    for sample in sorted(samples, key=len, reverse=True):
        if len(sample) > max_len:
            raise ValueError(f"a sample of {len(sample)} tokens exceeds max_len {max_len}")
        for i, free in enumerate(room):
            if len(sample) <= free:
                rows[i].append(sample)
                room[i] -= len(sample)
                break
        else:
            rows.append([sample])
            room.append(max_len - len(sample))
    return rows


def group_rows(rows: Sequence[Row], token_budget: int, *, sort: bool) -> list[list[Row]]:
    """Batches of rows whose padded size (rows x longest row) stays within `token_budget`.

    With `sort`, rows are ordered by length first (length buckets); otherwise they keep
    their order (plain padding).
    """
    order = sorted(rows, key=_row_len) if sort else list(rows)
    batches: list[list[Row]] = []
    current: list[Row] = []
    longest = 0
    for row in order:
        width = max(longest, _row_len(row))
        if current and width * (len(current) + 1) > token_budget:
            batches.append(current)
            current, width = [], _row_len(row)
        current.append(row)
        longest = width
    if current:
        batches.append(current)
    return batches


def _row_len(row: Row) -> int:
    return sum(len(s) for s in row)


@dataclass
class Batch:
    """Tensors for the encoder plus where to read predictions.

    `index` holds flat positions (row * width + column) of every predicted position,
    `task` and `labels` the task index and gold label of each; `samples` the samples in the
    order their positions appear in `index`. For pair samples, `features` holds their overlap
    features (one row per entry of `index`, zeros for tagging) and `pool_index` /
    `pool_target` the flat positions of both texts' tokens and where they pool to: entry
    k of `index` owns targets 2k (text a) and 2k + 1 (text b).
    """

    input_ids: torch.Tensor
    token_types: torch.Tensor
    positions: torch.Tensor
    mask: torch.Tensor
    index: torch.Tensor
    task: torch.Tensor
    labels: torch.Tensor
    samples: list[Sample]
    features: torch.Tensor
    pool_index: torch.Tensor
    pool_target: torch.Tensor

    TENSORS: ClassVar[tuple[str, ...]] = (
        "input_ids",
        "token_types",
        "positions",
        "mask",
        "index",
        "task",
        "labels",
        "features",
        "pool_index",
        "pool_target",
    )

    @property
    def real_tokens(self) -> int:
        return sum(len(s) for s in self.samples)

    @property
    def padded_tokens(self) -> int:
        return int(self.input_ids.numel())


def collate(rows: Sequence[Row], pad_id: int) -> Batch:
    """Rows to tensors; a block-diagonal mask when some row holds several samples."""
    width = max(_row_len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    types = torch.zeros((len(rows), width), dtype=torch.long)
    pos = torch.zeros((len(rows), width), dtype=torch.long)
    segment = torch.zeros((len(rows), width), dtype=torch.long)
    index: list[int] = []
    task: list[int] = []
    labels: list[int] = []
    samples: list[Sample] = []
    features: list[tuple[float, ...]] = []
    pool_index: list[int] = []
    pool_target: list[int] = []
    blank = (0.0,) * PAIR_FEATURES
    for r, row in enumerate(rows):
        offset = 0
        for s_index, sample in enumerate(row, start=1):
            n = len(sample)
            ids[r, offset : offset + n] = torch.tensor(sample.ids)
            types[r, offset : offset + n] = torch.tensor(sample.types)
            pos[r, offset : offset + n] = torch.arange(n)
            segment[r, offset : offset + n] = s_index
            if sample.segments is not None:
                a0, a1, b0, b1 = sample.segments
                base = r * width + offset
                pool_index.extend(range(base + a0, base + a1))
                pool_target.extend([2 * len(index)] * (a1 - a0))
                pool_index.extend(range(base + b0, base + b1))
                pool_target.extend([2 * len(index) + 1] * (b1 - b0))
            features.extend([sample.features or blank] * len(sample.positions))
            index.extend(r * width + offset + p for p in sample.positions)
            task.extend([sample.task] * len(sample.positions))
            labels.extend(sample.labels)
            samples.append(sample)
            offset += n
    if all(len(row) == 1 for row in rows):
        mask = segment > 0  # plain padding mask: the encoder's fast path
    else:
        same = segment[:, :, None] == segment[:, None, :]
        mask = same & (segment[:, None, :] > 0)
        mask |= torch.eye(width, dtype=torch.bool)[None]  # padding attends to itself: no NaN
        mask = mask[:, None]
    return Batch(
        ids,
        types,
        pos,
        mask,
        torch.tensor(index, dtype=torch.long),
        torch.tensor(task, dtype=torch.long),
        torch.tensor(labels, dtype=torch.long),
        samples,
        torch.tensor(features, dtype=torch.float).reshape(len(index), PAIR_FEATURES),
        torch.tensor(pool_index, dtype=torch.long),
        torch.tensor(pool_target, dtype=torch.long),
    )
