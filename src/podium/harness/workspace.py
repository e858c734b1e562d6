"""A run's temporary folders, and moving files out of (or into) what a submission wrote.

Each writable folder a run gets (its `/tmp`, its `/data/output`) is a size-limited tmpfs
where the evaluator may mount one (root), so a run can never fill the host's disk and
nothing it wrote survives the folder; elsewhere a plain folder, checked after the run.
Whatever a submission left is read with `O_NOFOLLOW` relative to directory descriptors: a
link, a fifo, a device or a hard link is reported, never followed or opened.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import BinaryIO

from podium.core.errors import PlatformError, SubmissionError
from podium.core.escapes import shown_name

MAX_DEPTH = 64
MAX_PATH_BYTES = 2048  # a path inside a run's folder; PATH_MAX (4096) leaves room for ours
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


def mounts_under(root: Path) -> list[Path]:
    """Mount points at or below `root`, deepest first (the order to unmount them in)."""
    prefix = str(root.resolve())
    points = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = line.split()[4].replace("\\040", " ")
        if point == prefix or point.startswith(prefix + "/"):
            points.append(Path(point))
    return sorted(points, key=lambda p: len(p.parts), reverse=True)


_MS_NOSUID, _MS_NODEV, _MNT_DETACH = 2, 4, 2


@cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _mount_tmpfs(point: Path, max_bytes: int, name: str) -> None:
    """mount(2) directly: a `mount` process per folder would cost ten times as much."""
    options = f"size={max_bytes},mode=0755".encode()
    flags = _MS_NOSUID | _MS_NODEV
    if _libc().mount(name.encode(), str(point).encode(), b"tmpfs", flags, options) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount tmpfs on {point}: {os.strerror(err)}")


def _mount_overlay(point: Path, lower: Path, upper: Path, work: Path) -> None:
    """An overlay: `lower` seen through `point`, every write copied up into `upper`. No
    redirects nor metadata-only copies: what a run left in `lower` is only ever read."""
    base = f"lowerdir={lower},upperdir={upper},workdir={work}"
    for options in (f"{base},redirect_dir=off,metacopy=off", base):
        if _libc().mount(b"podium-home", str(point).encode(), b"overlay", _MS_NOSUID | _MS_NODEV,
                         options.encode()) == 0:  # fmt: skip
            return
    err = ctypes.get_errno()
    raise OSError(err, f"mount overlay on {point}: {os.strerror(err)}")


def _umount(point: Path) -> None:
    if _libc().umount2(str(point).encode(), _MNT_DETACH) != 0 and point.is_mount():
        err = ctypes.get_errno()
        raise PlatformError(f"could not unmount a run's folder {point}: {os.strerror(err)}")


def remove_tree(root: Path) -> None:
    """Unmount whatever is mounted below `root`, then delete it (a leftover run's folder)."""
    if not root.exists():
        return
    for point in mounts_under(root):
        _umount(point)
    shutil.rmtree(root, ignore_errors=True)


@cache
def can_mount_tmpfs() -> bool:
    """Root may mount a tmpfs here (probed once: containers may forbid it)."""
    if os.geteuid() != 0:
        return False
    with tempfile.TemporaryDirectory(prefix="podium-probe-") as probe:
        try:
            _mount_tmpfs(Path(probe), 2**20, "podium-probe")
        except OSError:
            return False
        _umount(Path(probe))
    return True


@dataclass
class Workspace:
    """The folders of one run under `root`; `close()` unmounts and deletes all of them."""

    root: Path
    mechanisms: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        remove_tree(self.root)  # a leftover of an interrupted run with the same name
        self.root.mkdir(parents=True)
        os.chmod(self.root, 0o700)

    def plain(self, name: str) -> Path:
        folder = self.root / name
        folder.mkdir()
        return folder

    def limited(self, name: str, max_bytes: int, role: str) -> Path:
        """A fresh folder that holds at most `max_bytes` (a tmpfs where we may mount one)."""
        folder = self.root / name
        self.discard(name)
        folder.mkdir()
        if can_mount_tmpfs():
            try:
                _mount_tmpfs(folder, max_bytes, f"podium-{name}")
            except OSError as err:
                raise PlatformError(f"could not mount a tmpfs for {role}: {err}") from err
            self.mechanisms[role] = f"tmpfs of {max_bytes / 2**20:g} MiB"
        else:
            self.mechanisms[role] = (
                f"a plain folder, checked after the run ({max_bytes / 2**20:g} MiB; "
                "no tmpfs: not root or mounts forbidden)"
            )
        return folder

    def overlay(self, name: str, lower: Path, max_bytes: int, role: str) -> Path | None:
        """A fresh folder showing `lower` copy-on-write: whatever is written there lands in
        a tmpfs of `max_bytes` of its own and never in `lower`, so a repeat starts at once
        however much setup left, and never sees another repeat's writes. None where the
        kernel or our rights allow no overlay (the caller copies `lower` instead)."""
        if not can_mount_tmpfs():
            return None
        self.discard(name)  # the previous repeat's overlay, before its upper layer goes
        layers = self.limited(f"{name}-layers", max_bytes, role)
        upper, work = layers / "upper", layers / "work"
        upper.mkdir()
        work.mkdir()
        info = os.stat(lower)
        os.chown(upper, info.st_uid, info.st_gid)
        os.chmod(upper, stat.S_IMODE(info.st_mode))
        folder = self.root / name
        folder.mkdir()
        try:
            _mount_overlay(folder, lower, upper, work)
        except OSError:
            self.discard(f"{name}-layers")
            return None
        self.mechanisms[role] = (
            f"an overlay on setup's $HOME, writes in a tmpfs of {max_bytes / 2**20:g} MiB"
        )
        return folder

    def discard(self, name: str) -> None:
        remove_tree(self.root / name)

    def close(self) -> None:
        remove_tree(self.root)

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def full(folder: Path) -> bool:
    """A tmpfs with (almost) no room left: what a run that filled its limit leaves."""
    with contextlib.suppress(OSError):
        info = os.statvfs(folder)
        return info.f_bavail * info.f_frsize < 64 * 1024
    return False


@dataclass
class Collected:
    files: list[str] = field(default_factory=list)
    bytes: int = 0
    problems: list[str] = field(default_factory=list)


def collect_outputs(src: Path, dest: Path, max_bytes: int) -> Collected:
    """Copy the regular files a run wrote under `src` to `dest` (ours), never following links.

    Links, fifos, sockets, devices, files with several hard links and names that are not
    UTF-8 are problems, named (escaped) relative to the output folder; so is going over
    `max_bytes` in all.
    """
    out = Collected()
    dest.mkdir(parents=True, exist_ok=True)
    top = os.open(src, _DIR_FLAGS)
    try:
        for rel, parent_fd, name, info in _walk(top, "", out.problems):
            if not _utf8(rel):
                out.problems.append(f"{shown_name(rel)}: a name that is not valid UTF-8")
                continue
            if stat.S_ISDIR(info.st_mode):
                (dest / rel).mkdir(exist_ok=True)
                continue
            problem = _not_a_plain_file(info)
            if problem:
                out.problems.append(f"{shown_name(rel)}: {problem}; only regular files are read")
                continue
            if out.bytes + info.st_size > max_bytes:
                out.problems.append(
                    f"{shown_name(rel)}: the predictions pass {max_bytes / 2**20:g} MiB in all "
                    "([sandbox] max_output_mb)"
                )
                break
            out.bytes += _copy_file(parent_fd, name, dest / rel, max_bytes - out.bytes + 1)
            out.files.append(rel)
    finally:
        os.close(top)
    return out


def tree_size(root: Path) -> int:
    """Bytes a tree really takes on disk: allocated blocks (a sparse file's holes take none),
    each inode once (a file under many hard links is one file)."""
    seen: set[tuple[int, int]] = set()
    total = 0
    top = os.open(root, _DIR_FLAGS)
    try:
        for _, _, _, info in _walk(top, "", []):
            if (info.st_dev, info.st_ino) not in seen:
                seen.add((info.st_dev, info.st_ino))
                total += info.st_blocks * 512
    finally:
        os.close(top)
    return total


def _utf8(name: str) -> bool:
    """Whether a name read from disk (undecodable bytes as lone surrogates) is UTF-8."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def copy_tree(
    src: Path, dest: Path, owner: tuple[int, int] | None = None, *, max_bytes: int | None = None
) -> None:
    """Copy a tree a run wrote (its `$HOME` after setup) into a fresh folder at its real size:
    folders, regular files (hard links kept as links, holes as holes) and symbolic links (as
    links, never followed); anything else is left out.

    A tree over `max_bytes` on disk ([sandbox] tmp_mb), or one that does not fit `dest`'s own
    tmpfs, is the submission's fault: a SubmissionError saying so.
    """
    if max_bytes is not None:
        size = tree_size(src)
        if size > max_bytes:
            raise SubmissionError(
                f"setup left {size / 2**20:.1f} MiB in $HOME, more than the "
                f"{max_bytes / 2**20:g} MiB of a run's /tmp ([sandbox] tmp_mb)",
                hint="keep less in $HOME (sizes are counted on disk: hard links once, "
                "holes of sparse files not at all)",
            )
    try:
        _copy_tree(src, dest, owner)
    except OSError as err:
        if err.errno not in (errno.ENOSPC, errno.EDQUOT) or not os.path.ismount(dest):
            raise  # the server's own disk, or another fault of ours
        raise SubmissionError(
            f"$HOME after setup does not fit in a fresh /tmp of {_size_of(dest)}",
            hint="keep less in $HOME ([sandbox] tmp_mb)",
        ) from None


def _size_of(folder: Path) -> str:
    info = os.statvfs(folder)
    return f"{info.f_blocks * info.f_frsize / 2**20:g} MiB"


def _copy_tree(src: Path, dest: Path, owner: tuple[int, int] | None) -> None:
    problems: list[str] = []
    copied: dict[tuple[int, int], Path] = {}  # inode -> its first copy, for hard links
    top = os.open(src, _DIR_FLAGS)
    try:
        for rel, parent_fd, name, info in _walk(top, "", problems):
            target = dest / rel
            mode = stat.S_IMODE(info.st_mode) & 0o777  # never set-id bits
            inode = (info.st_dev, info.st_ino)
            if stat.S_ISDIR(info.st_mode):
                target.mkdir(mode=0o700)
                os.chmod(target, mode | 0o700)
            elif stat.S_ISLNK(info.st_mode):
                os.symlink(os.readlink(name, dir_fd=parent_fd), target)
            elif stat.S_ISREG(info.st_mode) and inode in copied:
                os.link(copied[inode], target)
                continue  # one inode: mode and owner are set already
            elif stat.S_ISREG(info.st_mode):
                _copy_file(parent_fd, name, target, None, sparse=True)
                os.chmod(target, mode)
                if info.st_nlink > 1:
                    copied[inode] = target
            else:
                continue
            if owner is not None:
                os.chown(target, *owner, follow_symlinks=False)
    finally:
        os.close(top)
    if problems:
        raise _too_deep(problems)


def _too_deep(problems: list[str]) -> Exception:
    return SubmissionError("; ".join(problems[:3]), hint="keep $HOME shallower, its paths shorter")


def _not_a_plain_file(info: os.stat_result) -> str | None:
    if stat.S_ISLNK(info.st_mode):
        return "a symbolic link"
    if stat.S_ISFIFO(info.st_mode):
        return "a fifo"
    if stat.S_ISSOCK(info.st_mode):
        return "a socket"
    if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode):
        return "a device"
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file"
    if info.st_nlink != 1:
        return f"a file with {info.st_nlink} hard links"
    return None


def _walk(
    dir_fd: int, prefix: str, problems: list[str], depth: int = 0
) -> Iterator[tuple[str, int, str, os.stat_result]]:
    """(relative path, parent fd, name, lstat) of every entry, parents before children."""
    if depth > MAX_DEPTH:
        where = shown_name(prefix) or "."
        problems.append(f"{where}: folders nested deeper than {MAX_DEPTH} levels")
        return
    for name in sorted(os.listdir(dir_fd)):
        rel = f"{prefix}{name}"
        if len(os.fsencode(rel)) > MAX_PATH_BYTES:  # copied below our folders, past PATH_MAX
            problems.append(f"{shown_name(rel[:60])}...: a path longer than {MAX_PATH_BYTES} bytes")
            continue
        info = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        yield rel, dir_fd, name, info
        if stat.S_ISDIR(info.st_mode):
            child = os.open(name, _DIR_FLAGS, dir_fd=dir_fd)
            try:
                yield from _walk(child, rel + "/", problems, depth + 1)
            finally:
                os.close(child)


def _copy_file(
    parent_fd: int, name: str, target: Path, limit: int | None, *, sparse: bool = False
) -> int:
    """Copy one file opened without following links; checks it is what was listed. `sparse`:
    only its data is copied, its holes stay holes."""
    try:
        fd = os.open(name, _FILE_FLAGS, dir_fd=parent_fd)
    except OSError as err:
        if err.errno == errno.ELOOP:  # swapped for a link since it was listed
            raise PlatformError(f"{name}: became a link while being read") from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise PlatformError(f"{name}: stopped being a regular file while being read")
        os.set_blocking(fd, True)
        with open(target, "xb") as out:
            if sparse:
                return _copy_extents(fd, out.fileno(), info.st_size)
            return _copy_stream(fd, out, limit)
    finally:
        os.close(fd)


def _copy_stream(fd: int, out: BinaryIO, limit: int | None) -> int:
    copied = 0
    while chunk := os.read(fd, 1 << 20):
        copied += len(chunk)
        if limit is not None and copied > limit:
            break
        out.write(chunk)
    return copied


def _copy_extents(fd: int, out: int, size: int) -> int:
    """Copy the data extents of `fd` (SEEK_DATA / SEEK_HOLE) to the same offsets of `out`, then
    give `out` the same length: a sparse file stays as small on disk as it was."""
    copied = offset = 0
    while offset < size:
        try:
            start = os.lseek(fd, offset, os.SEEK_DATA)
            end = os.lseek(fd, start, os.SEEK_HOLE)
        except OSError as err:
            if err.errno == errno.ENXIO:  # nothing but a hole up to the end
                break
            if err.errno not in (errno.EINVAL, errno.EOPNOTSUPP):
                raise
            start, end = offset, size  # a file system without holes: all of it is data
        while start < end:
            chunk = memoryview(os.pread(fd, min(1 << 20, end - start), start))
            if not chunk:
                break
            copied += len(chunk)
            while chunk:
                written = os.pwrite(out, chunk, start)
                chunk, start = chunk[written:], start + written
        offset = end
    os.ftruncate(out, size)
    return copied
