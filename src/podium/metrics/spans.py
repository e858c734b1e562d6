"""seqeval-compatible entity-span F1 and token accuracy, for tagging tasks.

Both are percentages (0..100). ``span_f1`` equals
``100 * seqeval.metrics.f1_score(gold, pred)`` in seqeval's default (conlleval-like, not
strict) mode, because XTREME reports PAN-X *and* UD-POS with it and teams compare our numbers
with published ones. It is vectorised with numpy, over 20x faster than seqeval (see
benchmarks/bench_metrics.py), so it re-implements seqeval 1.2.2's chunking, quirks included:

* Sentences are concatenated into one sequence with an ``"O"`` after each sentence; chunks
  are (type, start, end) positions in that sequence.
* Every tag is split as ``prefix = tag[0]`` and ``type = tag[1:].split("-", 1)[-1] or "_"``,
  whether or not it looks like IOB. So ``B-PER`` is (B, PER) and ``O`` is (O, _), but UPOS
  ``NOUN`` is (N, OUN), ``PROPN`` is (P, ROPN), ``INTJ`` is an *inside* tag (I, NTJ),
  ``SCONJ`` and ``SYM`` are *single* tags (S, CONJ) and (S, YM), and ``X`` is (X, _): the
  same type as ``O``. A tag with a "-" after its first character, e.g. ``NOUN-x``, takes the
  part after that "-" as its type; ``B-_`` has the type of ``O``.
* Prefixes other than B/I/E/S/O/"." all behave alike: a chunk starts when the type changes and
  ends before a token of another type. Hence runs of one UPOS tag (``NOUN NOUN``) merge into
  one chunk, ``PRON PROPN`` are two chunks (same "P" prefix, other type), every ``SCONJ`` and
  ``SYM`` is a chunk of its own, and ``CCONJ`` and ``SCONJ`` share the type "CONJ".
* ``I-``/``E-`` after ``O`` start a chunk (conlleval-style); E-/S- end one; B-/I- followed by
  another type end one and start the next. A tag starting with "." never starts or ends one.
* Start and end are decided independently, and an end reports the chunk from the *last start*
  (0 if none). ``X`` after an ``O``-typed token - in particular at the start of any sentence
  but the first - starts no chunk; when its run ends at a typed tag, seqeval reports a chunk
  reaching back to the previous start, possibly in an earlier sentence (or to position 0).
  A run of ``X`` followed by ``O`` is never reported at all (same type, no B/I/E/S prefix).
* Chunks match when (type, start, end) are equal; micro P/R/F1 over all types; any zero
  division gives 0.
* Where seqeval fails, we differ: zero sentences score 0 (seqeval raises TypeError), an empty
  tag raises ValueError (seqeval: IndexError), tuples work as sentences (seqeval wants lists),
  and a tag containing a line break is rejected.

How: per block of ~65k tokens, each side's tags are joined by ``str.join`` (C) into one UTF-8
buffer; newline positions give each tag's start and length; an unaligned 8-byte read at each
start gives the first byte (the prefix) and, shifted, the type as one integer (tags longer
than 8 bytes, non-ASCII first characters or inner "-" take a general path with several
words). seqeval's ``end_of_chunk``/``start_of_chunk`` then become boolean array algebra, and a
gold and a predicted chunk match when they end at the same position with the same begin and
type. Blocks keep arrays in cache and reuse memory; fresh memory would cost more than the work.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from itertools import chain
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from podium.metrics.scores import percent, reject_string

_LF, _DASH, _UNDERSCORE, _O_BYTE = ord("\n"), ord("-"), ord("_"), ord("O")
_PAD = 8  # zero bytes after the tag buffer, so that an 8-byte read never runs past it
_TAIL = "\0" * _PAD  # after the last sentence's "O" and newline
_BLOCK_TOKENS = 1 << 16  # tokens per block of work


# _LOW_BYTES[k] keeps the first k bytes of a little-endian 8-byte word (k = 0..8).
_LOW_BYTES = np.array([(1 << (8 * k)) - 1 for k in range(9)], dtype=np.uint64)
# Length of a UTF-8 character by its lead byte, to skip a non-ASCII first character.
_CHAR_LEN = np.ones(256, dtype=np.int64)
_CHAR_LEN[0xC0:], _CHAR_LEN[0xE0:], _CHAR_LEN[0xF0:] = 2, 3, 4


def _sentence_lengths(
    gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]
) -> npt.NDArray[np.int64]:
    """Token count per sentence, after checking that gold and pred have the same shape.

    Only the first sentence is checked for being a string (a flat tag list passed by mistake):
    checking them all would cost a tenth of ``span_f1``.
    """
    reject_string(gold, "gold")
    reject_string(pred, "pred")
    if len(gold) != len(pred):
        raise ValueError(f"gold has {len(gold)} sentences but pred has {len(pred)}")
    for what, seqs in (("gold", gold), ("pred", pred)):
        if seqs and isinstance(seqs[0], str):
            raise TypeError(f"{what} must hold sentences (sequences of tags), not strings")
    gold_lens = np.fromiter(map(len, gold), dtype=np.int64, count=len(gold))
    pred_lens = np.fromiter(map(len, pred), dtype=np.int64, count=len(pred))
    bad = np.flatnonzero(gold_lens != pred_lens)
    if bad.size:
        i = int(bad[0])
        raise ValueError(
            f"sentence {i}: gold has {gold_lens[i]} tokens but pred has {pred_lens[i]}"
        )
    return gold_lens


def token_accuracy(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> float:
    """Percentage of tokens tagged correctly over all sentences (UD-POS's secondary metric)."""
    lens = _sentence_lengths(gold, pred)
    correct = sum(map(operator.eq, chain.from_iterable(gold), chain.from_iterable(pred)))
    return percent(int(correct), int(lens.sum()))


class _Tags(NamedTuple):
    """A tag sequence (separators included) as arrays, one entry per token.

    ``lead`` is the first byte of each tag, which decides its prefix behaviour. Two tokens
    have the same type exactly when all their ``keys`` are equal (key arrays that one side
    lacks are zero for types that are equally long).
    """

    lead: npt.NDArray[np.uint8]
    keys: list[npt.NDArray[np.uint64]]


class _Buffer(NamedTuple):
    """One side's tags for a block of sentences, newline-separated in one UTF-8 buffer.

    Token 0 is an "O": seqeval's initial state in the first block, else the "O" that ended
    the previous block. Then come the sentences, each followed by seqeval's "O". An empty
    sentence leaves an empty token before its "O" (read as "O"; an "O" after an "O" changes
    nothing, which is also why seqeval's final extra "O" can be left out).
    """

    raw: bytes  # the buffer plus _PAD zero bytes
    buf: npt.NDArray[np.uint8]  # the buffer without the padding
    start: npt.NDArray[np.int64]  # where each token's tag starts in buf, then len(buf)
    length: npt.NDArray[np.integer[Any]]  # each tag's length in bytes (uint8 unless longer)
    scratch: npt.NDArray[np.bool_]  # as long as buf, free for reuse


def _buffer(sentences: Sequence[Sequence[str]], size: int, n_empty: int) -> _Buffer:
    """Join the tags into one buffer: the only pass over tokens, and ``str.join`` runs in C."""
    raw = "\nO\n".join(chain(("",), map("\n".join, sentences), (_TAIL,))).encode(
        "utf-8", "surrogatepass"
    )
    buf = np.frombuffer(raw, dtype=np.uint8)[:-_PAD]
    is_lf = buf == _LF
    start = np.flatnonzero(is_lf)  # the newline before every token, and after the last one
    if start.size != size + 1:
        raise ValueError("a tag contains a line break")
    # Small arrays are cheaper: fresh memory is a large part of the cost here.
    length: npt.NDArray[np.integer[Any]] = np.empty(size, dtype=np.uint8)
    np.subtract(start[1:], start[:-1], out=length, casting="unsafe")
    length -= 1
    if length.sum(dtype=np.int64) != buf.size - 1 - size:  # a tag of 256 bytes or more
        length = np.diff(start) - 1
    if np.count_nonzero(length == 0) != n_empty:
        raise ValueError("empty tag string (seqeval cannot read one either)")
    start += 1
    return _Buffer(raw, buf, start, length, is_lf)


def _words_at(b: _Buffer) -> npt.NDArray[np.uint64]:
    """The little-endian 8-byte word starting at each byte (unaligned; a view, no copy)."""
    return np.ndarray((b.buf.size + 1,), dtype="<u8", buffer=b.raw, strides=(1,))


def _encode_short(b: _Buffer, empty: npt.NDArray[np.intp]) -> _Tags | None:
    """Fast path: one 8-byte read per tag, when every tag fits (None when one does not).

    Applies to tags of at most 8 bytes, with an ASCII first character, no NUL byte and no "-"
    beyond the second character: PAN-X and UD-POS tags. The type is the tag shifted past its
    first character and an optional "-"; without NULs, equal words mean equal types.
    """
    if b.length.max() > 8 or b.buf.min() == 0:
        return None
    word = _words_at(b).take(b.start[:-1])
    as_bytes = word.view(np.uint8)
    lead = as_bytes[::8].copy()
    if lead.max() >= 0x80:
        return None
    dash = as_bytes[1::8] == _DASH  # (an empty token is followed by a separator, not "-")
    n_dashes = np.count_nonzero(np.equal(b.buf, _DASH, out=b.scratch))
    if n_dashes != np.count_nonzero(dash) + np.count_nonzero(lead == _DASH):
        return None
    # Shift the bytes after the tag out to the left, then back right past the first character
    # and any "-" after it (shifts by 64 or more give 0, as for an empty token).
    left = np.subtract(8, b.length, out=b.length)  # uint8, and no longer needed
    left <<= 3
    right = dash.view(np.uint8) << 3
    right += left
    right += 8
    word <<= left
    word >>= right
    word[word == _UNDERSCORE] = 0  # seqeval reads no type as "_"
    lead[empty] = _O_BYTE
    return _Tags(lead, [word])


def _encode_any(b: _Buffer, empty: npt.NDArray[np.intp]) -> _Tags:
    """General path: any tag, typed by its byte length and its bytes in 8-byte words."""
    start = b.start[:-1]
    lead = b.buf.take(start)
    lead[empty] = _O_BYTE
    type_start = start + _CHAR_LEN.take(lead)
    type_len = b.length - _CHAR_LEN.take(lead)
    type_len[empty] = 0
    # type = tag[1:].split("-", maxsplit=1)[-1]: after the first "-" past the first character.
    dashes = np.flatnonzero(b.buf == _DASH)
    token = np.searchsorted(start, dashes, side="right") - 1
    inside = dashes >= type_start[token]
    dashes, token = dashes[inside], token[inside]
    first = np.ones(token.size, dtype=bool)
    first[1:] = token[1:] != token[:-1]
    dashes, token = dashes[first], token[first]
    type_len[token] -= dashes + 1 - type_start[token]
    type_start[token] = dashes + 1
    words_at = _words_at(b)
    words = [
        words_at.take(np.minimum(type_start + 8 * j, b.buf.size))
        & _LOW_BYTES.take(np.clip(type_len - 8 * j, 0, 8))
        for j in range(max(1, -(-int(type_len.max()) // 8)))
    ]
    underscore = np.flatnonzero((type_len == 1) & (words[0] == _UNDERSCORE))
    type_len[underscore] = 0  # seqeval reads no type as "_"
    words[0][underscore] = 0
    return _Tags(lead, [type_len.astype(np.uint64), *words])


def _same_type(
    a: _Tags, b: _Tags, ia: npt.NDArray[np.intp] | slice, ib: npt.NDArray[np.intp] | slice
) -> npt.NDArray[np.bool_]:
    """Whether the types of tokens ``a[ia]`` and ``b[ib]`` are equal, pairwise."""
    same: npt.NDArray[np.bool_] = a.keys[0][ia] == b.keys[0][ib]
    for ka, kb in zip(a.keys[1:], b.keys[1:], strict=False):
        same &= ka[ia] == kb[ib]
    return same


class _Chunks(NamedTuple):
    """seqeval's chunks in a block: one ends just before each True in ``ends`` (at most one per
    position) and begins at the last of ``starts`` before that (or of an earlier block)."""

    ends: npt.NDArray[np.bool_]
    starts: npt.NDArray[np.intp]


def _chunks(tags: _Tags) -> _Chunks:
    """seqeval's ``get_entities`` loop, as array operations over one block.

    ``end_of_chunk``/``start_of_chunk`` only look at prefixes B, I, E, S, O and "." (any other
    first character behaves alike) and at whether the type changed.
    """
    lead = tags.lead
    is_o, is_b, is_i, is_e, is_s, is_dot = (lead == c for c in b"OBIES.")
    is_es = is_e | is_s
    is_bs = is_b | is_s
    typed = ~(is_o | is_dot)
    # (seqeval's first "previous type" is "", not the "_" of token 0; that changes whether the
    # first tag starts a chunk, but a start there and no start both mean a begin of 0.)
    changed = ~_same_type(tags, tags, slice(1, None), slice(None, -1))
    # Position k > 0 against k - 1; token 0 is an "O" already seen: no end, no start.
    ends = np.zeros(lead.size, dtype=bool)
    ends[1:] = (is_b | is_i)[:-1] & (is_bs | is_o)[1:]
    ends[1:] |= is_es[:-1]
    ends[1:] |= typed[:-1] & changed
    starts = np.zeros(lead.size, dtype=bool)
    starts[1:] = (is_es | is_o)[:-1] & (is_e | is_i)[1:]
    starts[1:] |= is_bs[1:]
    starts[1:] |= typed[1:] & changed
    return _Chunks(ends, np.flatnonzero(starts))


def _begins(
    starts: npt.NDArray[np.intp], at: npt.NDArray[np.intp], before: int
) -> npt.NDArray[np.intp]:
    """seqeval's ``begin_offset`` at positions ``at``: the last start before each, else
    ``before`` (the last start in earlier blocks)."""
    with_default = np.concatenate((np.array([before], dtype=np.intp), starts))
    return with_default[np.searchsorted(starts, at)]


def _encode_block(
    gold: Sequence[Sequence[str]],
    pred: Sequence[Sequence[str]],
    size: int,
    empty: npt.NDArray[np.intp],
) -> tuple[_Tags, _Tags]:
    """Both sides' tags for one block, in the same representation so that types compare."""
    gold_tags = _encode_short(_buffer(gold, size, empty.size), empty)
    if gold_tags is not None:
        pred_tags = _encode_short(_buffer(pred, size, empty.size), empty)
        if pred_tags is not None:
            return gold_tags, pred_tags
    return (
        _encode_any(_buffer(gold, size, empty.size), empty),
        _encode_any(_buffer(pred, size, empty.size), empty),
    )


def span_counts(
    gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]
) -> tuple[int, int, int]:
    """(correct, predicted, gold) chunk counts exactly as seqeval finds them.

    Exposed so that precision and recall can be reported or checked, not only F1.
    """
    lens = _sentence_lengths(gold, pred)
    if not lens.size:
        return 0, 0, 0
    # Token 0 is seqeval's initial "O"; then sentence s takes its tokens (an empty one: one
    # empty token) and an "O". Work goes in blocks of whole sentences: small arrays stay in
    # cache and reuse memory, where fresh memory (page faults) would cost more than the work.
    is_empty = lens == 0
    width = lens + 1 + is_empty
    end = np.cumsum(width)
    cuts = np.searchsorted(end, np.arange(_BLOCK_TOKENS, int(end[-1]), _BLOCK_TOKENS)) + 1
    bounds = np.unique(np.concatenate(([0], np.minimum(cuts, lens.size), [lens.size])))
    n_correct = n_pred = n_gold = 0
    # seqeval's begin_offset before any start is its position 0, our position 1.
    gold_last = pred_last = 1
    for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        # A block starts with the "O" that ends the previous one, at position `base`.
        base = int(end[lo - 1]) if lo else 0
        block_end = end[lo:hi] - base
        empty = (block_end - width[lo:hi] + 1)[is_empty[lo:hi]]
        g_tags, p_tags = _encode_block(gold[lo:hi], pred[lo:hi], int(block_end[-1]) + 1, empty)
        g, p = _chunks(g_tags), _chunks(p_tags)
        # Equal chunks end at the same place, with the same begin and type.
        at = np.flatnonzero(g.ends & p.ends)
        g_starts, p_starts = g.starts + base, p.starts + base
        same = _begins(g_starts, at + base, gold_last) == _begins(p_starts, at + base, pred_last)
        same &= _same_type(g_tags, p_tags, at - 1, at - 1)
        n_correct += int(np.count_nonzero(same))
        n_pred += int(np.count_nonzero(p.ends))
        n_gold += int(np.count_nonzero(g.ends))
        gold_last = int(g_starts[-1]) if g_starts.size else gold_last
        pred_last = int(p_starts[-1]) if p_starts.size else pred_last
    return n_correct, n_pred, n_gold


def span_f1(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> float:
    """Entity-level micro F1 (0..100) equal to seqeval's default ``f1_score`` (PAN-X, UD-POS)."""
    correct, n_pred, n_gold = span_counts(gold, pred)
    # The same operations in the same order as seqeval, so that results agree to the last bit.
    precision = correct / n_pred if n_pred else 0.0
    recall = correct / n_gold if n_gold else 0.0
    denom = precision + recall
    return 100.0 * (2 * precision * recall / denom if denom else 0.0)
