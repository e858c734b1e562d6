"""Validating and scoring a full-size XTREME test set: all four tasks, every language.

Sizes follow XTREME's test sets (XNLI 5,010 pairs x 15, PAWS-X 2,000 x 7, UD-POS about
1,000 sentences x 33, PAN-X 10,000 sentences x 40 where XTREME has them; `--scale` shrinks
them). Predictions are the gold labels with 10% perturbed. Reports the time of podium's
read_predictions + score_predictions and the peak of memory allocated while doing it
(tracemalloc), with seqeval on the PAN-X part as the named peer measured in the same run.

    .venv/bin/python benchmarks/bench_scoring.py [--scale 1.0]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from podium.data.jsonl import write_jsonl
from podium.data.prepare import assign_splits
from podium.data.synthetic import generate_examples
from podium.harness.scoring import read_labels, score_predictions
from podium.submission.predictions import expected_files, read_predictions
from podium.tasks import default_registry

SIZES = {"xnli": 5010, "pawsx": 2000, "udpos": 1000, "panx": 10000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    registry = default_registry()
    tasks = {t.id: t for t in registry}
    languages = {t.id: list(t.languages) for t in registry}
    rng = random.Random(0)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        tokens = examples = 0
        for task in tasks.values():
            n = max(10, int(SIZES[task.id] * args.scale))
            data = generate_examples([task], {task.id: languages[task.id]}, seed=1, per_language=n)
            for (task_id, lang), items in data.items():
                split = assign_splits(items, seed=1, task=task_id, lang=lang,
                                      fractions={"public": 0.0001, "dev": 0.0, "eval": 0.9998})  # fmt: skip
                rows = split["eval"] + split["final"] + split["train"] + split["dev"]
                write_jsonl(
                    root / "in" / task_id / f"{lang}.jsonl", (e.input_record() for e in rows)
                )
                write_jsonl(
                    root / "gold" / task_id / f"{lang}.jsonl", (e.label_record() for e in rows)
                )
                preds = []
                for e in rows:
                    rec = e.label_record()
                    if "tags" in rec:
                        rec["tags"] = [
                            rng.choice(task.labels) if rng.random() < 0.1 else t
                            for t in rec["tags"]
                        ]
                        tokens += len(rec["tags"])
                    elif rng.random() < 0.1:
                        rec["label"] = rng.choice(task.labels)
                    preds.append(rec)
                examples += len(rows)
                write_jsonl(root / "out" / task_id / f"{lang}.jsonl", preds)
        expected = expected_files(root / "in", tasks, languages)
        start = time.perf_counter()
        predictions = read_predictions(root / "out", expected)
        rows = score_predictions(predictions, root / "gold", tasks)
        seconds = time.perf_counter() - start
        del predictions
        tracemalloc.start()  # a second pass for memory: tracemalloc slows what it watches
        predictions = read_predictions(root / "out", expected)
        score_predictions(predictions, root / "gold", tasks)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"{examples:,} examples ({tokens:,} tagged tokens) in {sum(len(v) for v in languages.values())} "
              f"task-languages: validated and scored in {seconds:.1f} s, peak {peak / 1024**2:.0f} MiB "
              f"allocated; {len(rows)} scores")  # fmt: skip
        try:
            from seqeval.metrics import f1_score
        except ImportError:
            sys.exit("seqeval is not installed: no peer comparison")
        from podium.metrics import span_f1

        gold = {lang: read_labels(root / "gold", tasks["panx"], lang) for lang in languages["panx"]}
        pairs = [([list(gold[lang][i]) for i in sorted(gold[lang])],
                  [list(predictions[("panx", lang)][i]) for i in sorted(gold[lang])])
                 for lang in languages["panx"]]  # fmt: skip
        start = time.perf_counter()
        ours = [span_f1(g, p) for g, p in pairs]
        mine = time.perf_counter() - start
        start = time.perf_counter()
        theirs = [100 * f1_score(g, p) for g, p in pairs]
        peer = time.perf_counter() - start
        assert all(abs(a - b) < 1e-9 for a, b in zip(ours, theirs, strict=True))
        print(
            f"PAN-X part (40 languages): podium {mine:.2f} s, seqeval {peer:.2f} s -> "
            f"{peer / mine:.1f}x faster, identical F1"
        )
        print(json.dumps({"seconds": round(seconds, 2), "peak_mib": round(peak / 1024**2)}))


if __name__ == "__main__":
    main()
