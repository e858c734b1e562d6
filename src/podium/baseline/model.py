"""Building the multi-task model: `tiny` (a small BERT learnt from scratch) or a named encoder.

`tiny` needs nothing but the competition's data: a WordPiece vocabulary is learnt from the
training text and a small BERT (bert.py, transformers' BertModel in torch alone) starts
from random weights, so the kit works on CPU and offline. Any other name goes through
transformers' AutoModel (a hub name or a local folder written by save_pretrained); when it
cannot be loaded the error says so and what to use.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from podium.core.errors import PodiumError
from podium.tasks import Task

from .encoding import Specials
from .network import (
    DEFAULT_PAIR_INPUTS,
    MultiTaskNet,
    NetConfig,
    TaskInfo,
    position_offset,
)
from .tokenizer import (
    not_loadable,
    offline,
    pretrained_tokenizer,
    train_wordpiece,
    wordpiece_specials,
)

if TYPE_CHECKING:
    from tokenizers import Tokenizer
    from torch import nn

    from .corpus import Corpus

TINY = "tiny"


@dataclass(frozen=True)
class TinySize:
    """Shape of the `tiny` encoder and its vocabulary."""

    layers: int = 4
    hidden: int = 128
    heads: int = 2
    intermediate: int = 512
    vocab: int = 8000


def task_infos(tasks: tuple[Task, ...]) -> tuple[TaskInfo, ...]:
    return tuple(TaskInfo(t.id, t.kind.value, t.labels) for t in tasks)


def tiny_encoder(size: TinySize, vocab: int, max_len: int, pad: int) -> nn.Module:
    """A small BERT with random weights, in torch alone (bert.py: no transformers import)."""
    from .bert import TorchBert, tiny_settings

    shape = (size.hidden, size.layers, size.heads, size.intermediate)
    return TorchBert(tiny_settings(vocab, *shape, max_len, pad))


def pretrained_encoder(name: str) -> nn.Module:
    """A hub or local encoder; a plain BERT on bert.py, as its packaged predictions run."""
    from transformers import AutoModel

    from .bert import from_transformers

    try:
        loaded = AutoModel.from_pretrained(name, local_files_only=offline())
    except (OSError, ValueError) as err:
        raise not_loadable(name, "weights", err) from None
    return from_transformers(cast("nn.Module", loaded))


def build_model(
    encoder: str,
    corpus: Corpus,
    *,
    size: TinySize | None = None,
    max_len: int = 128,
    overlap: int = 32,
    dropout: float = 0.1,
    pair_inputs: tuple[str, ...] = DEFAULT_PAIR_INPUTS,
) -> tuple[MultiTaskNet, Tokenizer]:
    """The network (encoder + one head per task of the corpus) and its tokenizer."""
    infos = task_infos(corpus.tasks)
    if encoder == TINY:
        size = size or TinySize()
        tokenizer = train_wordpiece(corpus.texts(), size.vocab)
        specials = wordpiece_specials(tokenizer)
        module = tiny_encoder(size, tokenizer.get_vocab_size(), max_len, specials.pad)
        config = NetConfig(infos, specials, TINY, max_len, overlap, True, 0, dropout, pair_inputs)
        return MultiTaskNet(module, config), tokenizer
    if Path(encoder).exists() and not Path(encoder).is_dir():
        raise PodiumError(
            "an encoder path must be a folder written by save_pretrained",
            where=encoder,
            hint="or use --encoder tiny",
        )
    tokenizer, specials = pretrained_tokenizer(encoder)
    module = pretrained_encoder(encoder)
    cfg: Any = cast(Any, module).config
    limit = int(getattr(cfg, "max_position_embeddings", max_len))
    offset = position_offset(str(getattr(cfg, "model_type", "")), getattr(cfg, "pad_token_id", 0))
    config = NetConfig(
        infos,
        specials,
        encoder,
        min(max_len, limit - offset),
        overlap,
        int(getattr(cfg, "type_vocab_size", 1)) > 1,
        offset,
        dropout,
        pair_inputs,
    )
    return MultiTaskNet(module, config), tokenizer


__all__ = ["TINY", "Specials", "TinySize", "build_model"]
