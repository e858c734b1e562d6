"""Packing folders into archives and unpacking archives safely.

Unpacking refuses absolute paths, `..`, links and device files, and stops zip bombs by
capping the total unpacked size and the number of entries before anything is written.
"""

from __future__ import annotations

import io
import os
import shutil
import stat
import tarfile
import zipfile
from pathlib import Path, PurePosixPath

from podium.errors import SubmissionError

MAX_UNPACKED_BYTES = 4 * 1024**3
MAX_ENTRIES = 20_000
_FIXED_TIME = (2020, 1, 1, 0, 0, 0)
_SKIP_DIRS = {"__pycache__", ".git", ".venv", ".mypy_cache", ".pytest_cache"}


def pack_folder(folder: Path) -> bytes:
    """A deterministic zip of a folder: same files give the same bytes and sha256."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
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
                archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


def read_submission(path: Path) -> bytes:
    """The bytes to store for a folder, .zip or .tar.gz submission."""
    if not path.exists():
        raise SubmissionError("no such file or folder", where=str(path))
    if path.is_dir():
        return pack_folder(path)
    return require_archive(path.read_bytes(), str(path))


def require_archive(data: bytes, where: str) -> bytes:
    """Refuse bytes that are neither a zip nor a (compressed) tar archive."""
    if not (zipfile.is_zipfile(io.BytesIO(data)) or _is_tar(data)):
        raise SubmissionError(
            "not a folder, .zip or .tar.gz archive",
            where=where,
            hint="submit the folder that holds podium.toml, or a zip of it",
        )
    return data


def archive_suffix(data: bytes) -> str:
    """The file extension a download of these archive bytes should carry."""
    return ".zip" if zipfile.is_zipfile(io.BytesIO(data)) else ".tar.gz"


def _is_tar(data: bytes) -> bool:
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*"):
            return True
    except (tarfile.TarError, EOFError, OSError):
        return False


def _safe_member(name: str) -> PurePosixPath:
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or name.startswith("/"):
        raise SubmissionError(
            "the archive holds a path outside its folder",
            where=name,
            hint="archives may only hold relative paths without '..'",
        )
    return path


def _check_budget(total: int, count: int, where: str, max_bytes: int) -> None:
    if count > MAX_ENTRIES:
        raise SubmissionError(f"the archive holds more than {MAX_ENTRIES} entries", where=where)
    if total > max_bytes:
        raise SubmissionError(
            f"the archive unpacks to more than {max_bytes / 1024**2:g} MiB",
            where=where,
            hint="keep submissions small: weights and code only",
        )


def unpack(
    data: bytes, dest: Path, *, label: str = "archive", max_bytes: int = MAX_UNPACKED_BYTES
) -> Path:
    """Unpack archive bytes into `dest`; returns the folder holding podium.toml if nested once."""
    dest.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO(data)
    if zipfile.is_zipfile(buffer):
        _unpack_zip(zipfile.ZipFile(buffer), dest, label, max_bytes)
    elif _is_tar(data):
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as archive:
            _unpack_tar(archive, dest, label, max_bytes)
    else:
        raise SubmissionError("not a .zip or .tar.gz archive", where=label)
    entries = [p for p in dest.iterdir() if p.name not in {"__MACOSX"}]
    if not (dest / "podium.toml").exists() and len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return dest


def _unpack_zip(archive: zipfile.ZipFile, dest: Path, label: str, max_bytes: int) -> None:
    infos = archive.infolist()
    total = 0
    for info in infos:
        _safe_member(info.filename)
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise SubmissionError("the archive holds a symbolic link", where=info.filename)
        total += info.file_size
    _check_budget(total, len(infos), label, max_bytes)
    written = 0
    for info in infos:
        target = dest / _safe_member(info.filename)
        if info.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        with archive.open(info) as src, target.open("wb") as out:
            # declared sizes can lie: count what really comes out
            for chunk in iter(lambda: src.read(1 << 20), b""):
                written += len(chunk)
                _check_budget(written, 0, label, max_bytes)
                out.write(chunk)
        if (info.external_attr >> 16) & 0o111:
            os.chmod(target, 0o755)


def _unpack_tar(archive: tarfile.TarFile, dest: Path, label: str, max_bytes: int) -> None:
    members = archive.getmembers()
    total = 0
    for member in members:
        _safe_member(member.name)
        if not (member.isfile() or member.isdir()):
            raise SubmissionError(
                "the archive holds a link or special file",
                where=member.name,
                hint="archives may only hold regular files and folders",
            )
        total += member.size
    _check_budget(total, len(members), label, max_bytes)
    for member in members:
        target = dest / _safe_member(member.name)
        if member.isdir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        src = archive.extractfile(member)
        if src is None:
            continue
        with src, target.open("wb") as out:
            shutil.copyfileobj(src, out, 1 << 20)
        if member.mode & 0o111:
            os.chmod(target, 0o755)
