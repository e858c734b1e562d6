"""Sealed text in an archive: which sealed inputs a submission carries a copy of.

A team may have the public test set a competition reuses; a table from its texts to their
labels is a cheat the canaries catch at run time, and its texts are visible in the archive
before anything runs. The index keeps, for each sealed text (a pair's texts, a sentence's
tokens, a declared task's strings), its few smallest shingle hashes (a bottom-k MinHash
sketch): bounded memory whatever the size of the sealed set. The scan streams the text in
the archive (`members.py`) through the same shingles; a sealed text counts as present when
most of its sketch is seen. Exact, normalised, partial and nested copies are all found. A
sealed text of fewer than `MIN_WORDS` words is not indexed: an honest model's vocabulary
holds such texts whole, so a copy of one proves nothing.
Past `FULL_BYTES` of text, a random quarter of the chunks is hashed: a table of many sealed
texts is still found (a quarter of them), and a large text archive costs a quarter.
"""

from __future__ import annotations

import json
import math
import random
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from podium.submission.members import ScanBudget, text_chunks
from podium.submission.shingles import (
    NGRAM,
    Hashes,
    gram_hashes,
    normalised,
    text_hashes,
    word_spans,
)

SKETCH = 4  # shingle hashes kept per sealed text
INDEX_FORMAT = 2  # bumped when the hashing changes: an index kept on disk is rebuilt
MAX_TEXTS = 2_000_000  # texts indexed at most (about 100 MB): beyond, one in every few
MIN_FOUND = 10  # an archive holding fewer sealed texts is never "many"
# a sealed text of fewer words (a CJK or Thai character counts as one) is not indexed: a
# model's vocabulary holds such texts whole (a one-token sentence, a name) and proves nothing
MIN_WORDS = 12
FULL_BYTES = 64 * 1024**2  # text hashed in full; beyond, chunks picked at random ...
SAMPLE = 0.25  # ... with this chance: a table of many texts is still found, at a quarter
FILTER_BITS = 24  # a 16 MB table of which hash endings the index holds
FOUND_SHARE = 0.01  # ... and holding this share of the indexed texts is


@dataclass(frozen=True)
class SealedIndex:
    """Sorted sketch hashes, the text each belongs to, and each text's sketch size."""

    hashes: Hashes
    owners: npt.NDArray[np.int32]
    sizes: npt.NDArray[np.uint8]

    @property
    def texts(self) -> int:
        return len(self.sizes)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            np.savez(handle, hashes=self.hashes, owners=self.owners, sizes=self.sizes)

    @classmethod
    def load(cls, path: Path) -> SealedIndex:
        with np.load(path) as data:
            return cls(data["hashes"], data["owners"], data["sizes"])

    @property
    def threshold(self) -> int:
        """How many sealed texts make "many": a share of the set, since an honest model's
        chance coincidences grow with it (a fixed count flags a large vocabulary)."""
        return max(MIN_FOUND, math.ceil(FOUND_SHARE * self.texts))


def build_index(files: Iterable[Path], *, max_texts: int = MAX_TEXTS) -> SealedIndex:
    """The index of every text field of sealed JSONL inputs, a block of texts at a time."""
    files = list(files)
    records = sum(_lines(path) for path in files)  # a record holds one or two texts
    stride = max(1, math.ceil(2 * records / max_texts))
    hashes: list[Hashes] = []
    owners: list[npt.NDArray[np.int64]] = []
    sizes: list[npt.NDArray[np.int64]] = []
    count = 0
    for block in _blocks(text for n, text in enumerate(_sealed_texts(files)) if n % stride == 0):
        sketch, owner, size = sketches(block)
        hashes.append(sketch)
        owners.append(owner + count)
        sizes.append(size)
        count += len(block)
    if not count:
        return SealedIndex(np.zeros(0, np.uint64), np.zeros(0, np.int32), np.zeros(0, np.uint8))
    all_hashes: Hashes = np.concatenate(hashes)
    all_owners, all_sizes = np.concatenate(owners), np.concatenate(sizes)
    # texts shorter than a shingle have no sketch: numbered densely among those that do
    kept = np.flatnonzero(all_sizes)
    renumber = np.full(count, -1, dtype=np.int64)
    renumber[kept] = np.arange(len(kept))
    order = np.argsort(all_hashes, kind="stable")
    return SealedIndex(
        all_hashes[order],
        renumber[all_owners[order]].astype(np.int32),
        all_sizes[kept].astype(np.uint8),
    )


def sketches(texts: list[str]) -> tuple[Hashes, npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Each text's smallest distinct shingle hashes (at most `SKETCH`; none for a text of fewer
    than `MIN_WORDS` words): the hashes, the text each belongs to, and each text's sketch
    size. The texts are hashed as one block; shingles that straddle two texts are dropped."""
    parts = [normalised(t.encode("utf-8", "replace")) for t in texts]
    ends = np.cumsum([len(p) + 1 for p in parts])
    values, starts = word_spans(b"\n".join(parts))
    owner = np.searchsorted(ends, starts, side="right")
    grams = gram_hashes(values)
    gram_owner = owner[: len(grams)]
    # shingles within one text, of a text long enough that a copy of it is evidence
    long_enough = np.bincount(owner, minlength=len(texts)) >= MIN_WORDS
    whole = (gram_owner == owner[NGRAM - 1 :][: len(grams)]) & long_enough[gram_owner]
    grams, gram_owner = grams[whole], gram_owner[whole]
    order = np.lexsort((grams, gram_owner))
    grams, gram_owner = grams[order], gram_owner[order]
    fresh = np.ones(len(grams), dtype=np.bool_)  # distinct (text, hash) pairs only
    fresh[1:] = (grams[1:] != grams[:-1]) | (gram_owner[1:] != gram_owner[:-1])
    grams, gram_owner = grams[fresh], gram_owner[fresh]
    first = np.searchsorted(gram_owner, gram_owner, side="left")
    keep = (np.arange(len(grams)) - first) < SKETCH
    grams, gram_owner = grams[keep], gram_owner[keep]
    return grams, gram_owner, np.bincount(gram_owner, minlength=len(texts))


def sketch_of(text: str) -> Hashes:
    """One text's sketch."""
    return sketches([text])[0]


