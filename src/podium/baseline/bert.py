"""A BERT encoder in plain torch, with transformers' BertModel weights and config.json.

Importing transformers' BertModel costs 2.8 s of CPU before a single prediction, and the
test phase is the efficiency figure: the baseline's every run (and every training) paid it.
This module is the same network (same parameter names, same arithmetic: see
tests/baseline/test_bert.py, which compares the two on the same weights), for the
configurations it covers; any other encoder goes through transformers. Runtime module:
torch only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import torch
from torch import nn
from torch.nn import functional as F

CONFIG_JSON = "config.json"
# What a config.json may say for this module to be the same network as BertModel.
_SAME = {
    "model_type": "bert",
    "hidden_act": "gelu",
    "position_embedding_type": "absolute",
    "is_decoder": False,
    "add_cross_attention": False,
    "chunk_size_feed_forward": 0,
}
_DEFAULTS = {
    "type_vocab_size": 2,
    "layer_norm_eps": 1e-12,
    "hidden_dropout_prob": 0.1,
    "attention_probs_dropout_prob": 0.1,
    "initializer_range": 0.02,
    "pad_token_id": 0,
}


@dataclass(frozen=True)
class BertSettings:
    """The config.json of a BERT encoder (transformers' names), as a value."""

    raw: dict[str, Any]

    @property
    def hidden_size(self) -> int:
        return int(self.raw["hidden_size"])

    def get(self, key: str) -> Any:
        return self.raw.get(key, _DEFAULTS.get(key))

    def __getattr__(self, key: str) -> Any:
        """Read like transformers' config (`config.num_hidden_layers`), as callers do."""
        raw = self.__dict__.get("raw")
        if raw is None or key.startswith("__") or (key not in raw and key not in _DEFAULTS):
            raise AttributeError(key)
        return self.get(key)

    def to_json_string(self) -> str:
        return json.dumps(self.raw, indent=2, sort_keys=True) + "\n"

    def save_pretrained(self, folder: str | Path) -> None:
        """Write config.json where transformers' save_pretrained would (AutoConfig reads it)."""
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / CONFIG_JSON).write_text(self.to_json_string(), encoding="utf-8")


def tiny_settings(
    vocab: int, hidden: int, layers: int, heads: int, intermediate: int, max_len: int, pad: int
) -> BertSettings:
    """A config.json for an encoder learnt from scratch (BertConfig's defaults otherwise)."""
    return BertSettings(
        {
            **_SAME,
            **_DEFAULTS,
            "architectures": ["BertModel"],
            "vocab_size": vocab,
            "hidden_size": hidden,
            "num_hidden_layers": layers,
            "num_attention_heads": heads,
            "intermediate_size": intermediate,
            "max_position_embeddings": max_len,
            "pad_token_id": pad,
        }
    )


def covered(raw: dict[str, Any]) -> bool:
    """Whether this module computes what transformers' BertModel would for this config."""
    return all(raw.get(key, value) == value for key, value in _SAME.items())


class Output:
    """What the caller reads of BertModel's output."""

    def __init__(self, last_hidden_state: torch.Tensor) -> None:
        self.last_hidden_state = last_hidden_state


class _Embeddings(nn.Module):
    def __init__(self, s: BertSettings) -> None:
        super().__init__()
        hidden = s.hidden_size
        self.word_embeddings = nn.Embedding(s.get("vocab_size"), hidden, s.get("pad_token_id"))
        self.position_embeddings = nn.Embedding(s.get("max_position_embeddings"), hidden)
        self.token_type_embeddings = nn.Embedding(s.get("type_vocab_size"), hidden)
        self.LayerNorm = nn.LayerNorm(hidden, eps=s.get("layer_norm_eps"))
        self.dropout = nn.Dropout(s.get("hidden_dropout_prob"))

    def forward(self, ids: torch.Tensor, types: torch.Tensor, positions: torch.Tensor) -> Any:
        summed = (
            self.word_embeddings(ids)
            + self.token_type_embeddings(types)
            + self.position_embeddings(positions)
        )
        return self.dropout(self.LayerNorm(summed))


class _Dense(nn.Module):
    """A projection added back to its input, then normalised (BertSelfOutput, BertOutput)."""

    def __init__(self, s: BertSettings, width: int) -> None:
        super().__init__()
        self.dense = nn.Linear(width, s.hidden_size)
        self.LayerNorm = nn.LayerNorm(s.hidden_size, eps=s.get("layer_norm_eps"))
        self.dropout = nn.Dropout(s.get("hidden_dropout_prob"))

    def forward(self, states: torch.Tensor, residual: torch.Tensor) -> Any:
        return self.LayerNorm(self.dropout(self.dense(states)) + residual)


