"""The listing of hostile archives: refused from names, types and declared sizes before
anything is extracted, having read no more of the archive than needed."""

from __future__ import annotations

import gzip
import io
import stat
import tarfile
import zipfile
from pathlib import Path

import pytest

from podium.core.errors import SubmissionError
from podium.submission.archive import unpack
from podium.submission.intake import check_archive
from podium.submission.listing import (
    MAX_RATIO,
    RATIO_FLOOR,
    list_archive,
    unpacked_budget,
)

from ..archives import MANIFEST, CountingReader, MiB, tar_declaring, tar_of, zeros_zip, zip_of


def _refused(data: bytes, needle: str, tmp_path: Path) -> None:
    scratch = tmp_path / "scratch"
    with pytest.raises(SubmissionError, match=needle) as err:
        check_archive(data, where="sub.zip", scratch=scratch)
    assert "Traceback" not in err.value.message
    assert not scratch.exists() or list(scratch.iterdir()) == []  # nothing left behind


def test_a_small_zip_of_zeros_without_podium_toml_is_refused_from_its_directory() -> None:
    """The issue's 3.9 MB zip holding 3.75 GiB: only the central directory is read."""
    bomb = zeros_zip(3840, manifest=False)
    assert len(bomb) < 4 * MiB
    reader = CountingReader(bomb)
    with pytest.raises(SubmissionError, match="unpacks to more than 380 MiB"):
        list_archive(reader, label="bomb.zip")
    assert reader.bytes_read < 64 * 1024  # the directory and the magic, not the 3.8 MB of data


def test_a_zip_without_podium_toml_is_refused_before_extraction(tmp_path: Path) -> None:
    reader = CountingReader(zeros_zip(64, manifest=False))
    with pytest.raises(SubmissionError, match=r"no podium\.toml at its top level"):
        list_archive(reader, label="sub.zip")
    assert reader.bytes_read < 64 * 1024


def test_a_tar_declaring_5_gib_is_refused_at_its_first_header() -> None:
    """Nothing after the header exists: walking on (getmembers()) would fail differently."""
    data = tar_declaring(5 * 1024**3)
    with pytest.raises(SubmissionError, match="unpacks to more than 256 MiB") as err:
        list_archive(CountingReader(data), label="big.tar.gz")
    assert "declare at least 5120 MiB" in err.value.message


def test_a_tar_walk_stops_at_the_budget(tmp_path: Path) -> None:
    """Three members of 400 KB then garbage: the walk stops at the third, never reads on."""
    members = tar_of({f"z{i}.bin": b"\0" * 400_000 for i in range(3)}, mode="w")
    data = gzip.compress(members[: 3 * (512 + 400_384)]) + b"garbage that is not gzip"
    with pytest.raises(SubmissionError, match="unpacks to more than 1 MiB"):
        list_archive(data, label="t.tar.gz", max_bytes=1_000_000)


def test_a_pax_record_cannot_make_tarfile_read_gigabytes() -> None:
    info = tarfile.TarInfo("././@PaxHeader")
    info.type, info.size = tarfile.XHDTYPE, 2 * 1024**3
    data = gzip.compress(info.tobuf(format=tarfile.USTAR_FORMAT))
    with pytest.raises(SubmissionError, match="unpacks to more than"):
        list_archive(data, label="pax.tar.gz")


def test_the_budget_scales_with_the_archive() -> None:
    assert unpacked_budget(1000) == RATIO_FLOOR
    assert unpacked_budget(10 * MiB) == MAX_RATIO * 10 * MiB
    assert unpacked_budget(100 * MiB) == 4 * 1024**3


def _utf8_flagged_with_a_bad_name() -> bytes:
    data = zip_of({"podium.toml": MANIFEST, "ab\u00e9.txt": b"x"})
    return data.replace("ab\u00e9".encode(), b"ab\xc3\x28")


def _bad_crc() -> bytes:
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("podium.toml", MANIFEST)
        archive.writestr("f.bin", b"hello world" * 10)
    stored = bytearray(raw.getvalue())
    stored[stored.find(b"hello world")] ^= 0xFF
    return bytes(stored)


def _tar_with_a_file_twice() -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as archive:
        for name, body in [("podium.toml", MANIFEST), ("m.bin", b"1"), ("m.bin", b"2")]:
            info = tarfile.TarInfo(name)
            info.size = len(body)
            archive.addfile(info, io.BytesIO(body))
    return raw.getvalue()


def _zip_with_mode(name: str, mode: int) -> bytes:
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w") as archive:
        archive.writestr("podium.toml", MANIFEST)
        info = zipfile.ZipInfo(name)
        info.external_attr = mode << 16
        archive.writestr(info, b"/etc/passwd")
    return raw.getvalue()


HOSTILE = {
    "a file named '.'": (zip_of({"podium.toml": MANIFEST, ".": b"x"}), "without a name"),
    "a then a/b": (
        zip_of({"podium.toml": MANIFEST, "a": b"x", "a/b": b"y"}),
        "'a/b' inside 'a', which it also holds as a file",
    ),
    "a/b then a": (
        zip_of({"podium.toml": MANIFEST, "a/b": b"y", "a": b"x"}),
        "twice .as a file and as a folder.",
    ),
    "a file twice": (_tar_with_a_file_twice(), "'m.bin' twice"),
    "utf-8 flag, invalid name": (_utf8_flagged_with_a_bad_name(), "marked UTF-8 but is not"),
    "bad crc": (_bad_crc(), "damaged or not readable .Bad CRC-32"),
    "control character": (zip_of({"podium.toml": MANIFEST, "a\nb": b"x"}), "control character"),
    "symlink in a zip": (_zip_with_mode("link", stat.S_IFLNK | 0o777), "symbolic link"),
    "dotdot": (zip_of({"podium.toml": MANIFEST, "a/../../x": b"x"}), "outside its folder"),
    "absolute": (zip_of({"podium.toml": MANIFEST, "/etc/x": b"x"}), "outside its folder"),
    "huge podium.toml": (zip_of({"podium.toml": b"#" * 70_000}), "may hold at most 65536"),
    "deeply nested podium.toml": (
        zip_of({"podium.toml": b"x = " + b"[" * 60_000}),
        "nested too deeply",
    ),
    "no podium.toml": (zip_of({"predict.py": b"print(1)"}), "no podium.toml"),
    "truncated": (zip_of({"podium.toml": MANIFEST})[:-30], "not a .zip|damaged"),
    "empty": (b"", "not a .zip"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_entries_are_refused_with_a_message(case: str, tmp_path: Path) -> None:
    data, needle = HOSTILE[case]
    _refused(data, needle, tmp_path)


def test_the_top_folder_entry_and_one_nested_folder_are_fine(tmp_path: Path) -> None:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as archive:
        top = tarfile.TarInfo("./")
        top.type = tarfile.DIRTYPE
        archive.addfile(top)
        for name, body in {"./sub/podium.toml": MANIFEST, "./sub/run.sh": b"echo"}.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(body), 0o755
            archive.addfile(info, io.BytesIO(body))
    folder = unpack(raw.getvalue(), tmp_path / "out")
    assert folder == tmp_path / "out" / "sub"
    assert (folder / "podium.toml").read_bytes() == MANIFEST
    assert (folder / "run.sh").stat().st_mode & 0o111
