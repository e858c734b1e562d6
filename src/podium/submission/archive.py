"""Packing folders into archives and unpacking archives safely.

Unpacking reads the archive's listing first (`listing.py`: names, types, declared sizes,
`podium.toml`) and refuses before anything is written; extraction then counts entries and
bytes as they come out and creates every file exclusively, never through a link.
"""

from __future__ import annotations

import io
import os
import shutil
import stat
import tarfile
import zipfile
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import IO, BinaryIO

from podium.core.errors import SubmissionError
from podium.submission.listing import (
    CORRUPT,
    HEADER_ALLOWANCE,
    MAX_ENTRIES,
    MAX_UNPACKED_BYTES,
    Entry,
    Listing,
    Source,
    damaged,
    iter_members,
    kind_of,
    list_archive,
    open_tar,
    open_zip,
    opened,
    shown,
)

__all__ = [
    "MAX_ENTRIES",
    "MAX_UNPACKED_BYTES",
    "archive_suffix",
    "extract",
    "list_archive",
    "pack_folder",
    "read_submission",
    "require_archive",
    "unpack",
]
_FIXED_TIME = (2020, 1, 1, 0, 0, 0)
_SKIP_DIRS = {"__pycache__", ".git", ".venv", ".mypy_cache", ".pytest_cache"}
_CHUNK = 1 << 20


def pack_folder(folder: Path) -> bytes:
    """A deterministic zip of a folder: same files give the same bytes and sha256."""
    buffer = io.BytesIO()
    pack_folder_to(folder, buffer)
    return buffer.getvalue()


def pack_folder_to(folder: Path, out: BinaryIO) -> None:
    """pack_folder into a file, a file at a time in chunks (a model of gigabytes)."""
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        for path in sorted(folder.rglob("*")):
            rel = path.relative_to(folder)
            if any(part in _SKIP_DIRS for part in rel.parts):
                continue
            if path.is_symlink():
                raise SubmissionError(
                    "the submission contains a symbolic link",
                    where=str(rel),
                    hint="replace links by the files they point to",
                )
            if path.is_file():
                info = zipfile.ZipInfo(rel.as_posix(), date_time=_FIXED_TIME)
                info.external_attr = (stat.S_IFREG | (path.stat().st_mode & 0o755)) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                info.file_size = path.stat().st_size  # ZIP64 decided before the first byte
                with path.open("rb") as source, archive.open(info, "w") as target:
                    shutil.copyfileobj(source, target, _CHUNK)


def read_submission(path: Path) -> bytes:
    """The bytes to store for a folder, .zip or .tar.gz submission."""
    if not path.exists():
        raise SubmissionError("no such file or folder", where=str(path))
    if path.is_dir():
        return pack_folder(path)
    return require_archive(path.read_bytes(), str(path))


def require_archive(data: bytes, where: str) -> bytes:
    """Refuse bytes that are neither a zip nor a (compressed) tar archive."""
    try:
        kind_of(io.BytesIO(data), where)
    except SubmissionError:
        raise SubmissionError(
            "not a folder, .zip or .tar.gz archive",
            where=where,
            hint="submit the folder that holds podium.toml, or a zip of it",
        ) from None
    return data


def archive_suffix(head: bytes) -> str:
    """The file extension a download of an archive starting with these bytes should carry."""
    return ".zip" if head[:2] == b"PK" else ".tar.gz"


def unpack(
    source: Source, dest: Path, *, label: str = "archive", max_bytes: int = MAX_UNPACKED_BYTES
) -> Path:
    """Check the listing, then extract into `dest`; returns the folder holding podium.toml."""
    return extract(source, list_archive(source, label=label, max_bytes=max_bytes), dest, label)


def extract(source: Source, listing: Listing, dest: Path, label: str = "archive") -> Path:
    """Extract a checked listing, holding the archive to it entry by entry and byte by byte."""
    dest.mkdir(parents=True, exist_ok=True)
    budget = _Budget(listing, label)
    with opened(source) as handle:
        if listing.kind == "zip":
            archive = open_zip(handle, label)
            _check_count(len(archive.infolist()), listing, label)
            for info, entry in zip(archive.infolist(), listing.entries, strict=True):
                _extract_one(dest, entry, partial(archive.open, info), budget, label)
        else:
            cap = listing.budget + HEADER_ALLOWANCE
            with open_tar(handle, cap, label) as tar:
                _extract_tar(tar, listing, dest, budget, label)
    return dest / listing.root


def _extract_tar(
    tar: tarfile.TarFile, listing: Listing, dest: Path, budget: _Budget, label: str
) -> None:
    entries = iter(listing.entries)
    for member in iter_members(tar, label):
        entry = next(entries, None)
        if entry is None:
            _check_count(len(listing.entries) + 1, listing, label)
            return
        _extract_one(dest, entry, partial(tar.extractfile, member), budget, label)


def _check_count(count: int, listing: Listing, label: str) -> None:
    if count != len(listing.entries):
        raise damaged(label, ValueError("its entries changed between two readings"))


class _Budget:
    """Bytes written so far, against what the listing declared and allowed."""

    def __init__(self, listing: Listing, label: str) -> None:
        self.limit, self.label, self.written = min(listing.declared, listing.budget), label, 0

    def add(self, count: int, entry: Entry) -> None:
        self.written += count
        if self.written > self.limit:
            raise SubmissionError(
                "the archive unpacks to more bytes than it declares",
                where=f"{self.label}: {shown(str(entry.path))}",
            )


def _extract_one(
    dest: Path,
    entry: Entry,
    open_member: Callable[[], IO[bytes] | None],
    budget: _Budget,
    label: str,
) -> None:
    if entry.path is None:
        return
    target = dest / entry.path
    if entry.is_dir:
        target.mkdir(parents=True, exist_ok=True)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        src: IO[bytes] | None = open_member()
    except SubmissionError:
        raise
    except CORRUPT as err:
        raise damaged(f"{label}: {shown(str(entry.path))}", err) from None
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "wb") as out:
        if src is not None:
            with src:
                _copy(src, out, entry, budget, label)
    if entry.executable:
        os.chmod(target, 0o755)


def _copy(src: IO[bytes], out: BinaryIO, entry: Entry, budget: _Budget, label: str) -> None:
    while True:
        try:
            chunk = src.read(_CHUNK)
        except SubmissionError:
            raise
        except CORRUPT as err:
            raise damaged(f"{label}: {shown(str(entry.path))}", err) from None
        if not chunk:
            return
        budget.add(len(chunk), entry)
        out.write(chunk)
