"""Text as word n-gram hashes, the same for sealed inputs and for whatever an archive holds.

Normalisation makes a copy found however it was written: Unicode NFKC, case folded, JSON's
escapes undone, punctuation and spacing ignored (`"tokens": ["A", "b"]` reads as
`a b`), and the characters of scripts written without spaces (CJK, kana, Thai) taken one by
one. Hashes are CRC-32 of each word combined over the n-gram in 64 bits: stable across
processes (an index may be kept on disk) and computed a chunk at a time with numpy.
"""

from __future__ import annotations

import re
import unicodedata
import zlib

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
    """The words of a text as the index and the scan both see them."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def decoded(chunk: bytes) -> str:
    """A chunk of a file as text: UTF-8 (damage replaced), JSON escapes undone."""
    if b"\\" in chunk:
        chunk = _ESCAPE.sub(_unescape, _SPACING.sub(b" ", chunk))
    return chunk.decode("utf-8", "replace")


def _unescape(match: re.Match[bytes]) -> bytes:
    units = match.group(0).decode("ascii")
    text = units.encode("ascii").decode("unicode_escape")
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace").encode("utf-8")


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
