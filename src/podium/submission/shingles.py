"""Text as word n-gram hashes, the same for sealed inputs and for whatever an archive holds.

Normalisation makes a copy found however it was written: case folded, JSON's escapes undone,
punctuation and spacing ignored (`"tokens": ["A", "b"]` reads as `a b`), and the characters
of scripts written without spaces (CJK, kana, Thai) taken one by one. A word's hash is a
position-weighted sum of its bytes (text) or its CRC-32 (code tokens), mixed to 64 bits and
combined over the n-gram: stable across processes (an index may be kept on disk) and
computed a chunk at a time with numpy.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from functools import cache

import numpy as np
import numpy.typing as npt

NGRAM = 6  # words per shingle: long enough that natural sentences rarely share one
_UNSPACED = "\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WORD = re.compile(f"[{_UNSPACED}]|[^\\W_{_UNSPACED}]+")
_ESCAPE = re.compile(rb"(?:\\u[0-9a-fA-F]{4})+")
_SPACING = re.compile(rb"\\[nrtbf]")
_MULT = np.uint64(0x9E3779B97F4A7C15)

Hashes = npt.NDArray[np.uint64]


def words(text: str) -> list[str]:
    """The tokens of a text, by a regular expression (for source code: short files)."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def normalised(chunk: bytes) -> bytes:
    """A chunk of a file as UTF-8 the word splitter reads: JSON escapes undone, case folded
    (ASCII chunks, the common case, only lowered). Not NFKC: it would cost more than all the
    rest of the scan, and a copy is rarely re-normalised (compatibility characters, such as
    full-width digits, count as themselves on both sides)."""
    if b"\\" in chunk:
        chunk = _ESCAPE.sub(_unescape, _SPACING.sub(b" ", chunk))
    if chunk.isascii():
        return chunk.lower()
    return chunk.decode("utf-8", "replace").casefold().encode("utf-8", "replace")


def _unescape(match: re.Match[bytes]) -> bytes:
    units = match.group(0).decode("ascii")
    text = units.encode("ascii").decode("unicode_escape")
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace").encode("utf-8")


SPAN = 1 << 20  # bytes hashed at a time at most (`members.CHUNK`)


@cache
def _tables() -> tuple[npt.NDArray[np.bool_], Hashes, Hashes]:
    """Which bytes are in words, and the powers of 257 (and of its inverse mod 2^64) that
    weigh a byte by its position: a word's hash is then one sum, whatever its length."""
    inside = np.array([b >= 0x80 or chr(b).isalnum() for b in range(256)], dtype=np.bool_)
    one = np.ones(1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        powers = np.cumprod(np.full(SPAN - 1, 257, dtype=np.uint64))
        inverse = np.cumprod(np.full(SPAN - 1, pow(257, -1, 1 << 64), dtype=np.uint64))
    return inside, np.concatenate([one, powers]), np.concatenate([one, inverse])


def text_hashes(data: bytes) -> Hashes:
    """One 64-bit value per word of normalised UTF-8 (see `word_spans`)."""
    return word_spans(data)[0]


def word_spans(data: bytes) -> tuple[Hashes, npt.NDArray[np.intp]]:
    """One 64-bit value per word of normalised UTF-8 (at most `SPAN` bytes), and where each
    word starts, computed on the bytes with numpy (a regular expression over hundreds of megabytes is too slow for
    intake): words are runs of letters and digits; the characters of unspaced scripts (Thai
    and Lao, kana, CJK: 3-byte UTF-8 E0 B8-BB and leads E3-E9) are words each; general and CJK punctuation
    separate words."""
    a = np.frombuffer(data, dtype=np.uint8)[:SPAN]
    n = len(a)
    none = np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.intp)
    if n == 0:
        return none
    in_word, powers, inverse = _tables()
    inside = in_word[a]
    before = np.zeros(n, dtype=np.bool_)
    before[1:] = inside[:-1]
    begins = inside & ~before
    if not data.isascii():
        _unspaced(a, inside, begins)
    starts = np.flatnonzero(begins)
    if len(starts) == 0:
        return none
    with np.errstate(over="ignore"):
        values = a.astype(np.uint64) * powers[:n]
        values[~inside] = 0
        summed = np.add.reduceat(values, starts) * inverse[starts]
        return (summed ^ (summed >> np.uint64(29))) * _MULT + np.uint64(1), starts


def _unspaced(
    a: npt.NDArray[np.uint8], inside: npt.NDArray[np.bool_], begins: npt.NDArray[np.bool_]
) -> None:
    """Punctuation of 3 bytes out of words; each character of an unspaced script a word."""
    n = len(a)
    nbsp = np.flatnonzero((a[:-1] == 0xC2) & (a[1:] == 0xA0))  # a no-break space
    inside[nbsp] = inside[nbsp + 1] = False
    if n >= 3:  # U+2000-U+207F (E2 80|81 xx) and U+3000-U+303F (E3 80 xx)
        lead, second = a[:-2], a[1:-1]
        punct = np.flatnonzero(
            ((lead == 0xE2) & ((second == 0x80) | (second == 0x81)))
            | ((lead == 0xE3) & (second == 0x80))
        )
        for k in range(3):
            inside[punct + k] = False
    # Thai and Lao (E0 B8-BB) only: other scripts led by E0 (Devanagari, Bengali, ...)
    # are written with spaces, and their characters one by one make shingles of one word
    follow = np.zeros(n, dtype=np.uint8)
    follow[:-1] = a[1:]
    thai = (a == 0xE0) & (follow >= 0xB8) & (follow <= 0xBB)
    single = inside & (thai | ((a >= 0xE3) & (a <= 0xE9)))
    after_single = np.zeros(n, dtype=np.bool_)
    after_single[3:] = single[:-3]
    before = np.zeros(n, dtype=np.bool_)
    before[1:] = inside[:-1]
    begins[:] = inside & (~before | single | after_single)


def word_hashes(items: list[str]) -> Hashes:
    """One 64-bit value per word."""
    crcs = map(zlib.crc32, map(str.encode, items))
    return np.fromiter(crcs, dtype=np.uint64, count=len(items)) * _MULT + np.uint64(1)


def gram_hashes(values: Hashes, n: int = NGRAM) -> Hashes:
    """The hash of every run of `n` consecutive words (none when there are fewer)."""
    count = len(values) - n + 1
    if count <= 0:
        return np.zeros(0, dtype=np.uint64)
    out = values[:count].copy()
    with np.errstate(over="ignore"):
        for i in range(1, n):
            out = (out * _MULT) ^ values[i : i + count]
    return out
