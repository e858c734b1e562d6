"""Encoders by name or local folder, clear offline errors, and the optimiser's rules."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from podium.baseline.bert import TorchBert
from podium.baseline.corpus import load_corpus
from podium.baseline.inference import Predictor
from podium.baseline.model import TinySize, build_model
from podium.baseline.network import load_net, save_net
from podium.baseline.tokenizer import train_wordpiece
from podium.baseline.training import layer_depth, param_groups, schedule_factor
from podium.core.errors import PodiumError

SMALL = TinySize(layers=2, hidden=32, heads=2, intermediate=64, vocab=300)


def test_unknown_encoder_offline_says_what_to_do(
    tiny_competition: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))  # an empty cache
    corpus = load_corpus(tiny_competition)
    with pytest.raises(PodiumError, match="could not be loaded: offline") as info:
        build_model("bert-base-multilingual-cased", corpus)
    assert "--encoder tiny" in info.value.message and "save_pretrained" in info.value.message


def test_encoder_from_a_local_folder(tiny_competition: Path, tmp_path: Path) -> None:
    from transformers import BertConfig, BertModel, BertTokenizerFast

    corpus = load_corpus(tiny_competition)
    folder = tmp_path / "my-encoder"
    wordpiece = train_wordpiece(corpus.texts(), 300)
    fast = BertTokenizerFast(
        tokenizer_object=wordpiece,
        unk_token="[UNK]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        pad_token="[PAD]",
        mask_token="[MASK]",
    )
    config = BertConfig(
        vocab_size=wordpiece.get_vocab_size(),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=40,
    )
    torch.manual_seed(0)
    saved = BertModel(config)
    saved.save_pretrained(folder)
    fast.save_pretrained(folder)

    net, tokenizer = build_model(str(folder), corpus, max_len=128)
    assert net.config.encoder == str(folder) and net.config.max_len == 40  # the encoder's limit
    # a plain BERT trains on the module its packaged predictions run on (bert.py)
    assert isinstance(net.encoder, TorchBert)
    assert torch.equal(
        net.encoder.embeddings.word_embeddings.weight, saved.embeddings.word_embeddings.weight
    )
    assert net.config.specials.cls == wordpiece.token_to_id("[CLS]")
    records = [{"id": "1", "tokens": ["a"] * 90}, {"id": "2", "tokens": ["b", "c"]}]
    preds = Predictor(net, tokenizer).predict("udpos", records)
    assert [len(p) for p in preds] == [90, 2]  # a long sentence windowed back whole


def test_an_encoder_path_that_is_a_file_is_refused(tiny_competition: Path, tmp_path: Path) -> None:
    (tmp_path / "model.bin").write_bytes(b"x")
    with pytest.raises(PodiumError, match="folder written by save_pretrained"):
        build_model(str(tmp_path / "model.bin"), load_corpus(tiny_competition))


def test_saved_net_loads_back_identically(tiny_competition: Path, tmp_path: Path) -> None:
    net, _ = build_model("tiny", load_corpus(tiny_competition), size=SMALL, max_len=32)
    save_net(net, tmp_path / "m")
    again = load_net(tmp_path / "m")
    assert again.config == net.config
    for (name, a), (_, b) in zip(net.state_dict().items(), again.state_dict().items(), strict=True):
        assert torch.equal(a, b), name


def test_layer_wise_learning_rates(tiny_competition: Path) -> None:
    assert layer_depth("encoder.embeddings.word_embeddings.weight", 2) == 0
    assert layer_depth("encoder.encoder.layer.1.output.dense.weight", 2) == 2
    assert layer_depth("heads.xnli.1.weight", 2) == 3
    net, _ = build_model("tiny", load_corpus(tiny_competition), size=SMALL, max_len=32)
    groups = param_groups(net, lr=1.0, decay=0.5, weight_decay=0.01)
    lrs = sorted({g["lr"] for g in groups})
    assert lrs == [0.125, 0.25, 0.5, 1.0]  # embeddings, layer 0, layer 1, heads
    count = sum(p.numel() for g in groups for p in g["params"])
    assert count == sum(p.numel() for p in net.parameters())
    assert all(g["weight_decay"] == 0.0 for g in groups if g["params"][0].ndim < 2)


def test_warm_up_then_linear_decay() -> None:
    assert schedule_factor(0.05, warmup=0.1) == pytest.approx(0.5)
    assert schedule_factor(0.1, warmup=0.1) == pytest.approx(1.0)
    assert schedule_factor(0.55, warmup=0.1) == pytest.approx(0.5)
    assert schedule_factor(1.0, warmup=0.1) == 0.0
    assert schedule_factor(1.7, warmup=0.1) == 0.0
