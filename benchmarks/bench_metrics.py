"""Time podium's span_f1 against seqeval's f1_score on 500k+ real PAN-X tokens.

Run from the project root: ``python benchmarks/bench_metrics.py``. It repeats the PAN-X dev
files of the shared XTREME sample (../shared/xtreme-sample, or --sample) until there are
enough tokens, perturbs a share of the tags to make predictions, checks that both give the
same score, and prints the median times of a few runs in this process.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from itertools import chain, islice
from pathlib import Path

import numpy as np

from podium.metrics import span_f1

SAMPLE = Path(__file__).resolve().parents[1].parent / "shared" / "xtreme-sample"
LABELS = ("O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC")


def read_tagged(path: Path) -> list[list[str]]:
    """`token<TAB>tag` lines, a blank line between sentences."""
    sentences: list[list[str]] = [[]]
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            sentences[-1].append(line.rsplit("\t", 1)[1])
        elif sentences[-1]:
            sentences.append([])
    return [s for s in sentences if s]


def perturb(gold: list[list[str]], share: float, seed: int) -> list[list[str]]:
    """Predictions: a share of the tags replaced by random PAN-X labels, reproducibly."""
    rng = np.random.default_rng(seed)
    tags = list(chain.from_iterable(gold))
    replace = (rng.random(len(tags)) < share).tolist()
    labels = [LABELS[i] for i in rng.integers(len(LABELS), size=len(tags))]
    flat = iter([b if r else a for a, r, b in zip(tags, replace, labels, strict=True)])
    return [list(islice(flat, len(sentence))) for sentence in gold]


def median_seconds(run: Callable[[], float], repeats: int) -> tuple[float, float]:
    """The result of ``run`` and its median wall time over ``repeats`` runs."""
    times, result = [], 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return result, statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=Path, default=SAMPLE, help="the xtreme-sample folder")
    parser.add_argument("--tokens", type=int, default=500_000, help="at least this many tokens")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of seqeval")
    parser.add_argument("--share", type=float, default=0.1, help="share of tags perturbed")
    args = parser.parse_args(argv)

    files = sorted((args.sample / "panx").glob("dev-*.tsv"))
    if not files:
        print(
            f"no PAN-X dev files under {args.sample}/panx: the shared XTREME sample is missing;"
            " pass --sample PATH to point at it",
            file=sys.stderr,
        )
        return 2
    try:
        from seqeval.metrics import f1_score
    except ImportError:
        print("seqeval is not installed: pip install -e '.[test]'", file=sys.stderr)
        return 2

    one_copy = [sentence for path in files for sentence in read_tagged(path)]
    copies = -(-args.tokens // sum(map(len, one_copy)))
    gold = [list(sentence) for _ in range(copies) for sentence in one_copy]
    pred = perturb(gold, args.share, seed=0)
    n_tokens = sum(map(len, gold))

    def seqeval_f1() -> float:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return 100 * float(f1_score(gold, pred))

    ours, our_time = median_seconds(lambda: span_f1(gold, pred), repeats=args.repeats * 3)
    theirs, their_time = median_seconds(seqeval_f1, repeats=args.repeats)
    if ours != theirs:
        print(f"MISMATCH: podium {ours!r} != seqeval {theirs!r}", file=sys.stderr)
        return 1
    print(f"tokens:  {n_tokens:,} in {len(gold):,} sentences ({len(files)} PAN-X files x {copies})")
    print(f"F1:      {ours:.6f} from both")
    print(f"podium:  {our_time * 1000:8.1f} ms (median of {args.repeats * 3})")
    print(f"seqeval: {their_time * 1000:8.1f} ms (median of {args.repeats})")
    print(f"podium is {their_time / our_time:.1f}x faster than seqeval")
    return 0


if __name__ == "__main__":
    sys.exit(main())
