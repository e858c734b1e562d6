"""An archive's listing, checked before anything is extracted.

The listing holds every entry's name, type and declared size, and where `podium.toml` is. It
is read from the zip's central directory, or by walking a tar's headers and stopping at the
first one over the budget, so refusing a hostile archive costs about what reading its headers
costs. The byte budget scales with the archive's own size: a 4 MB upload may not unpack to
gigabytes, whatever it declares.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import stat
import struct
import tarfile
import unicodedata
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Literal, NoReturn

from podium.core.errors import SubmissionError

MiB = 1024**2
MAX_UNPACKED_BYTES = 4 * 1024**3
MAX_ENTRIES = 20_000
MAX_RATIO = 100  # unpacked bytes an archive may declare per byte of its own
RATIO_FLOOR = 256 * MiB  # ... but a small archive may always unpack to this much
MAX_MANIFEST_BYTES = 64 * 1024
# tar headers and pax records are read before the listing can see them: allow this much
# besides the declared data, and never read further into a decompressed stream
HEADER_ALLOWANCE = 64 * MiB
MANIFEST = "podium.toml"
IGNORED_TOP = frozenset({"__MACOSX"})
ZIP_METHODS = frozenset(
    {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
)

Source = bytes | Path | BinaryIO
Kind = Literal["zip", "tar"]
# What the standard library raises on a damaged or hostile archive while reading it.
CORRUPT: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    tarfile.TarError,
    zlib.error,
    lzma.LZMAError,
    EOFError,
    OSError,
    ValueError,
    struct.error,
    NotImplementedError,
    RuntimeError,
    OverflowError,
)


@dataclass(frozen=True)
class Entry:
    """One entry as listed; `path` is None for the archive's own top folder (`./`)."""

    path: PurePosixPath | None
    is_dir: bool
    size: int
    executable: bool


@dataclass(frozen=True)
class Listing:
    kind: Kind
    entries: tuple[Entry, ...]
    root: PurePosixPath  # the folder holding podium.toml: '.' or the one top folder
    declared: int  # unpacked bytes, as declared
    budget: int  # unpacked bytes allowed


def shown(name: str) -> str:
    """A name as it can be printed in a message: control and undecodable characters escaped."""
    text = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in name)
    return text if len(text) <= 200 else text[:200] + "…"


def unpacked_budget(archive_bytes: int, max_bytes: int = MAX_UNPACKED_BYTES) -> int:
    """How many bytes an archive of this size may unpack to."""
    return min(max_bytes, max(RATIO_FLOOR, MAX_RATIO * archive_bytes))


def damaged(label: str, err: BaseException) -> SubmissionError:
    detail = shown(str(err)) or type(err).__name__
    return SubmissionError(
        f"the archive is damaged or not readable ({detail})",
        where=label,
        hint="pack the folder again (zip -r or tar czf) and check the archive opens",
    )


@contextmanager
def opened(source: Source) -> Iterator[BinaryIO]:
    """A seekable binary file over bytes, a path or an open file (left open)."""
    if isinstance(source, bytes):
        yield io.BytesIO(source)
    elif isinstance(source, Path):
        with source.open("rb") as handle:
            yield handle
    else:
        source.seek(0)
        yield source


def kind_of(handle: BinaryIO, label: str) -> Kind:
    """zip or tar (plain, gzip, bzip2 or xz), from the first bytes where they say so."""
    head = handle.read(262)
    handle.seek(0)
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return "zip"
    if head[:2] == b"\x1f\x8b" or head[:3] == b"BZh" or head[:6] == b"\xfd7zXZ\x00":
        return "tar"
    if head[257:262] == b"ustar" or _opens_as_tar(handle):
        return "tar"
    try:
        if zipfile.is_zipfile(handle):  # a zip behind a prefix, e.g. self-extracting
            return "zip"
    except CORRUPT:
        pass
    finally:
        handle.seek(0)
    raise SubmissionError(
        "not a .zip or .tar.gz archive",
        where=label,
        hint="submit the folder that holds podium.toml, or a zip of it",
    )


def _opens_as_tar(handle: BinaryIO) -> bool:
    try:
        with tarfile.open(fileobj=handle, mode="r:"):
            return True
    except CORRUPT:
        return False
    finally:
        handle.seek(0)


def size_of(handle: BinaryIO) -> int:
    handle.seek(0, io.SEEK_END)
    size = handle.tell()
    handle.seek(0)
    return size


