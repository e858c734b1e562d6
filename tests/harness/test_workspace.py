"""A run's folders and what a submission left in them: read as regular files, never followed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from podium.core.errors import SubmissionError
from podium.harness.workspace import (
    Workspace,
    can_mount_tmpfs,
    collect_outputs,
    copy_tree,
    mounts_under,
    tree_size,
)

MiB = 2**20


def test_only_regular_files_are_collected(tmp_path: Path) -> None:
    src = tmp_path / "out"
    (src / "xnli").mkdir(parents=True)
    (src / "xnli" / "en.jsonl").write_text("ok\n")
    secret = tmp_path / "labels.jsonl"
    secret.write_text("SECRET")
    (src / "xnli" / "de.jsonl").symlink_to(secret)
    (src / "panx").symlink_to(tmp_path)
    os.mkfifo(src / "xnli" / "fifo.jsonl")
    os.link(src / "xnli" / "en.jsonl", src / "twin.jsonl")
    got = collect_outputs(src, tmp_path / "dest", max_bytes=10**6)
    assert got.files == []
    assert sorted(got.problems) == [
        "panx: a symbolic link; only regular files are read",
        "twin.jsonl: a file with 2 hard links; only regular files are read",
        "xnli/de.jsonl: a symbolic link; only regular files are read",
        "xnli/en.jsonl: a file with 2 hard links; only regular files are read",
        "xnli/fifo.jsonl: a fifo; only regular files are read",
    ]
    assert "SECRET" not in "".join(p.read_text() for p in (tmp_path / "dest").rglob("*.jsonl"))


def test_collecting_stops_at_the_byte_budget(tmp_path: Path) -> None:
    src = tmp_path / "out"
    src.mkdir()
    for name in "abc":
        (src / f"{name}.jsonl").write_bytes(b"x" * 400)
    got = collect_outputs(src, tmp_path / "dest", max_bytes=1000)
    assert got.files == ["a.jsonl", "b.jsonl"] and got.bytes == 800
    assert got.problems == [
        "c.jsonl: the predictions pass 0.000953674 MiB in all ([sandbox] max_output_mb)"
    ]


def test_home_is_copied_with_links_as_links_and_nothing_else(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "lib" / "pkg").mkdir(parents=True)
    (home / "lib" / "pkg" / "mod.py").write_text("x = 1")
    os.chmod(home / "lib" / "pkg" / "mod.py", 0o4755)  # a set-id bit never survives the copy
    (home / "bin").symlink_to("lib/pkg")
    (home / "etc").symlink_to("/etc/shadow")
    os.mkfifo(home / "pipe")
    dest = tmp_path / "copy"
    dest.mkdir()
    copy_tree(home, dest)
    assert (dest / "lib" / "pkg" / "mod.py").read_text() == "x = 1"
    assert (dest / "lib" / "pkg" / "mod.py").stat().st_mode & 0o7777 == 0o755
    assert os.readlink(dest / "bin") == "lib/pkg" and os.readlink(dest / "etc") == "/etc/shadow"
    assert not (dest / "pipe").exists()


def test_folders_nested_too_deep_are_refused(tmp_path: Path) -> None:
    home = tmp_path / "home"
    deep = home
    for _ in range(80):
        deep = deep / "d"
    deep.mkdir(parents=True)
    dest = tmp_path / "copy"
    dest.mkdir()
    with pytest.raises(SubmissionError, match="nested deeper than 64"):
        copy_tree(home, dest)


def _links_and_holes(home: Path) -> None:
    """A setup's $HOME of 1 MiB on disk that is 1.05 GiB to anything reading it file by file:
    a 1 MiB file under 51 names, and a 1 GiB file holding one byte."""
    home.mkdir()
    (home / "blob").write_bytes(os.urandom(MiB))
    for i in range(50):
        os.link(home / "blob", home / f"link{i}")
    with (home / "sparse").open("wb") as f:
        f.seek(2**30 - 1)
        f.write(b"!")


def test_home_is_counted_and_copied_at_its_real_size(tmp_path: Path) -> None:
    home, dest = tmp_path / "home", tmp_path / "copy"
    _links_and_holes(home)
    assert MiB <= tree_size(home) < 2 * MiB  # each inode once, holes not at all
    dest.mkdir()
    copy_tree(home, dest, max_bytes=2 * MiB)
    assert tree_size(dest) < 2 * MiB
    blob = (dest / "blob").stat()
    assert blob.st_nlink == 51 and (dest / "link49").stat().st_ino == blob.st_ino
    assert (dest / "link7").read_bytes() == (home / "blob").read_bytes()
    sparse = (dest / "sparse").stat()
    assert sparse.st_size == 2**30 and sparse.st_blocks * 512 < MiB
    with (dest / "sparse").open("rb") as f:
        assert f.read(4) == b"\0\0\0\0" and (f.seek(-1, 2), f.read())[1] == b"!"


def test_a_home_larger_than_tmp_mb_is_the_submissions_fault(tmp_path: Path) -> None:
    home, dest = tmp_path / "home", tmp_path / "copy"
    _links_and_holes(home)
    dest.mkdir()
    with pytest.raises(SubmissionError) as caught:
        copy_tree(home, dest, max_bytes=MiB // 2)
    assert "setup left 1.0 MiB in $HOME" in caught.value.message
    assert "[sandbox] tmp_mb" in caught.value.message
    assert list(dest.iterdir()) == []  # refused before anything was copied


@pytest.mark.skipif(not can_mount_tmpfs(), reason="tmpfs cannot be mounted here (needs root)")
def test_a_home_that_does_not_fit_its_tmpfs_is_the_submissions_fault(tmp_path: Path) -> None:
    """Counted within the limit yet larger than the fresh /tmp (a tmpfs counts differently):
    the copy's ENOSPC is the team's failure, not the platform's."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "big").write_bytes(b"x" * 3 * MiB)
    with Workspace(tmp_path / "work") as ws:
        tmp = ws.limited("tmp", 2 * MiB, "tmp")
        with pytest.raises(SubmissionError, match=r"\$HOME after setup does not fit"):
            copy_tree(home, tmp, max_bytes=4 * MiB)


