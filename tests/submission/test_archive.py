from __future__ import annotations

import io
import os
import tarfile
import zipfile
from pathlib import Path

import pytest

from podium.core.errors import SubmissionError
from podium.submission.archive import pack_folder, read_submission, unpack


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buf.getvalue()


def test_pack_is_deterministic_and_round_trips(tmp_path: Path) -> None:
    src = tmp_path / "sub"
    (src / "pkg").mkdir(parents=True)
    (src / "podium.toml").write_text('[submission]\ncommand = "python predict.py"\n')
    (src / "pkg" / "model.bin").write_bytes(b"\x00\x01" * 100)
    (src / "__pycache__").mkdir()
    (src / "__pycache__" / "x.pyc").write_bytes(b"junk")
    first = pack_folder(src)
    os.utime(src / "podium.toml", (0, 0))
    assert pack_folder(src) == first
    out = unpack(first, tmp_path / "out")
    assert (out / "pkg" / "model.bin").read_bytes() == b"\x00\x01" * 100
    assert not (out / "__pycache__").exists()


def test_nested_folder_in_archive_is_found(tmp_path: Path) -> None:
    data = _zip({"mysub/podium.toml": b"[submission]\ncommand='x'\n"})
    assert unpack(data, tmp_path / "u").name == "mysub"


@pytest.mark.parametrize("name", ["../evil.py", "/etc/evil", "a/../../evil"])
def test_zip_with_escaping_paths_is_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(SubmissionError, match="outside"):
        unpack(_zip({name: b"x"}), tmp_path / "u")
    assert not (tmp_path / "evil.py").exists()


def test_tar_with_symlink_is_refused(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo("labels")
        info.type = tarfile.SYMTYPE
        info.linkname = "/etc/passwd"
        tar.addfile(info)
    with pytest.raises(SubmissionError, match="link"):
        unpack(buf.getvalue(), tmp_path / "u")


def test_folder_with_symlink_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "sub"
    src.mkdir()
    (src / "secret").symlink_to("/etc/hostname")
    with pytest.raises(SubmissionError, match="symbolic link"):
        read_submission(src)


def test_zip_bomb_is_stopped_before_filling_the_disk(tmp_path: Path) -> None:
    bomb = _zip({"podium.toml": b"x", "zeros.bin": b"\x00" * 5_000_000})
    assert len(bomb) < 50_000
    with pytest.raises(SubmissionError, match="unpacks to more than"):
        unpack(bomb, tmp_path / "u", max_bytes=1_000_000)
    assert not (tmp_path / "u" / "zeros.bin").exists()


def test_not_an_archive(tmp_path: Path) -> None:
    f = tmp_path / "model.txt"
    f.write_text("hello")
    with pytest.raises(SubmissionError, match="not a folder, .zip or .tar.gz"):
        read_submission(f)
