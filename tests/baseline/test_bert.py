"""bert.py is transformers' BertModel in torch alone: the same weights give the same states,
its weights and config.json load into transformers, and any other encoder is left to it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from podium.baseline.bert import (  # noqa: E402
    BertSettings,
    TorchBert,
    covered,
    from_transformers,
    load_settings,
    tiny_settings,
)
from podium.baseline.network import build_encoder_from_config  # noqa: E402

SHAPE = {"vocab": 97, "hidden": 32, "layers": 2, "heads": 4, "intermediate": 64, "max_len": 40}


def hf_bert(**extra: Any) -> Any:
    config = transformers.BertConfig(
        vocab_size=SHAPE["vocab"],
        hidden_size=SHAPE["hidden"],
        num_hidden_layers=SHAPE["layers"],
        num_attention_heads=SHAPE["heads"],
        intermediate_size=SHAPE["intermediate"],
        max_position_embeddings=SHAPE["max_len"],
        pad_token_id=0,
        **extra,
    )
    return transformers.AutoModel.from_config(config).eval()


def batch() -> dict[str, Any]:
    """Three rows of two texts each, padded to one width, positions restarting per window."""
    g = torch.Generator().manual_seed(7)
    ids = torch.randint(1, SHAPE["vocab"], (3, 12), generator=g)
    mask = torch.ones_like(ids)
    mask[1, 9:] = 0
    mask[2, 4:] = 0
    ids = ids * mask
    types = torch.zeros_like(ids)
    types[:, 6:] = 1
    positions = torch.arange(12).repeat(3, 1) + torch.tensor([[0], [3], [0]])
    return {
        "input_ids": ids,
        "attention_mask": mask,
        "token_type_ids": types,
        "position_ids": positions,
    }


def test_the_same_weights_give_the_same_states_as_transformers(tmp_path: Path) -> None:
    reference = hf_bert()
    reference.config.save_pretrained(str(tmp_path))
    ours = build_encoder_from_config(tmp_path)
    assert isinstance(ours, TorchBert)
    ours.load_state_dict(reference.state_dict(), strict=True)
    ours.eval()
    inputs = batch()
    with torch.no_grad():
        expected = reference(**inputs).last_hidden_state
        got = ours(**inputs).last_hidden_state
        # without types and positions, both number them the same way
        plain = {k: inputs[k] for k in ("input_ids", "attention_mask")}
        expected_plain = reference(**plain).last_hidden_state
        got_plain = ours(**plain).last_hidden_state
    real = inputs["attention_mask"].bool()
    assert torch.allclose(got[real], expected[real], atol=1e-5)
    assert torch.allclose(got_plain[real], expected_plain[real], atol=1e-5)
    assert not torch.allclose(got[real], got_plain[real], atol=1e-3)  # the inputs mattered


def test_samples_packed_in_a_row_read_only_themselves_as_in_transformers(tmp_path: Path) -> None:
    """The block mask of batching.collate: two samples in row 0 never read each other."""
    reference = hf_bert()
    reference.config.save_pretrained(str(tmp_path))
    ours = build_encoder_from_config(tmp_path)
    ours.load_state_dict(reference.state_dict(), strict=True)
    ours.eval()
    inputs = batch()
    segment = torch.tensor([[1] * 5 + [2] * 7, [1] * 9 + [0] * 3, [1] * 4 + [0] * 8])
    block = (segment[:, :, None] == segment[:, None, :]) & (segment[:, None, :] > 0)
    block = (block | torch.eye(12, dtype=torch.bool)[None])[:, None]
    inputs["attention_mask"] = block
    with torch.no_grad():
        expected = reference(**inputs).last_hidden_state
        got = ours(**inputs).last_hidden_state
        first = {k: v[:, :5] for k, v in inputs.items() if k != "attention_mask"}
        alone = ours(**first, attention_mask=torch.ones(3, 5)).last_hidden_state
    real = segment > 0
    assert torch.allclose(got[real], expected[real], atol=1e-5)
    assert torch.allclose(got[0, :5], alone[0], atol=1e-5)  # the second sample is unseen


def test_a_pretrained_plain_bert_becomes_the_same_network_here() -> None:
    """Training a hub BERT runs on the module its packaged predictions run on."""
    reference = hf_bert()
    ours = from_transformers(reference)
    assert isinstance(ours, TorchBert) and ours.config.hidden_size == SHAPE["hidden"]
    ours.eval()
    with torch.no_grad():
        inputs = batch()
        real = inputs["attention_mask"].bool()
        expected = reference(**inputs).last_hidden_state[real]
        assert torch.allclose(ours(**inputs).last_hidden_state[real], expected, atol=1e-5)


def test_a_new_tiny_encoder_is_a_transformers_bert_folder(tmp_path: Path) -> None:
    settings = tiny_settings(
        SHAPE["vocab"], SHAPE["hidden"], SHAPE["layers"], SHAPE["heads"],
        SHAPE["intermediate"], SHAPE["max_len"], 0,
    )  # fmt: skip
    ours = TorchBert(settings)
    settings.save_pretrained(tmp_path)
    config = transformers.AutoConfig.from_pretrained(str(tmp_path))
    assert isinstance(config, transformers.BertConfig) and config.hidden_size == SHAPE["hidden"]
    reference = transformers.AutoModel.from_config(config)
    reference.load_state_dict(ours.state_dict(), strict=True)  # every name and shape alike
    # initialised as transformers initialises: normal(0, 0.02), the padding row zero
    words = ours.embeddings.word_embeddings.weight.detach()
    assert words[0].abs().sum() == 0 and 0.015 < float(words[1:].std()) < 0.025
    assert float(ours.encoder.layer[0].attention.self.query.bias.detach().abs().sum()) == 0


def test_another_encoder_is_left_to_transformers(tmp_path: Path) -> None:
    other = hf_bert(hidden_act="relu")
    other.config.save_pretrained(str(tmp_path))
    assert not covered(load_settings(tmp_path))
    built = build_encoder_from_config(tmp_path)
    assert not isinstance(built, TorchBert)
    assert type(built).__name__ == "BertModel"
    assert from_transformers(other) is other  # a pretrained one too stays transformers'
    with pytest.raises(ValueError, match="transformers"):
        TorchBert(BertSettings(load_settings(tmp_path)))