@pytest.mark.skipif(not can_mount_tmpfs(), reason="tmpfs cannot be mounted here (needs root)")
def test_limited_folders_are_tmpfs_and_vanish_on_close(tmp_path: Path) -> None:
    with Workspace(tmp_path / "work") as ws:
        folder = ws.limited("output", 2 * 2**20, "output")
        assert mounts_under(tmp_path / "work") == [folder]
        with pytest.raises(OSError, match="No space left"), (folder / "big").open("wb") as f:
            f.write(b"x" * 3 * 2**20)
        assert ws.mechanisms["output"] == "tmpfs of 2 MiB"
    assert not (tmp_path / "work").exists() and mounts_under(tmp_path) == []


def test_paths_longer_than_the_system_allows_are_the_submissions_fault(tmp_path: Path) -> None:
    """Nested by relative paths, a tree's paths may pass PATH_MAX (4096 bytes) below our
    folders: reported (so the run fails), never an OSError (a platform fault)."""
    src = tmp_path / "out"
    src.mkdir()
    parent = os.open(src, os.O_RDONLY)
    for _ in range(20):  # 20 folders of 250 bytes: 5 kB
        os.mkdir("d" * 250, dir_fd=parent)
        child = os.open("d" * 250, os.O_RDONLY, dir_fd=parent)
        os.close(parent)
        parent = child
    os.close(os.open("x.jsonl", os.O_CREAT | os.O_WRONLY, 0o644, dir_fd=parent))
    os.close(parent)
    got = collect_outputs(src, tmp_path / "dest", max_bytes=MiB)
    assert got.files == [] and len(got.problems) == 1
    assert "a path longer than 2048 bytes" in got.problems[0]
    home_copy = tmp_path / "copy"
    home_copy.mkdir()
    with pytest.raises(SubmissionError, match="a path longer than 2048 bytes"):
        copy_tree(src, home_copy, max_bytes=MiB)