def _blocks(texts: Iterable[str], size: int = 1 << 19) -> Iterator[list[str]]:
    """Texts in lists of about `size` characters (a block is hashed at once)."""
    block: list[str] = []
    length = 0
    for text in texts:
        block.append(text)
        length += len(text) + 1
        if length >= size:
            yield block
            block, length = [], 0
    if block:
        yield block


def _lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))


def _sealed_texts(files: Iterable[Path]) -> Iterator[str]:
    for path in files:
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    yield from _strings(json.loads(line))


def _strings(record: dict[str, Any]) -> Iterator[str]:
    for key, value in record.items():
        if key == "id":
            continue
        if isinstance(value, str):
            yield value
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            yield " ".join(value)


@dataclass
class SealedScan:
    """What a scan found: sealed texts present, where, and whether it stopped early."""

    texts: int  # sealed texts indexed
    found: int = 0
    threshold: int = MIN_FOUND
    scanned_bytes: int = 0  # read (decompressed, at every level)
    hashed_bytes: int = 0  # of which hashed
    skipped_bytes: int = 0  # ... and left out by the sampling
    files: int = 0
    stopped: str | None = None  # why the scan stopped before the end (a budget)
    where: dict[str, int] = field(default_factory=dict)  # file -> sketch hashes seen there

    @property
    def many(self) -> bool:
        return self.found >= self.threshold

    def to_dict(self) -> dict[str, Any]:
        top = sorted(self.where.items(), key=lambda item: -item[1])[:5]
        return {
            "found": self.found,
            "sealed_texts": self.texts,
            "threshold": self.threshold,
            "scanned_bytes": self.scanned_bytes,
            "hashed_bytes": self.hashed_bytes,
            "skipped_bytes": self.skipped_bytes,
            "files": self.files,
            "stopped": self.stopped,
            "where": [{"file": name, "hits": hits} for name, hits in top],
        }


class _Sampler:
    """Which chunks are hashed: all of the first `FULL_BYTES`, then a random share that a
    team cannot predict (hashing, not reading, is what a large text archive costs)."""

    def __init__(self) -> None:
        self.hashed, self.skipped = 0, 0
        self.rng = random.Random(secrets.randbits(64))

    def take(self, size: int) -> bool:
        if self.hashed < FULL_BYTES or self.rng.random() < SAMPLE:
            self.hashed += size
            return True
        self.skipped += size
        return False


def scan_folder(folder: Path, index: SealedIndex, budget: ScanBudget) -> SealedScan:
    """Scan every text in an extracted submission (nested archives included) for sealed
    texts, within `budget`; a text counts when at least 3 of its 4 sketch hashes (all of a
    smaller sketch) were seen anywhere in the archive."""
    result = SealedScan(texts=index.texts, threshold=index.threshold)
    seen: set[int] = set()
    table, sampler = _prefilter(index), _Sampler()
    for name, chunks in text_chunks(folder, budget):
        result.files += 1
        hits = _scan_stream(chunks, index, seen, table, sampler)
        if hits:
            result.where[name] = hits
    result.scanned_bytes, result.stopped = budget.used, budget.stopped
    result.hashed_bytes, result.skipped_bytes = sampler.hashed, sampler.skipped
    if seen:
        present = np.isin(index.hashes, np.fromiter(seen, np.uint64, len(seen)))
        counts = np.bincount(index.owners[present], minlength=index.texts)
        need = np.minimum(index.sizes, SKETCH - 1)
        result.found = int(np.count_nonzero(counts >= need))
    return result


def _prefilter(index: SealedIndex) -> npt.NDArray[np.bool_]:
    """A bit per value of a hash's low bits: most shingles of a file are ruled out by one
    look-up instead of a binary search."""
    table = np.zeros(1 << FILTER_BITS, dtype=np.bool_)
    table[(index.hashes & np.uint64((1 << FILTER_BITS) - 1)).astype(np.intp)] = True
    return table


def _scan_stream(
    chunks: Iterator[bytes],
    index: SealedIndex,
    seen: set[int],
    table: npt.NDArray[np.bool_],
    sampler: _Sampler,
) -> int:
    """Sketch hashes of the index seen in one stream; words run on across chunks."""
    empty = carry = np.zeros(0, dtype=np.uint64)
    mask = np.uint64((1 << FILTER_BITS) - 1)
    hits = 0
    for chunk in chunks:
        if not sampler.take(len(chunk)):
            carry = empty
            continue
        values = np.concatenate([carry, text_hashes(normalised(chunk))])
        grams = gram_hashes(values)
        carry = values[-(NGRAM - 1) :] if len(values) >= NGRAM - 1 else values
        if not len(grams) or not index.texts:
            continue
        grams = grams[table[(grams & mask).astype(np.intp)]]
        places = np.searchsorted(index.hashes, grams)
        places[places >= len(index.hashes)] = 0
        present = grams[index.hashes[places] == grams]
        if len(present):
            hits += len(present)
            seen.update(present.tolist())
    return hits
