"""The text an extracted submission holds, nested archives included, read within a budget.

A hostile archive must not make the scan slow or large: every byte read (at every level of
nesting) counts against one budget, nesting stops at `MAX_DEPTH`, members at `MAX_MEMBERS`,
text is read in fixed chunks whatever its lines, and a file whose first bytes hold a NUL is
binary and read no further (a bomb of zeros costs its first 8 KiB). Damaged members are
skipped: the scan informs organizers, it never refuses a submission.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

from podium.submission.listing import CORRUPT

CHUNK = 1 << 20
SNIFF = 8192
MAX_DEPTH = 4
MAX_MEMBERS = 20_000
SCAN_FLOOR = 64 * 1024**2  # bytes any archive may have scanned ...
SCAN_RATIO = 4  # ... or this many times its own size
SCAN_CEILING = 2 * 1024**3  # ... and never more

Chunks = Iterator[bytes]


def scan_limit(archive_bytes: int) -> int:
    """How many bytes the scan of an archive of this size may read: in proportion to what
    the team uploaded, so a small bomb costs little and a large honest archive is read."""
    return min(SCAN_CEILING, max(SCAN_FLOOR, SCAN_RATIO * archive_bytes))


@dataclass
class ScanBudget:
    """Bytes read so far at every level, members opened, and why the scan stopped."""

    limit: int
    used: int = 0
    members: int = 0
    stopped: str | None = None

    def spend(self, count: int) -> None:
        self.used += count
        if self.used > self.limit and self.stopped is None:
            self.stopped = f"read {self.limit} bytes (the scan's budget)"

    def enter(self) -> bool:
        """Another member may be opened."""
        self.members += 1
        if self.members > MAX_MEMBERS and self.stopped is None:
            self.stopped = f"opened {MAX_MEMBERS} members"
        return self.stopped is None


class _Counted(io.RawIOBase):
    """A stream whose reads are charged to the budget, with bytes already read put back."""

    def __init__(self, head: bytes, stream: IO[bytes], budget: ScanBudget) -> None:
        self.head, self.stream, self.budget = head, stream, budget

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self.budget.stopped:
            return 0
        if self.head:
            count = min(len(buffer), len(self.head))
            buffer[:count], self.head = self.head[:count], self.head[count:]
            return count
        data = self.stream.read(min(len(buffer), CHUNK))
        self.budget.spend(len(data))
        buffer[: len(data)] = data
        return len(data)


def text_chunks(folder: Path, budget: ScanBudget) -> Iterator[tuple[str, Chunks]]:
    """(name, chunks) of every text in the folder; consume each chunks before the next."""
    for path in sorted(folder.rglob("*")):
        if budget.stopped:
            return
        if path.is_symlink() or not path.is_file() or not budget.enter():
            continue
        with path.open("rb") as handle:
            yield from _members(path.relative_to(folder).as_posix(), handle, 0, budget)


def _members(
    name: str, stream: IO[bytes], depth: int, budget: ScanBudget
) -> Iterator[tuple[str, Chunks]]:
    try:
        head = stream.read(SNIFF)
    except CORRUPT:
        return
    budget.spend(len(head))
    if budget.stopped or not head:
        return
    opener = _decompressor(head)
    nested = opener is not None or _is_zip(head) or _is_tar(head)
    if nested and depth >= MAX_DEPTH:
        return
    counted = io.BufferedReader(_Counted(head, stream, budget), CHUNK)
    try:
        if opener is not None:
            with opener(counted) as inner:
                yield from _members(_plain(name), inner, depth + 1, budget)
        elif _is_zip(head):
            yield from _zip_members(name, counted, depth, budget)
        elif _is_tar(head):
            yield from _tar_members(name, counted, depth, budget)
        elif b"\0" not in head:
            yield name, _chunks(counted)
    except CORRUPT:
        return  # damaged: what was read so far counted, the rest is skipped


def _chunks(stream: IO[bytes]) -> Chunks:
    """Chunks of about CHUNK bytes, cut after a space or newline where there is one; a
    damaged stream ends where it breaks."""
    rest = b""
    while True:
        try:
            data = stream.read(CHUNK - len(rest))  # a chunk never passes CHUNK bytes
        except CORRUPT:
            data = b""
        if not data:
            break
        data = rest + data
        cut = max(data.rfind(b" "), data.rfind(b"\n"))
        cut = cut + 1 if cut > 0 else len(data)
        rest = data[cut:]
        yield data[:cut]
    if rest:
        yield rest


def _zip_members(
    name: str, stream: IO[bytes], depth: int, budget: ScanBudget
) -> Iterator[tuple[str, Chunks]]:
    """A zip needs to seek: spooled to a private temporary file first (within the budget)."""
    with tempfile.TemporaryFile() as spool:
        while data := stream.read(CHUNK):
            spool.write(data)
        if budget.stopped:
            return
        spool.seek(0)
        with zipfile.ZipFile(spool) as archive:
            for info in archive.infolist():
                if budget.stopped:
                    return
                if info.is_dir() or not budget.enter():
                    continue
                with archive.open(info) as member:
                    yield from _members(f"{name}/{info.filename}", member, depth + 1, budget)


def _tar_members(
    name: str, stream: IO[bytes], depth: int, budget: ScanBudget
) -> Iterator[tuple[str, Chunks]]:
    with tarfile.open(fileobj=stream, mode="r|") as archive:
        for member in archive:
            if budget.stopped:
                return
            if not member.isfile() or not budget.enter():
                continue
            inner = archive.extractfile(member)
            if inner is not None:
                yield from _members(f"{name}/{member.name}", inner, depth + 1, budget)


Opener = Callable[[IO[bytes]], IO[bytes]]


def _gunzip(stream: IO[bytes]) -> IO[bytes]:
    return cast(IO[bytes], gzip.GzipFile(fileobj=stream))


def _bunzip(stream: IO[bytes]) -> IO[bytes]:
    return cast(IO[bytes], bz2.BZ2File(stream))


def _unxz(stream: IO[bytes]) -> IO[bytes]:
    return cast(IO[bytes], lzma.LZMAFile(stream))


def _decompressor(head: bytes) -> Opener | None:
    if head[:2] == b"\x1f\x8b":
        return _gunzip
    if head[:3] == b"BZh":
        return _bunzip
    if head[:6] == b"\xfd7zXZ\x00":
        return _unxz
    return None


def _is_zip(head: bytes) -> bool:
    return head[:4] == b"PK\x03\x04"


def _is_tar(head: bytes) -> bool:
    return head[257:262] == b"ustar"


def _plain(name: str) -> str:
    stem, ext = os.path.splitext(name)
    return stem if ext in {".gz", ".bz2", ".xz", ".tgz"} else name
