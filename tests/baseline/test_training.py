"""Each pair task has a full and a lexical head; dev decides which one answers."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from podium.baseline.batching import collate
from podium.baseline.corpus import load_corpus
from podium.baseline.inference import Predictor
from podium.baseline.network import load_net
from podium.baseline.training import choose_heads, dev_scores
from podium.metrics import task_means

from .conftest import TinyRun


def test_both_heads_of_a_pair_task_learn_and_the_chosen_one_answers(tiny_package: Path) -> None:
    from tokenizers import Tokenizer

    net = load_net(tiny_package)
    predictor = Predictor(net, Tokenizer.from_file(str(tiny_package / "tokenizer.json")))
    records = [{"id": "1", "text_a": "a cat sat", "text_b": "the cat sat on a mat"}]
    samples, _ = predictor.samples("pawsx", records)
    batch = collate([samples], net.config.specials.pad)
    heads = {name: logits for _, _, logits, name in net.run_heads(batch, every=True)}
    assert set(heads) == {"full", "lexical"}  # training: both heads take the loss
    assert not heads["full"].equal(heads["lexical"])
    calls: list[int] = []
    net.encoder.register_forward_hook(lambda *_: calls.append(1))
    for lexical, expected, encoder_runs in (((), "full", 1), (("pawsx",), "lexical", 0)):
        net.config = replace(net.config, lexical=lexical)
        calls.clear()
        [(_, _, logits)] = net(batch)
        assert logits.equal(heads[expected])
        assert len(calls) == encoder_runs  # a lexical answer needs no encoder pass


def test_dev_chooses_the_better_head_per_pair_task(tiny_run: TinyRun, tiny_package: Path) -> None:
    from tokenizers import Tokenizer

    net = load_net(tiny_package)
    tokenizer = Tokenizer.from_file(str(tiny_package / "tokenizer.json"))
    corpus = load_corpus(tiny_run.competition)
    pairs = ("xnli", "pawsx")
    net.config = replace(net.config, lexical=())
    full = task_means(dev_scores(net, tokenizer, corpus, None))
    net.config = replace(net.config, lexical=pairs)
    lexical = task_means(dev_scores(net, tokenizer, corpus, None, tasks=pairs))
    assert set(lexical) == set(pairs)

    chosen = task_means(choose_heads(net, tokenizer, corpus, None))
    assert net.config.lexical == tuple(t for t in pairs if lexical[t] > full[t])
    for task in pairs:
        assert chosen[task] == pytest.approx(max(full[task], lexical[task]))
    for task in ("udpos", "panx"):  # tagging tasks have one head
        assert chosen[task] == pytest.approx(full[task])
    # what the choice reports is what the chosen heads score
    again = task_means(dev_scores(net, tokenizer, corpus, None))
    assert again == pytest.approx(chosen)
