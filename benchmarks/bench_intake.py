"""What refusing a hostile upload costs, measured in one run on this machine.

1. A zip of 1 GiB of zeros (about 1 MB) without podium.toml: podium's check (the listing
   first) vs extracting it first with `ZipFile.extractall` (the named peer: what a check
   that unpacks before it looks costs), with the bytes each writes.
2. A tar.gz of 4 x 256 MiB of zeros (about 1 MB): podium's listing, which stops at the first
   header over the budget, vs `TarFile.getmembers()` (the peer: walking every header first).
3. For scale, podium's whole check of an honest archive (the constant submission).

    .venv/bin/python benchmarks/bench_intake.py [--mib 1024]
"""

from __future__ import annotations

import argparse
import io
import sys
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

from podium.core.errors import SubmissionError
from podium.submission.archive import pack_folder
from podium.submission.intake import check_archive

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.archives import zeros_targz, zeros_zip  # noqa: E402  (the tests' hostile archives)
from tests.conftest import CONSTANT_PREDICT, write_submission  # noqa: E402


def written(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def timed(work: Callable[[Path], object]) -> tuple[float, int, str]:
    """Seconds, bytes written to a scratch folder, and the outcome."""
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        try:
            outcome = f"accepted ({work(Path(tmp))!s:.40})"
        except SubmissionError as err:
            outcome = f"refused: {err.what[:70]}"
        seconds = time.perf_counter() - started
        return seconds, written(Path(tmp)), outcome


def walk(data: bytes) -> int:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        return len(archive.getmembers())


def podium_check(data: bytes) -> Callable[[Path], object]:
    return lambda tmp: check_archive(data, where="upload", scratch=tmp)


def report(what: str, size: int, ours: tuple[float, int, str], peer: tuple[float, int, str],
           peer_name: str) -> None:  # fmt: skip
    print(f"\n{what} ({size / 2**20:.1f} MiB archive)")
    print(f"  podium  {ours[0] * 1000:9.1f} ms  {ours[1] / 2**20:8.1f} MiB written  {ours[2]}")
    print(
        f"  {peer_name:7} {peer[0] * 1000:9.1f} ms  {peer[1] / 2**20:8.1f} MiB written  {peer[2]}"
    )
    print(f"  the peer takes {peer[0] / max(ours[0], 1e-9):,.0f}x as long")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mib", type=int, default=1024, help="MiB of zeros in each bomb")
    args = parser.parse_args()

    bomb = zeros_zip(args.mib, manifest=False, right_crc=True)
    ours = timed(podium_check(bomb))
    peer = timed(lambda tmp: zipfile.ZipFile(io.BytesIO(bomb)).extractall(tmp))
    report(f"zip of {args.mib} MiB of zeros, no podium.toml", len(bomb), ours, peer, "extract")

    members = 4
    tar = zeros_targz(members, args.mib // members)
    ours = timed(podium_check(tar))
    peer = timed(lambda _: walk(tar))
    report(f"tar.gz of {members} x {args.mib // members} MiB of zeros", len(tar), ours, peer,
           "walk")  # fmt: skip

    with tempfile.TemporaryDirectory() as tmp:
        honest = pack_folder(write_submission(Path(tmp) / "constant", CONSTANT_PREDICT))
    seconds, _, outcome = timed(podium_check(honest))
    print(f"\nan honest archive ({len(honest)} bytes): {seconds * 1000:.1f} ms, {outcome}")


if __name__ == "__main__":
    main()
