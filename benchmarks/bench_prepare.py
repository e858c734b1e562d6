"""What `podium data prepare` costs on a full-size XTREME folder: memory and time, new vs old.

Generates (into a temporary folder, deleted afterwards) an XTREME-format folder for xnli,
pawsx, udpos and panx with every language and XTREME's split sizes: XNLI train-en 392,702
pairs, dev 2,490 and test 5,010 per language; PAWS-X train-en 49,401, dev and test 2,000; PAN-X
the train/dev/test sizes of its 40 languages (Rahimi et al.'s splits, as XTREME ships them);
UD-POS treebank sizes close to UD 2.5's per language. Text is synthetic: a seeded RNG over a
vocabulary per language, XNLI premises with three hypotheses, dev and test files that are
line-by-line "translations" (same line, same label, in every language), 1% duplicate lines.

Then `podium data prepare` runs on it in a subprocess, its peak RSS taken from `os.wait4`:
first this checkout (streaming), then the named peer, the in-memory prepare of the base commit
(`git archive` of its src/, run with the same interpreter), on the same folder and seed. The
two manifests must list the same sha256 for every file.

    .venv/bin/python benchmarks/bench_prepare.py [--repeats 3] [--peer-repeats 1] [--scale 1]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from podium.tasks.xtreme import (
    PANX_LANGUAGES,
    PANX_TAGS,
    PAWSX_LANGUAGES,
    UDPOS_LANGUAGES,
    UPOS_TAGS,
    XNLI_LANGUAGES,
)

REPO = Path(__file__).resolve().parents[1]
BASE = "f69377b"  # main before streaming: the in-memory prepare
NLI = ("entailment", "neutral", "contradiction")
# PAN-X (train, dev, test): 20k/10k/10k unless listed
PANX_SIZES = {"af": (5000, 1000, 1000), "bn": (10000, 1000, 1000), "et": (15000, 10000, 10000),
              "eu": (10000, 10000, 10000), "hi": (5000, 1000, 1000), "jv": (100, 100, 100),
              "ka": (10000, 10000, 10000), "kk": (1000, 1000, 1000), "ml": (10000, 1000, 1000),
              "mr": (5000, 1000, 1000), "ms": (20000, 1000, 1000), "my": (100, 100, 100),
              "sw": (1000, 1000, 1000), "ta": (15000, 1000, 1000), "te": (1000, 1000, 1000),
              "tl": (100, 1000, 1000), "ur": (20000, 1000, 1000), "yo": (100, 100, 100)}  # fmt: skip
# UD-POS (train, dev, test), close to UD 2.5 with a language's treebanks pooled
UDPOS_SIZES = {"af": (1315, 194, 425), "ar": (6075, 909, 1680), "bg": (8907, 1115, 1116),
               "de": (13814, 799, 977), "el": (1662, 403, 456), "en": (21253, 3974, 5440),
               "es": (28492, 3054, 3147), "et": (25749, 3125, 3760), "eu": (5396, 1798, 1799),
               "fa": (4798, 599, 600), "fi": (27198, 3239, 4422), "fr": (47308, 5979, 9465),
               "he": (5241, 484, 491), "hi": (13304, 1659, 2684), "hu": (910, 441, 449),
               "id": (4477, 559, 1557), "it": (29685, 2278, 3518), "ja": (7125, 511, 2372),
               "kk": (31, 0, 1047), "ko": (27410, 3016, 4276), "mr": (373, 46, 47),
               "nl": (18051, 1394, 1471), "pt": (17992, 1770, 2681), "ru": (67435, 9960, 11336),
               "ta": (400, 80, 120), "te": (1051, 131, 146), "th": (0, 0, 1000),
               "tl": (0, 0, 55), "tr": (3664, 988, 4785), "ur": (4043, 552, 535),
               "vi": (1400, 800, 800), "yo": (0, 0, 100), "zh": (18998, 1800, 6452)}  # fmt: skip


class Writer:
    """Synthetic text from a seeded RNG and one vocabulary per language."""

    def __init__(self, seed: int, scale: float) -> None:
        self.rng = random.Random(seed)
        self.scale = scale
        letters = "abcdefghijklmnoprstuvwyzáéíóúöü"
        self.vocab = {
            lang: [
                "".join(self.rng.choices(letters, k=self.rng.randint(2, 9))) for _ in range(6000)
            ]
            for lang in {*XNLI_LANGUAGES, *PANX_LANGUAGES, *UDPOS_LANGUAGES, *PAWSX_LANGUAGES}
        }

    def n(self, size: int) -> int:
        return max(min(size, 50), round(size * self.scale))  # every split stays fillable

    def text(self, lang: str, words: int) -> str:
        return " ".join(self.rng.choices(self.vocab[lang], k=words))

    def pairs(self, path: Path, rows: list[tuple[str, str, str]]) -> int:
        rows = rows + rows[: len(rows) // 100]  # 1% duplicate lines
        path.write_text("".join(f"{a}\t{b}\t{label}\n" for a, b, label in rows), encoding="utf-8")
        return len(rows)

    def tagged(self, path: Path, lang: str, count: int, length: int, tags: tuple[str, ...]) -> int:
        lines = [f"{w}\t{self.rng.choice(tags)}\n" for w in self.vocab[lang][:3000]]
        sentences = [
            "".join(self.rng.choices(lines, k=self.rng.randint(2, 2 * length))) + "\n"
            for _ in range(count)
        ]
        sentences += sentences[: count // 100]
        path.write_text("".join(sentences), encoding="utf-8")
        return len(sentences)


def generate(root: Path, seed: int = 7, scale: float = 1.0) -> int:
    """The four tasks' folders; returns the number of examples written."""
    w, total = Writer(seed, scale), 0
    for task in ("xnli", "pawsx", "udpos", "panx"):
        (root / task).mkdir(parents=True)
    premises = [w.text("en", 18) for _ in range(w.n(392_702) // 3)]
    train = [(p, w.text("en", 9), label) for p in premises for label in NLI]
    total += w.pairs(root / "xnli" / "train-en.tsv", train)
    total += _aligned(w, root / "xnli", XNLI_LANGUAGES, {"dev": 2490, "test": 5010}, NLI, 18)
    paws = [(w.text("en", 20), w.text("en", 20), w.rng.choice("01")) for _ in range(w.n(49_401))]
    total += w.pairs(root / "pawsx" / "train-en.tsv", paws)
    total += _aligned(w, root / "pawsx", PAWSX_LANGUAGES, {"dev": 2000, "test": 2000}, "01", 20)
    for task, langs, sizes, length, tags in (
        ("udpos", UDPOS_LANGUAGES, UDPOS_SIZES, 9, UPOS_TAGS),
        ("panx", PANX_LANGUAGES, PANX_SIZES, 4, PANX_TAGS),
    ):
        for lang in langs:
            shares = sizes.get(lang, (20000, 10000, 10000))
            for split, size in zip(("train", "dev", "test"), shares, strict=True):
                if w.n(size):
                    path = root / task / f"{split}-{lang}.tsv"
                    total += w.tagged(path, lang, w.n(size), length, tags)
    return total


def _aligned(
    w: Writer, folder: Path, langs: tuple[str, ...], sizes: dict[str, int], labels: object, n: int
) -> int:
    """Dev and test files that are translations of each other: one label per line."""
    total = 0
    for split, size in sizes.items():
        gold = [w.rng.choice(labels) for _ in range(w.n(size))]  # type: ignore[call-overload]
        for lang in langs:
            rows = [(w.text(lang, n), w.text(lang, n // 2), label) for label in gold]
            total += w.pairs(folder / f"{split}-{lang}.tsv", rows)
    return total


def run(python_path: Path, cup: Path, data: Path) -> tuple[float, float, dict[str, str]]:
    """Seconds, peak RSS in MB and the manifest's files of one `podium data prepare`."""
    env = {**os.environ, "PYTHONPATH": str(python_path)}
    code = "import sys; from podium.cli.main import main; sys.argv[0] = 'podium'; main()"
    args = ["data", "prepare", "-c", str(cup), "--source", str(data), "--force", "--json"]
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, *args], env=env, stdout=subprocess.PIPE)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"prepare failed ({status}) with PYTHONPATH={python_path}")
    manifest = json.loads((cup / "sealed" / "manifest.json").read_text())
    assert json.loads(out)["files"] == manifest["files"]
    return seconds, usage.ru_maxrss / 1024, manifest["files"]


def base_source(tmp: Path, commit: str) -> Path:
    """The base commit's src/ folder, unpacked from `git archive`."""
    archive = tmp / "base.tar"
    with archive.open("wb") as out:
        subprocess.run(["git", "-C", str(REPO), "archive", commit, "src"], stdout=out, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(tmp / "base", filter="data")
    return tmp / "base" / "src"


def summary(name: str, runs: list[tuple[float, float, dict[str, str]]]) -> tuple[float, float]:
    secs, mbs = [r[0] for r in runs], [r[1] for r in runs]
    wall, peak = statistics.median(secs), statistics.median(mbs)
    print(f"{name:>24}: {wall:6.1f} s (min {min(secs):.1f}, max {max(secs):.1f})  "
          f"peak RSS {peak:6.0f} MB (min {min(mbs):.0f}, max {max(mbs):.0f})  n={len(runs)}")  # fmt: skip
    return wall, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--peer-repeats", type=int, default=1, help="0 skips the old prepare")
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of XTREME's sizes")
    parser.add_argument("--base", default=BASE, help="commit of the in-memory prepare")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-prepare-") as tmp_name:
        tmp = Path(tmp_name)
        started = time.perf_counter()
        examples = generate(tmp / "data", scale=args.scale)
        size = sum(p.stat().st_size for p in (tmp / "data").rglob("*.tsv"))
        files = len(list((tmp / "data").rglob("*.tsv")))
        print(f"generated {size / 1e6:.0f} MB in {files} files, {examples:,} examples "
              f"({time.perf_counter() - started:.0f} s)")  # fmt: skip
        cup = tmp / "cup"
        subprocess.run([Path(sys.executable).parent / "podium", "init", str(cup)], check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
        new = [run(REPO / "src", cup, tmp / "data") for _ in range(args.repeats)]
        wall, peak = summary("streaming (this tree)", new)
        print(f"{'':>24}  {peak / 1024:.2f} GB peak, {peak * 2**20 / size:.1f}x the data")
        if args.peer_repeats:
            old_src = base_source(tmp, args.base)
            old = [run(old_src, cup, tmp / "data") for _ in range(args.peer_repeats)]
            old_wall, old_peak = summary(f"in memory ({args.base})", old)
            same = all(r[2] == old[0][2] for r in new)
            print(
                f"{'':>24}  {old_peak / 1024:.2f} GB peak, {old_peak * 2**20 / size:.1f}x the data"
            )
            print(f"ratios new/old: time {wall / old_wall:.2f}, peak memory {peak / old_peak:.2f}")
            print(f"same sha256 for all {len(old[0][2])} files: {'yes' if same else 'NO'}")
            if not same:
                raise SystemExit(1)
        ok = peak <= 1.5 * 1024 and wall <= 120
        print(f"targets (<= 1.5 GB, <= 2 min): {'met' if ok else 'MISSED'}")


if __name__ == "__main__":
    main()
