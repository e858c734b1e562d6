"""Tokenizers: a WordPiece vocabulary learnt from the competition's text, or an encoder's
own; and tokenisation of whole datasets in parallel worker processes.

Everything downstream works on a `tokenizers.Tokenizer` (the fast tokenizer's engine), which
packaging saves as tokenizer.json: the submission needs no transformers tokenizer classes.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import TYPE_CHECKING, Any

from podium.core.errors import PodiumError
from podium.data.examples import Example, PairExample, TaggedExample

from .encoding import Specials, encode_pair_texts, encode_words

if TYPE_CHECKING:
    from tokenizers import Tokenizer

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
# Pieces of one item: (ids of text_a, ids of text_b) for pairs, ids per word for tagging.
Encoded = tuple[list[int], list[int]] | list[list[int]]


def train_wordpiece(texts: Iterable[str], vocab_size: int) -> Tokenizer:
    """A BERT-style WordPiece tokenizer learnt from `texts` (multilingual, keeps accents).

    CJK characters are split one per token (as mBERT does), so Chinese and Japanese words
    need no segmenter.
    """
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]", max_input_chars_per_word=100))
    tokenizer.normalizer = normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=True, strip_accents=False, lowercase=False
    )
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.decoder = decoders.WordPiece()
    trainer = trainers.WordPieceTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=list(SPECIAL_TOKENS),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer=trainer)
    return tokenizer


def wordpiece_specials(tokenizer: Tokenizer) -> Specials:
    ids = [tokenizer.token_to_id(t) for t in ("[CLS]", "[SEP]", "[PAD]", "[UNK]")]
    if any(i is None for i in ids):
        raise ValueError("the tokenizer lacks [CLS], [SEP], [PAD] or [UNK]")
    cls, sep, pad, unk = (int(i) for i in ids if i is not None)
    return Specials(cls=cls, sep=sep, pad=pad, unk=unk)


def pretrained_tokenizer(name: str) -> tuple[Tokenizer, Specials]:
    """The fast tokenizer of a named or local encoder, and its special token ids."""
    from transformers import AutoTokenizer

    try:
        auto = AutoTokenizer.from_pretrained(name, local_files_only=offline())
    except (OSError, ValueError) as err:
        raise not_loadable(name, "tokenizer", err) from None
    if not getattr(auto, "is_fast", False):
        raise PodiumError(
            f"the tokenizer of {name!r} has no fast (Rust) version",
            hint="pick an encoder with a tokenizer.json, or use --encoder tiny",
        )
    ids = [
        auto.cls_token_id if auto.cls_token_id is not None else auto.bos_token_id,
        auto.sep_token_id if auto.sep_token_id is not None else auto.eos_token_id,
        auto.pad_token_id,
        auto.unk_token_id,
    ]
    if any(i is None for i in ids):
        raise PodiumError(
            f"the tokenizer of {name!r} lacks a cls/bos, sep/eos, pad or unk token",
            hint="use an encoder-style model (BERT, XLM-R, ...) or --encoder tiny",
        )
    cls, sep, pad, unk = (int(i) for i in ids)
    return auto.backend_tokenizer, Specials(cls=cls, sep=sep, pad=pad, unk=unk)


def offline() -> bool:
    """HF_HUB_OFFLINE as set now (huggingface_hub reads it only once, at import)."""
    return os.environ.get("HF_HUB_OFFLINE", "") not in ("", "0")


def not_loadable(name: str, what: str, err: Exception) -> PodiumError:
    """The error for an encoder that is neither a local folder nor reachable on the hub."""
    reason = "offline (HF_HUB_OFFLINE is set)" if offline() else "offline or unknown name"
    return PodiumError(
        f"the {what} of encoder {name!r} could not be loaded: {reason}",
        where=name,
        hint="use --encoder tiny (trained here from scratch) or a local folder written by "
        f"save_pretrained; detail: {str(err).splitlines()[0][:200] if str(err) else type(err).__name__}",
    )


# --- parallel tokenisation -------------------------------------------------------------

_WORKER: dict[str, Any] = {}


def _init_worker(tokenizer_json: str, unk: int) -> None:
    from tokenizers import Tokenizer

    _WORKER["tokenizer"] = Tokenizer.from_str(tokenizer_json)
    _WORKER["unk"] = unk


def _encode_chunk(items: Sequence[Example]) -> list[Encoded]:
    return encode_all(_WORKER["tokenizer"], items, _WORKER["unk"])


def encode_all(tokenizer: Tokenizer, items: Sequence[Example], unk: int) -> list[Encoded]:
    """Subword pieces of every example, in this process."""
    out: list[Encoded] = []
    for ex in items:
        if isinstance(ex, PairExample):
            out.append(encode_pair_texts(tokenizer, ex.text_a, ex.text_b))
        elif isinstance(ex, TaggedExample):
            out.append(encode_words(tokenizer, ex.tokens, unk))
        else:  # the kit knows the XTREME tasks only
            raise TypeError(f"the baseline kit cannot encode a {type(ex).__name__}")
    return out


def encode_parallel(
    tokenizer: Tokenizer, items: Sequence[Example], unk: int, workers: int, chunk: int = 512
) -> list[Encoded]:
    """Subword pieces of every example, spread over `workers` processes (1: this process).

    Each worker rebuilds the tokenizer once from its JSON and takes chunks of examples, so
    the per-item cost is the tokenizer's own, not the pickling of a tokenizer per call.
    """
    if workers <= 1 or len(items) <= chunk:
        return encode_all(tokenizer, items, unk)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    parts = [items[i : i + chunk] for i in range(0, len(items), chunk)]
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=get_context("fork"),
        initializer=_init_worker,
        initargs=(tokenizer.to_str(), unk),
    ) as pool:
        out: list[Encoded] = []
        for encoded in pool.map(_encode_chunk, parts):
            out.extend(encoded)
    return out