class CappedStream:
    """A (decompressed) stream that refuses to go past `cap` bytes: tarfile reads headers,
    and pax records of any declared size, before the listing can look at them."""

    def __init__(self, raw: io.BufferedIOBase | BinaryIO, cap: int, label: str) -> None:
        self.raw, self.cap, self.label = raw, cap, label

    def _over(self) -> NoReturn:
        raise SubmissionError(
            f"the archive unpacks to more than {self.cap / MiB:.0f} MiB",
            where=self.label,
            hint="keep submissions to weights and code",
        )

    def read(self, size: int = -1) -> bytes:
        if size < 0 or self.raw.tell() + size > self.cap:
            self._over()
        return self.raw.read(size)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence != io.SEEK_SET or offset > self.cap:
            self._over()
        return self.raw.seek(offset)

    def tell(self) -> int:
        return self.raw.tell()

    def write(self, data: bytes) -> int:
        raise io.UnsupportedOperation("read only")

    def close(self) -> None:
        self.raw.close()


def tar_stream(handle: BinaryIO) -> io.BufferedIOBase | BinaryIO:
    """The tar inside: decompressed by us, so that every byte read can be capped."""
    head = handle.read(6)
    handle.seek(0)
    if head[:2] == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=handle, mode="rb")
    if head[:3] == b"BZh":
        return bz2.BZ2File(handle)
    if head[:6] == b"\xfd7zXZ\x00":
        return lzma.LZMAFile(handle)
    return handle


def open_tar(handle: BinaryIO, cap: int, label: str) -> tarfile.TarFile:
    stream = CappedStream(tar_stream(handle), cap, label)
    try:
        return tarfile.TarFile(fileobj=stream, mode="r", encoding="utf-8", errors="surrogateescape")
    except SubmissionError:
        raise
    except CORRUPT as err:
        raise damaged(label, err) from None


def entry_path(raw: str, label: str) -> PurePosixPath | None:
    """The safe relative path an entry names; None for the top folder itself ('.', './')."""
    name = raw.replace("\\", "/")
    for char in name:
        if 0xD800 <= ord(char) <= 0xDFFF or unicodedata.category(char) == "Cc":
            raise SubmissionError(
                "a file name in the archive holds a control character or is not valid UTF-8",
                where=f"{label}: {shown(raw)}",
                hint="rename the file (UTF-8 names without control characters)",
            )
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if name.startswith("/") or ".." in parts:
        raise SubmissionError(
            "the archive holds a path outside its folder",
            where=shown(raw),
            hint="archives may only hold relative paths without '..'",
        )
    if any(len(p.encode()) > 255 for p in parts) or len(name.encode()) > 4096:
        raise SubmissionError("a file name in the archive is too long", where=shown(raw))
    return PurePosixPath(*parts) if parts else None


class ListingBuilder:
    """Adds entries one at a time and refuses at the first that breaks a rule."""

    def __init__(self, kind: Kind, label: str, budget: int, max_entries: int) -> None:
        self.kind, self.label, self.budget, self.max_entries = kind, label, budget, max_entries
        self.entries: list[Entry] = []
        self.kinds: dict[PurePosixPath, bool] = {}  # path -> is a folder
        self.declared = 0

    def add(self, raw: str, *, is_dir: bool, size: int, executable: bool = False) -> None:
        if len(self.entries) >= self.max_entries:
            raise SubmissionError(
                f"the archive holds more than {self.max_entries} entries", where=self.label
            )
        path = entry_path(raw, self.label)
        if path is None and not is_dir:
            raise SubmissionError(
                "the archive holds a file without a name (such as '.')", where=self.label
            )
        if path is not None:
            self._place(path, is_dir, raw)
        self.declared += max(size, 0)
        if self.declared > self.budget:
            raise SubmissionError(
                f"the archive unpacks to more than {self.budget / MiB:.0f} MiB (its entries "
                f"declare at least {self.declared / MiB:.0f} MiB)",
                where=self.label,
                hint=f"an archive may unpack to {MAX_RATIO} times its own size (at least "
                f"{RATIO_FLOOR // MiB} MiB, at most {MAX_UNPACKED_BYTES // MiB} MiB); "
                "keep submissions to weights and code",
            )
        self.entries.append(Entry(path, is_dir, max(size, 0), executable and not is_dir))

    def _place(self, path: PurePosixPath, is_dir: bool, raw: str) -> None:
        for parent in reversed(path.parents[:-1]):  # 'a', then 'a/b', ...
            if self.kinds.setdefault(parent, True) is False:
                raise SubmissionError(
                    f"the archive holds {shown(str(path))!r} inside {shown(str(parent))!r}, "
                    "which it also holds as a file",
                    where=self.label,
                )
        seen = self.kinds.get(path)
        if seen is not None and not (seen and is_dir):
            raise SubmissionError(
                f"the archive holds {shown(raw)!r} twice"
                + (" (as a file and as a folder)" if seen != is_dir else ""),
                where=self.label,
                hint="each path may appear once",
            )
        self.kinds[path] = is_dir

    def finish(self) -> Listing:
        root = self._root()
        manifest = self.kinds.get(root / MANIFEST)
        if manifest is not False:
            raise SubmissionError(
                f"the submission has no {MANIFEST} at its top level",
                where=self.label,
                hint=f'add a {MANIFEST} with:\n[submission]\ncommand = "python predict.py"\n',
            )
        size = next(e.size for e in self.entries if e.path == root / MANIFEST)
        if size > MAX_MANIFEST_BYTES:
            raise SubmissionError(
                f"{MANIFEST} is {size} bytes; it may hold at most {MAX_MANIFEST_BYTES}",
                where=f"{self.label}: {root / MANIFEST}",
            )
        return Listing(self.kind, tuple(self.entries), root, self.declared, self.budget)

    def _root(self) -> PurePosixPath:
        top = {p.parts[0] for p in self.kinds if p.parts[0] not in IGNORED_TOP}
        if MANIFEST in top or len(top) != 1:
            return PurePosixPath(".")
        (only,) = top
        return PurePosixPath(only) if self.kinds.get(PurePosixPath(only)) else PurePosixPath(".")


