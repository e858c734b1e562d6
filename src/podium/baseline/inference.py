"""Predictions for podium's input records: load once, sort by length, batch, write.

The packaged submission's predict.py calls `main()`; training's dev scores call
`Predictor.predict` too, so the validated code is the submitted code. Inputs are read in
chunks (files may be large) and each chunk is sorted by length so that batches hardly pad.
Runtime module: standard library, torch, transformers and tokenizers only.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import torch

from .batching import Batch, collate, group_rows, pack
from .encoding import IGNORE, Sample, encode_pair_texts, encode_words, pair_sample, tagged_samples
from .network import TOKENIZER_FILE, MultiTaskNet, load_net
from .windows import Window, merge_windows

Prediction = str | list[str]
CHUNK = 4096  # records read, sorted and predicted together


def predict_samples(
    net: MultiTaskNet, batches: Sequence[Batch], *, bf16: bool = False
) -> dict[int, list[int]]:
    """Argmax label ids per sample (keyed by id(sample)), one per predicted position."""
    out: dict[int, list[int]] = {}
    autocast = torch.autocast("cpu", dtype=torch.bfloat16) if bf16 else contextlib.nullcontext()
    with torch.inference_mode(), autocast:
        for batch in batches:
            best = torch.empty(len(batch.index), dtype=torch.long)
            for _task, chosen, logits in net(batch):
                best[chosen] = logits.argmax(-1)
            flat = best.tolist()
            start = 0
            for sample in batch.samples:
                end = start + len(sample.positions)
                out[id(sample)] = flat[start:end]
                start = end
    return out


def layout(
    samples: Sequence[Sample], pad_id: int, token_budget: int, max_len: int, *, packed: bool
) -> list[Batch]:
    """Batches of samples sorted by length (or packed several per row)."""
    rows = pack(samples, max_len) if packed else [[s] for s in samples]
    return [collate(b, pad_id) for b in group_rows(rows, token_budget, sort=True)]


class Predictor:
    """A loaded model and tokenizer that label records of any of the model's tasks."""

    def __init__(
        self,
        net: MultiTaskNet,
        tokenizer: Any,
        *,
        token_budget: int = 8192,
        bf16: bool = False,
        packed: bool = False,
    ) -> None:
        self.net = net.eval()
        self.tokenizer = tokenizer
        self.config = net.config
        self.token_budget = token_budget
        self.bf16 = bf16
        self.packed = packed

    @classmethod
    def load(cls, folder: Path, **options: Any) -> Predictor:
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(folder / TOKENIZER_FILE))
        return cls(load_net(folder), tokenizer, **options)

    def samples(
        self, task_id: str, records: Sequence[dict[str, Any]]
    ) -> tuple[list[Sample], list[list[Window]]]:
        """Samples of the records and, for tagging, the windows of each record."""
        cfg = self.config
        t = cfg.task_index(task_id)
        samples: list[Sample] = []
        windows: list[list[Window]] = []
        for i, record in enumerate(records):
            if cfg.tasks[t].kind == "pair":
                a, b = encode_pair_texts(self.tokenizer, record["text_a"], record["text_b"])
                samples.append(
                    pair_sample(
                        a,
                        b,
                        task=t,
                        label=IGNORE,
                        specials=cfg.specials,
                        max_len=cfg.max_len,
                        typed=cfg.typed,
                        origin=(i, 0),
                    )
                )
            else:
                pieces = encode_words(self.tokenizer, record["tokens"], cfg.specials.unk)
                wins, samp = tagged_samples(
                    pieces,
                    None,
                    task=t,
                    specials=cfg.specials,
                    max_len=cfg.max_len,
                    overlap=cfg.overlap,
                    example=i,
                )
                windows.append(wins)
                samples.extend(samp)
        return samples, windows

    def predict(self, task_id: str, records: Sequence[dict[str, Any]]) -> list[Prediction]:
        """One label (pairs) or one tag per token (tagging) for each record, in order."""
        if not records:
            return []
        cfg = self.config
        task = cfg.tasks[cfg.task_index(task_id)]
        samples, windows = self.samples(task_id, records)
        batches = layout(
            samples, cfg.specials.pad, self.token_budget, cfg.max_len, packed=self.packed
        )
        found = predict_samples(self.net, batches, bf16=self.bf16)
        if task.kind == "pair":
            return [task.labels[found[id(s)][0]] for s in samples]
        per_record: list[list[list[int]]] = [[] for _ in records]
        for sample in samples:  # windows of a record come in order
            per_record[sample.origin[0]].append(found[id(sample)])
        return [
            [task.labels[k] for k in merge_windows(wins, preds)]
            for wins, preds in zip(windows, per_record, strict=True)
        ]


def _chunks(path: Path) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                chunk.append(json.loads(line))
                if len(chunk) >= CHUNK:
                    yield chunk
                    chunk = []
    if chunk:
        yield chunk


def predict_dir(predictor: Predictor, inputs: Path, outputs: Path) -> int:
    """Predict every {task}/{lang}.jsonl of `inputs` into the same path under `outputs`."""
    known = {t.id for t in predictor.config.tasks}
    count = 0
    for path in sorted(inputs.glob("*/*.jsonl")):
        task = path.parent.name
        if task not in known:
            raise SystemExit(
                f"{path}: the model has no head for task {task!r} (it was trained for "
                f"{', '.join(sorted(known))}); train it on a competition with this task"
            )
        (outputs / task).mkdir(parents=True, exist_ok=True)
        with (outputs / task / path.name).open("w", encoding="utf-8") as dst:
            for chunk in _chunks(path):
                preds = predictor.predict(task, chunk)
                key = "tags" if "tokens" in chunk[0] else "label"
                for record, pred in zip(chunk, preds, strict=True):
                    dst.write(json.dumps({"id": record["id"], key: pred}, ensure_ascii=False))
                    dst.write("\n")
                count += len(chunk)
    return count


def _threads() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def main(folder: Path | None = None) -> None:
    """The submission's entry point: PODIUM_INPUT_DIR in, PODIUM_OUTPUT_DIR out."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for the network
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    torch.set_num_threads(_threads())
    here = folder or Path(sys.argv[0]).resolve().parent
    options = json.loads((here / "predict.json").read_text(encoding="utf-8"))
    predictor = Predictor.load(here, **options)
    n = predict_dir(
        predictor, Path(os.environ["PODIUM_INPUT_DIR"]), Path(os.environ["PODIUM_OUTPUT_DIR"])
    )
    print(f"predicted {n} records", file=sys.stderr)
