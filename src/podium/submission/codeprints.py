"""Code fingerprints by winnowing (Schleimer, Wilkerson and Aiken's MOSS): near-identical
code files across teams share most of their fingerprints whatever was renamed around them.

A file's tokens (words and single symbols; comments and spacing do not matter much) are
hashed in runs of `KGRAM`, and of every `WINDOW` consecutive hashes the smallest is kept:
any shared run of KGRAM + WINDOW - 1 tokens is sure to share a fingerprint. Values are kept
in 63 bits so that every store holds them as a signed BIGINT.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from podium.submission.shingles import gram_hashes, word_hashes

KGRAM = 8
WINDOW = 8
CODE_SUFFIXES = frozenset(
    {".py", ".pyx", ".sh", ".r", ".jl", ".c", ".h", ".cc", ".cpp", ".hpp", ".cu", ".rs",
     ".go", ".java", ".scala", ".kt", ".js", ".ts", ".lua", ".pl", ".rb", ".m", ".swift",
     ".cs", ".ipynb"}
)  # fmt: skip
MAX_FILE_BYTES = 1024**2
MAX_FILES = 500
MAX_PRINTS = 1024  # per file
MIN_PRINTS = 12  # a file with fewer (after released code) is too small to call copied
SIMILAR = 0.8  # share of a file's fingerprints found in one file of another team
_TOKEN = re.compile(r"\w+|[^\w\s]")
_COMMENT = re.compile(r"(?m)#[^\n]*$|//[^\n]*$")
_MASK = np.uint64(0x7FFF_FFFF_FFFF_FFFF)

Prints = dict[str, frozenset[int]]


def file_prints(text: str) -> frozenset[int]:
    """The winnowed fingerprints of one source file."""
    tokens = _TOKEN.findall(_COMMENT.sub("", text))
    grams = gram_hashes(word_hashes(tokens), KGRAM) & _MASK
    if len(grams) == 0:
        return frozenset()
    if len(grams) < WINDOW:
        return frozenset([int(grams.min())])
    windows = np.lib.stride_tricks.sliding_window_view(grams, WINDOW)
    chosen = np.unique(windows.min(axis=1))
    return frozenset(int(v) for v in chosen[:MAX_PRINTS])


def folder_prints(folder: Path) -> Prints:
    """Fingerprints of every code file of an extracted submission (bounded in count and size)."""
    prints: Prints = {}
    for path in sorted(folder.rglob("*")):
        if len(prints) >= MAX_FILES:
            break
        if path.suffix.lower() not in CODE_SUFFIXES or path.is_symlink() or not path.is_file():
            continue
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES)
        found = file_prints(data.decode("utf-8", "replace"))
        if found:
            prints[path.relative_to(folder).as_posix()[:300]] = found
    return prints


@dataclass(frozen=True)
class Match:
    """A file of ours found in a file of another submission."""

    path: str
    other_submission: int
    other_path: str
    share: float
    shared: int


def similar_files(
    ours: Prints,
    others: Mapping[tuple[int, str], Iterable[int]],
    released: frozenset[int] = frozenset(),
) -> list[Match]:
    """Files of ours of which at least `SIMILAR` of the fingerprints (those not in released
    code) are in one file of another submission: the best such file for each of ours."""
    theirs = {key: frozenset(values) for key, values in others.items()}
    matches = []
    for path, prints in sorted(ours.items()):
        own = prints - released
        if len(own) < MIN_PRINTS:
            continue
        best: Match | None = None
        for (sub_id, other_path), other in theirs.items():
            shared = len(own & other)
            share = shared / len(own)
            if share >= SIMILAR and (best is None or share > best.share):
                best = Match(path, sub_id, other_path, round(share, 3), shared)
        if best is not None:
            matches.append(best)
    return matches