def list_archive(
    source: Source,
    *,
    label: str = "archive",
    max_bytes: int = MAX_UNPACKED_BYTES,
    max_entries: int = MAX_ENTRIES,
) -> Listing:
    """The checked listing of a .zip or .tar(.gz/.bz2/.xz); SubmissionError at the first
    problem, having read no further than needed to find it."""
    with opened(source) as handle:
        kind = kind_of(handle, label)
        budget = unpacked_budget(size_of(handle), max_bytes)
        builder = ListingBuilder(kind, label, budget, max_entries)
        if kind == "zip":
            _list_zip(handle, builder)
        else:
            _list_tar(handle, builder)
        return builder.finish()


def open_zip(handle: BinaryIO, label: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(handle)
    except UnicodeDecodeError:
        raise SubmissionError(
            "a file name in the archive is marked UTF-8 but is not valid UTF-8",
            where=label,
            hint="pack the folder again with a current zip tool",
        ) from None
    except CORRUPT as err:
        raise damaged(label, err) from None


def _list_zip(handle: BinaryIO, builder: ListingBuilder) -> None:
    infos = open_zip(handle, builder.label).infolist()
    if len(infos) > builder.max_entries:
        raise SubmissionError(
            f"the archive holds more than {builder.max_entries} entries", where=builder.label
        )
    for info in infos:
        where = f"{builder.label}: {shown(info.filename)}"
        mode = info.external_attr >> 16
        if stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):
            raise SubmissionError(
                "the archive holds a symbolic link or special file",
                where=where,
                hint="archives may only hold regular files and folders",
            )
        if info.flag_bits & 0x1:
            raise SubmissionError("the archive holds an encrypted file", where=where)
        if info.compress_type not in ZIP_METHODS:
            raise SubmissionError(
                f"the archive uses compression method {info.compress_type}, which podium "
                "cannot read",
                where=where,
                hint="use deflate (the default of zip tools)",
            )
        builder.add(
            info.filename,
            is_dir=info.filename.endswith("/"),
            size=info.file_size,
            executable=bool(mode & 0o111),
        )


def _list_tar(handle: BinaryIO, builder: ListingBuilder) -> None:
    with open_tar(handle, builder.budget + HEADER_ALLOWANCE, builder.label) as archive:
        for member in iter_members(archive, builder.label):
            if member.size < 0:
                raise damaged(builder.label, ValueError(f"{shown(member.name)}: negative size"))
            if not (member.isreg() or member.isdir()):
                raise SubmissionError(
                    "the archive holds a link or special file",
                    where=f"{builder.label}: {shown(member.name)}",
                    hint="archives may only hold regular files and folders",
                )
            builder.add(
                member.name,
                is_dir=member.isdir(),
                size=member.size,
                executable=bool(member.mode & 0o111),
            )


def iter_members(archive: tarfile.TarFile, label: str) -> Iterator[tarfile.TarInfo]:
    """Members one header at a time (never getmembers(): that walks the whole archive)."""
    while True:
        try:
            member = archive.next()
        except SubmissionError:
            raise
        except CORRUPT as err:
            raise damaged(label, err) from None
        if member is None:
            return
        yield member
