"""Measure the baseline kit's efficiency techniques against their plain alternatives.

Run from the project root: ``python benchmarks/bench_baseline.py [--sample DIR]``. It builds a
throw-away competition from the shared XTREME sample (../shared/xtreme-sample), then, each
technique against its plain peer in the same run:

1. parallel (2 processes) vs serial tokenisation of the whole training data;
2. packing vs length buckets vs plain padding: share of pad tokens and real tokens/s of
   training steps (forward + backward) on the same sampled data, and the dev score each layout
   reaches with the same time budget;
3. bf16 vs fp32 inference over the dev data (records/s and the dev score of each).

Medians of a few repeats; ratios are peer time / technique time (> 1: the technique is
faster). Never part of the test suite: its numbers depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from podium.baseline.corpus import load_corpus
from podium.baseline.inference import Predictor
from podium.baseline.model import TinySize, build_model
from podium.baseline.tokenizer import encode_parallel
from podium.baseline.training import (
    TrainOptions,
    TrainStream,
    dev_scores,
    fit,
    make_batches,
    task_means,
    train_samples,
)
from podium.metrics import mean
from podium.service import Podium, init_competition

SAMPLE = Path(__file__).resolve().parents[1].parent / "shared" / "xtreme-sample"


def median_time(fn: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def overall(scores: dict[tuple[str, str], float]) -> str:
    means = task_means(scores)
    parts = ", ".join(f"{t} {v:.1f}" for t, v in means.items())
    return f"{mean(means.values()):.2f} ({parts})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=Path, default=SAMPLE)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--train-seconds", type=float, default=60.0, help="per layout")
    parser.add_argument("--steps", type=int, default=8, help="timed training steps per layout")
    args = parser.parse_args()
    if not args.sample.is_dir():
        raise SystemExit(f"the XTREME sample is not at {args.sample}; pass --sample DIR")
    torch.set_num_threads(2)
    with tempfile.TemporaryDirectory(prefix="bench-baseline-") as tmp:
        root = Path(tmp) / "cup"
        init_competition(root, source=str(args.sample.resolve()))
        podium = Podium.open(root)
        podium.setup.prepare_data()
        podium.close()
        corpus = load_corpus(root)
        size = TinySize(layers=4, hidden=128, heads=2, intermediate=512, vocab=8000)
        net, tokenizer = build_model("tiny", corpus, size=size, max_len=128)
        print(f"sample: {args.sample}; tiny encoder 4x128; torch threads 2\n")

        # 1. tokenisation
        items = [ex for examples in corpus.train.values() for ex in examples]
        unk = net.config.specials.unk
        serial = median_time(lambda: encode_parallel(tokenizer, items, unk, 1), args.repeats)
        parallel = median_time(lambda: encode_parallel(tokenizer, items, unk, 2), args.repeats)
        assert encode_parallel(tokenizer, items, unk, 2) == encode_parallel(
            tokenizer, items, unk, 1
        )
        print(f"tokenisation of {len(items)} training examples (median of {args.repeats}):")
        print(f"  serial   {serial:7.2f} s  {len(items) / serial:8.0f} examples/s")
        print(
            f"  parallel {parallel:7.2f} s  {len(items) / parallel:8.0f} examples/s (2 processes)"
        )
        print(f"  ratio serial/parallel: {serial / parallel:.2f}x\n")

        # 2. packing vs padding: same sampled data, three layouts
        samples = train_samples(corpus, tokenizer, net, workers=2)
        stream = TrainStream(
            samples,
            temperature=2.0,
            seed=1,
            layout="plain",
            token_budget=4096,
            max_len=128,
            pad_id=net.config.specials.pad,
        )
        pool = [stream.samples[k][i] for k, i in stream.sampler.draw(4000)]
        optimizer = torch.optim.AdamW(net.parameters(), lr=1e-4)
        print(f"training steps on {len(pool)} sampled samples, 4096-token batches:")
        rates: dict[str, float] = {}
        for layout in ("pack", "buckets", "plain"):
            batches = make_batches(pool, layout, 4096, 128, net.config.specials.pad)
            real = sum(b.real_tokens for b in batches)
            padded = sum(b.padded_tokens for b in batches)
            chosen = batches[: args.steps]

            def steps(chosen: list[Any] = chosen) -> None:
                for batch in chosen:
                    loss = sum(logits.float().logsumexp(-1).mean() for _, _, logits in net(batch))
                    optimizer.zero_grad()
                    loss.backward()  # type: ignore[union-attr]

            net.train()
            seconds = median_time(steps, args.repeats)
            rates[layout] = sum(b.real_tokens for b in chosen) / seconds
            print(
                f"  {layout:8s} {len(batches):4d} batches, pad share {1 - real / padded:6.1%}, "
                f"{rates[layout]:8.0f} real tokens/s"
            )
        print(
            f"  ratio pack/plain: {rates['pack'] / rates['plain']:.2f}x, "
            f"buckets/plain: {rates['buckets'] / rates['plain']:.2f}x, "
            f"pack/buckets: {rates['pack'] / rates['buckets']:.2f}x"
        )
        print(f"  dev score after {args.train_seconds:.0f} s of training with each layout:")
        trained: dict[str, Path] = {}
        for layout in ("pack", "buckets", "plain"):
            run_net, run_tok = build_model("tiny", corpus, size=size, max_len=128)
            options = TrainOptions(
                max_minutes=args.train_seconds / 60,
                layout=layout,
                lr=2e-3,
                progress=False,
                steps_per_epoch=10_000,
            )
            result = fit(run_net, run_tok, corpus, Path(tmp) / layout, options)
            trained[layout] = result.best
            print(f"    {layout:8s} {result.steps:4d} steps, dev {overall(result.scores)}")

        # 3. bf16 vs fp32 inference, on the model trained with packing
        state = torch.load(trained["pack"], map_location="cpu", weights_only=True)["state_dict"]
        run_net, run_tok = build_model("tiny", corpus, size=size, max_len=128)
        run_net.load_state_dict({k.removeprefix("net."): v for k, v in state.items()})
        run_net.eval()
        records = {k: [ex.input_record() for ex in v] for k, v in corpus.dev.items()}
        n = sum(len(v) for v in records.values())
        print(f"\ninference over {n} dev records (median of {args.repeats}):")
        timing: dict[bool, float] = {}
        for bf16 in (False, True):
            predictor = Predictor(run_net, run_tok, bf16=bf16)

            def predict_all(predictor: Predictor = predictor) -> None:
                for (task, _), recs in records.items():
                    predictor.predict(task, recs)

            timing[bf16] = median_time(predict_all, args.repeats)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                scores = dev_scores(run_net, run_tok, corpus, None)
            name = "bf16" if bf16 else "fp32"
            print(
                f"  {name}  {timing[bf16]:6.2f} s  {n / timing[bf16]:7.0f} records/s, "
                f"dev {overall(scores)}"
            )
        print(
            f"  ratio fp32/bf16: {timing[False] / timing[True]:.2f}x "
            f"(bf16 pays off only on CPUs with native bf16, e.g. AVX512-BF16/AMX)"
        )


if __name__ == "__main__":
    main()
