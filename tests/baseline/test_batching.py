"""Packing: several samples per row give the same encoder states as one sample per row."""

from __future__ import annotations

import pytest
import torch
from transformers import BertConfig, BertModel

from podium.baseline.batching import collate, group_rows, pack
from podium.baseline.encoding import Sample, Specials, pair_sample


def _sample(n: int, task: int = 0, seed: int = 0) -> Sample:
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(5, 90, (n,), generator=g).tolist()
    return Sample(ids, [0] * n, task, [0, n - 1], [1, 2])


def test_pack_fills_rows_without_overflow() -> None:
    samples = [_sample(n, seed=n) for n in (30, 20, 12, 10, 8, 5, 3)]
    rows = pack(samples, max_len=32)
    assert sorted(len(s) for r in rows for s in r) == sorted(len(s) for s in samples)
    assert all(sum(len(s) for s in r) <= 32 for r in rows)
    assert len(rows) < len(samples)


def test_group_rows_respects_the_token_budget_and_buckets_by_length() -> None:
    rows = [[_sample(n, seed=n)] for n in (3, 30, 4, 29, 5, 28)]
    batches = group_rows(rows, token_budget=64, sort=True)
    for batch in batches:
        width = max(len(r[0]) for r in batch)
        assert width * len(batch) <= 64
    assert [len(r[0]) for r in batches[0]] == [3, 4, 5]  # short ones together


def _tiny_bert() -> BertConfig:
    return BertConfig(
        vocab_size=100,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )


def test_packed_states_equal_unpacked_states() -> None:
    torch.manual_seed(0)
    config = _tiny_bert()
    model = BertModel(config).eval()
    samples = [_sample(n, seed=n) for n in (9, 6, 4)]
    packed = collate(pack(samples, max_len=24), pad_id=0)
    alone = collate([[s] for s in samples], pad_id=0)
    assert packed.mask.dim() == 4 and alone.mask.dim() == 2  # block mask only when needed
    assert packed.padded_tokens < alone.padded_tokens
    assert packed.real_tokens == alone.real_tokens == 19

    def states(batch):  # type: ignore[no-untyped-def]
        out = model(
            input_ids=batch.input_ids,
            attention_mask=batch.mask,
            token_type_ids=batch.token_types,
            position_ids=batch.positions,
        ).last_hidden_state
        flat = out.reshape(-1, out.shape[-1]).index_select(0, batch.index)
        return {
            (id(s), k): flat[i]
            for i, (s, k) in enumerate((s, k) for s in batch.samples for k in range(2))
        }

    with torch.no_grad():
        a, b = states(packed), states(alone)
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key], b[key], atol=1e-5, rtol=1e-4)


def test_pair_texts_pool_to_their_own_slots_packed_or_not() -> None:
    specials = Specials(cls=1, sep=2, pad=0, unk=3)
    pairs = [
        pair_sample(
            [10 + i] * (i + 2),
            [50 + i] * (3 - i % 2),
            task=0,
            label=1,
            specials=specials,
            max_len=24,
            typed=True,
        )
        for i in range(4)
    ] + [_sample(7, task=1)]
    for rows in (pack(pairs, max_len=24), [[s] for s in pairs]):
        batch = collate(rows, pad_id=0)
        assert batch.features.shape == (len(batch.index), len(pairs[0].features))
        flat = batch.input_ids.reshape(-1)
        entry = 0
        for sample in batch.samples:
            if sample.segments is not None:
                a0, a1, b0, b1 = sample.segments
                for slot, wanted in (
                    (2 * entry, sample.ids[a0:a1]),
                    (2 * entry + 1, sample.ids[b0:b1]),
                ):
                    got = flat[batch.pool_index[batch.pool_target == slot]].tolist()
                    assert got == wanted
                assert batch.features[entry].tolist() == pytest.approx(sample.features)
            else:
                assert not bool(batch.features[entry].any())
            entry += len(sample.positions)


def test_a_pair_head_gives_the_same_logits_packed_or_not() -> None:
    from podium.baseline.network import MultiTaskNet, NetConfig, TaskInfo

    torch.manual_seed(0)
    config = _tiny_bert()
    specials = Specials(cls=1, sep=2, pad=0, unk=3)
    tasks = (TaskInfo("nli", "pair", ("x", "y", "z")), TaskInfo("pos", "tagging", ("a", "b", "c")))
    net = MultiTaskNet(BertModel(config), NetConfig(tasks, specials, "test")).eval()
    samples = [
        pair_sample(
            [10 + i, 20, 30][: i + 1],
            [40, 10 + i],
            task=0,
            label=0,
            specials=specials,
            max_len=24,
            typed=True,
        )
        for i in range(3)
    ] + [_sample(6, task=1)]
    results = []
    with torch.no_grad():
        for rows in (pack(samples, max_len=24), [[s] for s in samples]):
            batch = collate(rows, pad_id=0)
            logits = torch.empty(len(batch.index), 3)
            for _, chosen, values in net(batch):
                logits[chosen] = values
            per_sample, start = {}, 0
            for sample in batch.samples:
                per_sample[id(sample)] = logits[start : start + len(sample.positions)]
                start += len(sample.positions)
            results.append(per_sample)
    packed, alone = results
    assert packed.keys() == alone.keys()
    for key, value in packed.items():
        torch.testing.assert_close(value, alone[key], atol=1e-5, rtol=1e-4)
