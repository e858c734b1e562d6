"""Hypothesis-built archives against the upload parser: every archive is either accepted or
refused with a SubmissionError (a 422 with a message), never anything else (a 500)."""

from __future__ import annotations

import io
import tarfile
import tempfile
import warnings
import zipfile
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from podium.core.errors import SubmissionError
from podium.submission.intake import check_archive

from ..archives import MANIFEST

FUZZ = settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
PARTS = [
    "podium.toml",
    "a",
    "b",
    "sub",
    ".",
    "..",
    "",
    "é",
    "名",
    "a b",
    "x" * 300,
    "\n",
    "\\",
    "\udcff",
]  # fmt: skip  (the last: a byte that is not UTF-8, as tarfile reads it)
KINDS = ["file", "dir", "symlink", "hardlink", "fifo"]
TOMLS = [
    MANIFEST,
    b"",
    b"[submission]\n",
    b"\xff\xfe",
    b"x = " + b"[" * 5000,
    b'x = "' + b"y" * 100,
]

names = st.lists(st.sampled_from(PARTS), min_size=1, max_size=4).map("/".join)
entries = st.lists(
    st.tuples(names, st.sampled_from(KINDS), st.binary(max_size=64) | st.sampled_from(TOMLS)),
    max_size=6,
)
formats = st.sampled_from(["zip", "zip-stored", "tar", "tar.gz", "tar.bz2", "tar.xz"])
damage = st.lists(st.tuples(st.integers(0, 2**16), st.integers(1, 255)), max_size=2)


def _zip(items: list[tuple[str, str, bytes]], stored: bool) -> bytes:
    buffer = io.BytesIO()
    method = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(buffer, "w", method) as archive, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names are one of the things to try
        for name, kind, data in items:
            if "\udcff" in name:
                continue  # zip names are text; only a tar can carry raw bytes
            info = zipfile.ZipInfo(name + ("/" if kind == "dir" else ""))
            info.external_attr = {"symlink": 0o120777, "fifo": 0o010644}.get(kind, 0o100644) << 16
            archive.writestr(info, b"" if kind == "dir" else data)
    return buffer.getvalue()


def _tar(items: list[tuple[str, str, bytes]], mode: str) -> bytes:
    buffer = io.BytesIO()
    types = {"dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE, "hardlink": tarfile.LNKTYPE,
             "fifo": tarfile.FIFOTYPE}  # fmt: skip
    with tarfile.open(fileobj=buffer, mode=mode, errors="surrogateescape") as archive:  # type: ignore[call-overload]
        for name, kind, data in items:
            info = tarfile.TarInfo(name)
            info.type = types.get(kind, tarfile.REGTYPE)
            info.linkname = "podium.toml" if kind in ("symlink", "hardlink") else ""
            info.size = len(data) if info.type == tarfile.REGTYPE else 0
            archive.addfile(info, io.BytesIO(data) if info.size else None)
    return bytes(buffer.getvalue())


def _build(fmt: str, items: list[tuple[str, str, bytes]]) -> bytes:
    if fmt.startswith("zip"):
        return _zip(items, stored=fmt == "zip-stored")
    return _tar(items, {"tar": "w", "tar.gz": "w:gz", "tar.bz2": "w:bz2", "tar.xz": "w:xz"}[fmt])


def _judge(data: bytes) -> str:
    """'accepted' or the refusal; anything but a SubmissionError fails the test."""
    with tempfile.TemporaryDirectory() as scratch:
        try:
            check_archive(data, where="fuzz.zip", scratch=Path(scratch))
        except SubmissionError as err:
            assert err.message.strip()
            err.message.encode("utf-8")  # printable in a JSON response
            return err.what.split("(")[0][:40]
    return "accepted"


@FUZZ
@given(fmt=formats, manifest=st.booleans(), items=entries)
def test_generated_archives_are_accepted_or_refused_cleanly(
    fmt: str, manifest: bool, items: list[tuple[str, str, bytes]]
) -> None:
    head = [("podium.toml", "file", MANIFEST)] if manifest else []
    event(_judge(_build(fmt, head + items)))  # pytest --hypothesis-show-statistics


@FUZZ
@given(fmt=formats, items=entries, flips=damage, cut=st.sampled_from([0, 0, 1, 7, 22, 100]))
def test_damaged_archives_are_accepted_or_refused_cleanly(
    fmt: str, items: list[tuple[str, str, bytes]], flips: list[tuple[int, int]], cut: int
) -> None:
    data = bytearray(_build(fmt, [("podium.toml", "file", MANIFEST), *items]))
    for position, mask in flips:
        data[position % len(data)] ^= mask
    event(_judge(bytes(data[: max(len(data) - cut, 0)])))


@FUZZ
@given(
    magic=st.sampled_from(
        [b"PK\x03\x04", b"PK\x05\x06", b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00", b""]
    ),
    body=st.binary(max_size=2048),
)
def test_random_bytes_behind_an_archive_magic_are_refused_cleanly(
    magic: bytes, body: bytes
) -> None:
    event(_judge(magic + body))


def test_an_honest_archive_passes() -> None:
    assert (
        _judge(_build("tar.gz", [("podium.toml", "file", MANIFEST), ("p.py", "file", b"print(1)")]))
        == "accepted"
    )
