"""Hostile archives, built byte by byte and fast: what an attacker would upload."""

from __future__ import annotations

import gzip
import io
import struct
import tarfile
import zipfile
import zlib

MiB = 1024**2
MANIFEST = b'[submission]\ncommand = "python predict.py"\n'


def zip_of(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def tar_of(entries: dict[str, bytes], mode: str = "w:gz") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as archive:  # type: ignore[call-overload]
        for name, data in entries.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return bytes(buffer.getvalue())


def _zeros_deflate(mib: int) -> bytes:
    """A raw deflate stream of `mib` MiB of zeros without compressing them all: after a full
    flush the compressor starts afresh, so every further MiB compresses to the same bytes."""
    zeros = b"\0" * MiB
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = packer.compress(zeros) + packer.flush(zlib.Z_FULL_FLUSH)
    block = packer.compress(zeros) + packer.flush(zlib.Z_FULL_FLUSH)
    return first + block * (mib - 1) + packer.flush()


def zeros_crc(mib: int, crc: int = 0) -> int:
    for _ in range(mib):
        crc = zlib.crc32(b"\0" * MiB, crc)
    return crc


def zeros_zip(mib: int, *, manifest: bool, right_crc: bool = False) -> bytes:
    """A zip holding `mib` MiB of zeros in one deflated entry (about 1 KB per MiB), and a
    podium.toml or not. Its CRC is left wrong unless asked: only extracting would notice."""
    entries: list[tuple[bytes, bytes, int, int, int]] = []  # name, data, method, size, crc
    if manifest:
        entries.append((b"podium.toml", MANIFEST, 0, len(MANIFEST), zlib.crc32(MANIFEST)))
    crc = zeros_crc(mib) if right_crc else 0
    entries.append((b"zeros.bin", _zeros_deflate(mib), 8, mib * MiB, crc))
    out, central = io.BytesIO(), io.BytesIO()
    for name, data, method, size, crc in entries:
        offset = out.tell()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0x5021,
                              crc, len(data), size, len(name), 0))  # fmt: skip
        out.write(name + data)
        central.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0,
                                  0x5021, crc, len(data), size, len(name), 0, 0, 0, 0,
                                  0o100644 << 16, offset))  # fmt: skip
        central.write(name)
    start, directory = out.tell(), central.getvalue()
    out.write(directory)
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries),
                          len(directory), start, 0))  # fmt: skip
    return out.getvalue()


def tar_declaring(size: int) -> bytes:
    """A tar.gz whose one member declares `size` bytes but whose data stops right after its
    header: anything that reads on (getmembers(), extraction) fails loudly."""
    info = tarfile.TarInfo("zeros.bin")
    info.size = size
    return gzip.compress(info.tobuf(format=tarfile.GNU_FORMAT))


def zeros_targz(members: int, mib: int) -> bytes:
    """A valid tar.gz of `members` files of `mib` MiB of zeros, built in milliseconds."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    block, body, crc, size = b"", io.BytesIO(), 0, 0
    for i in range(members):
        info = tarfile.TarInfo(f"zeros{i}.bin")
        info.size = mib * MiB
        header = info.tobuf(format=tarfile.GNU_FORMAT)
        body.write(packer.compress(header) + packer.flush(zlib.Z_FULL_FLUSH))
        crc, size = zlib.crc32(header, crc), size + len(header)
        block = block or packer.compress(b"\0" * MiB) + packer.flush(zlib.Z_FULL_FLUSH)
        body.write(block * mib)
        crc, size = zeros_crc(mib, crc), size + mib * MiB
    end = b"\0" * 1024
    body.write(packer.compress(end) + packer.flush())
    crc, size = zlib.crc32(end, crc), size + len(end)
    head = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    return head + body.getvalue() + struct.pack("<II", crc, size & 0xFFFFFFFF)


class CountingReader(io.BytesIO):
    """An in-memory file that counts the bytes read from it."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        count = super().readinto(buffer)
        self.bytes_read += count
        return count
