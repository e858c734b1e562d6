"""What the intake scan (sealed text and code fingerprints) costs on a large archive, measured
in one run on this machine against the named peer: the plain intake of the same archive
(listing, budgeted extraction, podium.toml) without the scan.

Two archives of `--mib` MiB (default 500) are checked, each in a fresh process so that its
peak memory is its own, `--repeats` times interleaved:

- model: 80% incompressible weights (binary: the scan reads their first 8 KiB), 20% text
  (training-like data, a tenth of it gzipped inside a tar), a few code files;
- text: all text, the scan's worst case (every byte is read and hashed).

The sealed index is built from the XTREME sample's test texts when it is there
(`../shared/xtreme-sample`, or `$PODIUM_SAMPLE`; else from generated sentences). Printed: medians and spread of seconds, peak RSS, and the ratios of
scanned to plain intake; the scan's byte budget for the archive (`members.scan_limit`).

    .venv/bin/python benchmarks/bench_intake_scan.py [--mib 500] [--repeats 3]
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import resource
import statistics
import tarfile
import tempfile
import time
import zipfile
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLE = Path(os.environ.get("PODIUM_SAMPLE", REPO.parent / "shared" / "xtreme-sample"))
MiB = 1024**2


def sealed_files(folder: Path) -> list[Path]:
    """Sealed inputs as JSONL: the sample's test texts, or generated sentences."""
    out = folder / "sealed.jsonl"
    with out.open("w", encoding="utf-8") as handle:
        if SAMPLE.is_dir():
            for path in sorted(SAMPLE.glob("*/test-*.tsv")) + sorted(SAMPLE.glob("xnli/dev-*.tsv")):
                for n, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
                    handle.write(json.dumps({"id": f"{path.stem}-{n}", "text": line}) + "\n")
        else:
            for n in range(20_000):
                words = " ".join(f"w{(n * 7919 + k * 104729) % 50_000}" for k in range(12))
                handle.write(json.dumps({"id": str(n), "text": words}) + "\n")
    return [out]


def text_block(size: int) -> bytes:
    """Training-like text (never the sealed texts): the sample's train files, or words."""
    if SAMPLE.is_dir():
        seed = b"".join(p.read_bytes() for p in sorted(SAMPLE.glob("*/train-*.tsv")))
    else:
        seed = b" ".join(b"word%d" % (n % 5000) for n in range(200_000))
    return (seed * (size // len(seed) + 1))[:size]


def build(kind: str, mib: int, folder: Path) -> Path:
    """A zip of `mib` MiB (stored: weights do not compress, and the size stays `mib`)."""
    target = folder / f"{kind}.zip"
    total = mib * MiB
    text = total if kind == "text" else total // 5
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("podium.toml", '[submission]\ncommand = "python predict.py"\n')
        for path in sorted((REPO / "examples" / "perceptron").glob("*.py")):
            archive.writestr(path.name, path.read_bytes())
        nested = io.BytesIO()
        with tarfile.open(fileobj=nested, mode="w") as tar:
            data = gzip.compress(text_block(text // 10), compresslevel=1)
            info = tarfile.TarInfo("cache/extra.tsv.gz")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        archive.writestr("data/nested.tar", nested.getvalue())
        archive.writestr("data/train.tsv", text_block(text - text // 10))
        for n in range((total - text) // (64 * MiB) + 1):
            size = min(64 * MiB, total - text - n * 64 * MiB)
            if size > 0:
                archive.writestr(f"weights/part-{n}.bin", os.urandom(size))
    return target


def measure(archive: str, index_file: str | None, scratch: str) -> tuple[float, int, int]:
    """In a fresh process: seconds of the check (with the scan when given an index), the
    process's peak RSS in bytes, and the bytes the scan read."""
    from podium.submission.codeprints import folder_prints
    from podium.submission.intake import check_archive
    from podium.submission.members import ScanBudget, scan_limit
    from podium.submission.sealed import SealedIndex, scan_folder

    path = Path(archive)
    scanned = [0]
    inspect = None
    if index_file is not None:
        index = SealedIndex.load(Path(index_file))

        def inspect(folder: Path) -> None:
            budget = ScanBudget(scan_limit(path.stat().st_size))
            scan_folder(folder, index, budget)
            folder_prints(folder)
            scanned[0] = budget.used

    started = time.perf_counter()
    check_archive(path, where=archive, scratch=Path(scratch), inspect=inspect)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return seconds, peak, scanned[0]


def fresh(archive: Path, index: Path | None, scratch: Path) -> tuple[float, int, int]:
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(measure, str(archive), index and str(index), str(scratch)).result()


def spread(values: list[float]) -> str:
    mid = statistics.median(values)
    return f"{mid:7.2f} (±{(max(values) - min(values)) / 2 / mid * 100 if mid else 0:.0f}%)"


def main() -> None:
    from podium.submission.members import scan_limit
    from podium.submission.sealed import build_index

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mib", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        index = build_index(sealed_files(folder))
        index.save(folder / "index.npz")
        print(f"sealed index: {index.texts} texts; scan budget for {args.mib} MiB: "
              f"{scan_limit(args.mib * MiB) / MiB:.0f} MiB read at most")  # fmt: skip
        for kind in ("model", "text"):
            archive = build(kind, args.mib, folder)
            plain: list[tuple[float, int, int]] = []
            scan: list[tuple[float, int, int]] = []
            for _ in range(args.repeats):  # interleaved: the machine's load falls on both
                plain.append(fresh(archive, None, folder))
                scan.append(fresh(archive, folder / "index.npz", folder))
            p_s, s_s = [m[0] for m in plain], [m[0] for m in scan]
            p_m, s_m = [m[1] / MiB for m in plain], [m[1] / MiB for m in scan]
            size = archive.stat().st_size / MiB
            print(
                f"\n{kind} archive ({size:.0f} MiB), {args.repeats} repeats, median (± half range)"
            )
            print(f"  plain intake   {spread(p_s)} s   peak RSS {spread(p_m)} MiB")
            print(f"  with the scan  {spread(s_s)} s   peak RSS {spread(s_m)} MiB   "
                  f"read {statistics.median(m[2] for m in scan) / MiB:.0f} MiB")  # fmt: skip
            print(f"  ratio scan/plain: time {statistics.median(s_s) / statistics.median(p_s):.2f}x, "
                  f"peak memory {statistics.median(s_m) / statistics.median(p_m):.2f}x")  # fmt: skip
            archive.unlink()


if __name__ == "__main__":
    main()