class _SelfAttention(nn.Module):
    def __init__(self, s: BertSettings) -> None:
        super().__init__()
        self.heads = int(s.get("num_attention_heads"))
        self.query = nn.Linear(s.hidden_size, s.hidden_size)
        self.key = nn.Linear(s.hidden_size, s.hidden_size)
        self.value = nn.Linear(s.hidden_size, s.hidden_size)
        self.dropout = float(s.get("attention_probs_dropout_prob"))

    def forward(self, states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        rows, width, _ = states.shape

        def split(x: torch.Tensor) -> torch.Tensor:
            return x.view(rows, width, self.heads, -1).transpose(1, 2)

        out = F.scaled_dot_product_attention(
            split(self.query(states)),
            split(self.key(states)),
            split(self.value(states)),
            attn_mask=mask,
            dropout_p=self.dropout if self.training else 0.0,
        )
        return out.transpose(1, 2).reshape(rows, width, -1)


class _Attention(nn.Module):
    def __init__(self, s: BertSettings) -> None:
        super().__init__()
        self.self = _SelfAttention(s)
        self.output = _Dense(s, s.hidden_size)


class _Intermediate(nn.Module):
    def __init__(self, s: BertSettings) -> None:
        super().__init__()
        self.dense = nn.Linear(s.hidden_size, s.get("intermediate_size"))


class _Layer(nn.Module):
    def __init__(self, s: BertSettings) -> None:
        super().__init__()
        self.attention = _Attention(s)
        self.intermediate = _Intermediate(s)
        self.output = _Dense(s, s.get("intermediate_size"))

    def forward(self, states: torch.Tensor, mask: torch.Tensor) -> Any:
        attended = self.attention.output(self.attention.self(states, mask), states)
        return self.output(F.gelu(self.intermediate.dense(attended)), attended)


class _Stack(nn.Module):
    def __init__(self, s: BertSettings) -> None:
        super().__init__()
        self.layer = nn.ModuleList(_Layer(s) for _ in range(int(s.get("num_hidden_layers"))))


class _Pooler(nn.Module):
    """Kept for the weights' names (BertModel has one); the baseline's heads never read it."""

    def __init__(self, s: BertSettings) -> None:
        super().__init__()
        self.dense = nn.Linear(s.hidden_size, s.hidden_size)


class TorchBert(nn.Module):
    """BertModel's encoder, parameter for parameter, for configs `covered` accepts."""

    def __init__(self, settings: BertSettings) -> None:
        super().__init__()
        if not covered(settings.raw):
            raise ValueError("this config is not a plain BERT encoder: load it with transformers")
        self.config = settings
        self.embeddings = _Embeddings(settings)
        self.encoder = _Stack(settings)
        self.pooler = _Pooler(settings)
        self.apply(self._init)

    def _init(self, module: nn.Module) -> None:
        """transformers' initialisation of a new BertModel (normal(0, 0.02), zero biases)."""
        std = float(self.config.get("initializer_range"))
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, 0.0, std)
            nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, 0.0, std)
            if module.padding_idx is not None:
                with torch.no_grad():
                    module.weight[module.padding_idx].zero_()
        elif isinstance(module, nn.LayerNorm):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
    ) -> Output:
        rows, width = input_ids.shape
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        if position_ids is None:
            position_ids = torch.arange(width, device=input_ids.device).expand(rows, -1)
        states = self.embeddings(input_ids, token_type_ids, position_ids)
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        mask = additive_mask(attention_mask, states.dtype)
        for layer in self.encoder.layer:
            states = layer(states, mask)
        return Output(states)


def additive_mask(attention_mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """What each query may read, added before softmax as BertModel adds it (a row that may
    read nothing still gets numbers, not NaN): a padding mask (rows, width) or a block mask
    (rows, width, width) or (rows, 1, width, width) of samples packed in one row."""
    if attention_mask.dim() == 2:
        attention_mask = attention_mask[:, None, None, :]
    elif attention_mask.dim() == 3:
        attention_mask = attention_mask[:, None]
    blocked = attention_mask == 0
    return torch.zeros(blocked.shape, dtype=dtype).masked_fill(blocked, torch.finfo(dtype).min)


def from_transformers(module: nn.Module) -> nn.Module:
    """A transformers encoder as TorchBert when it is a plain BERT (its weights copied), so
    that training, its dev scores and the packaged predictions run the same code; any other
    encoder as it is."""
    raw: dict[str, Any] = cast(Any, module).config.to_dict()  # a transformers config
    if not covered(raw):
        return module
    ours = TorchBert(BertSettings(raw))
    ours.load_state_dict(module.state_dict(), strict=True)
    return ours


def load_settings(folder: Path) -> dict[str, Any]:
    """The raw config.json of a saved encoder."""
    raw = json.loads((folder / CONFIG_JSON).read_text(encoding="utf-8"))
    if not isinstance(raw, dict):
        raise ValueError(f"{folder / CONFIG_JSON} is not a JSON object")
    return raw
