"""Training with Lightning: temperature-sampled multi-task batches, layer-wise learning-rate
decay, warm-up then linear decay, optional bf16, gradient accumulation, checkpoints and dev
scores per task and language computed with podium's own metrics.

Training is budgeted in minutes as well as steps, so the schedule runs on *progress*: the
larger of steps done / max_steps and time spent / time budget. Warm-up and decay then fit
whatever budget binds, and the learning rate reaches zero when training stops.
"""

from __future__ import annotations

import math
import re
import shutil
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

import lightning as L
import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, IterableDataset

from podium.data.examples import Example, PairExample, TaggedExample
from podium.metrics import compute_metric, mean, task_means

from .batching import Batch, collate, group_rows, pack
from .corpus import Corpus, Key
from .encoding import IGNORE, Sample, pair_sample, tagged_samples
from .inference import Predictor
from .network import PAYLOAD, MultiTaskNet
from .sampling import TemperatureSampler
from .tokenizer import Encoded, encode_parallel

LAYOUTS = ("pack", "buckets", "plain")


@dataclass(frozen=True)
class TrainOptions:
    """Knobs of a training run (defaults: the 10-minute CPU baseline)."""

    max_minutes: float | None = 10.0
    max_steps: int | None = None
    lr: float = 2e-3
    layer_decay: float = 0.9
    weight_decay: float = 0.01
    warmup: float = 0.06  # share of the budget spent warming up
    precision: str = "auto"  # 'auto', '32' or 'bf16'
    accumulate: int = 1
    seed: int = 13
    token_budget: int = 4096  # tokens per batch, padding included
    layout: str = "pack"
    temperature: float = 2.0
    workers: int = 2  # tokenisation processes
    steps_per_epoch: int = 200  # batches between dev evaluations and checkpoints
    dev_limit: int | None = 200  # dev examples per task and language used for scores
    progress: bool = True


def train_samples(
    corpus: Corpus, tokenizer: Any, net: MultiTaskNet, workers: int
) -> dict[Key, list[Sample]]:
    """Labelled training samples per (task, language); long sentences give several windows."""
    cfg = net.config
    out: dict[Key, list[Sample]] = {}
    for key, examples in corpus.train.items():
        t = cfg.task_index(key[0])
        labels = {label: i for i, label in enumerate(cfg.tasks[t].labels)}
        encoded = encode_parallel(tokenizer, examples, cfg.specials.unk, workers)
        out[key] = list(_samples(examples, encoded, t, labels, net))
    return out


def _samples(
    examples: Sequence[Example],
    encoded: Sequence[Encoded],
    t: int,
    labels: dict[str, int],
    net: MultiTaskNet,
) -> Iterator[Sample]:
    cfg = net.config
    for i, (ex, pieces) in enumerate(zip(examples, encoded, strict=True)):
        if isinstance(ex, PairExample):
            a, b = cast(tuple[list[int], list[int]], pieces)
            yield pair_sample(
                a,
                b,
                task=t,
                label=labels[ex.label or ""],
                specials=cfg.specials,
                max_len=cfg.max_len,
                typed=cfg.typed,
                origin=(i, 0),
            )
        elif isinstance(ex, TaggedExample):
            tags = [labels[tag] for tag in ex.tags or ()]
            _, samples = tagged_samples(
                cast(list[list[int]], pieces),
                tags,
                task=t,
                specials=cfg.specials,
                max_len=cfg.max_len,
                overlap=cfg.overlap,
                example=i,
            )
            yield from samples


def make_batches(
    samples: Sequence[Sample], layout: str, token_budget: int, max_len: int, pad_id: int
) -> list[Batch]:
    """Batches of `samples` laid out as packed rows, length buckets or plain padding."""
    if layout == "pack":
        rows = pack(samples, max_len)
    elif layout in ("buckets", "plain"):
        rows = [[s] for s in samples]
    else:
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    return [collate(b, pad_id) for b in group_rows(rows, token_budget, sort=layout != "plain")]


class TrainStream(IterableDataset[Batch]):
    """Endless batches: temperature-sampled samples from every (task, language), laid out."""

    def __init__(
        self,
        samples: dict[Key, list[Sample]],
        *,
        temperature: float,
        seed: int,
        layout: str,
        token_budget: int,
        max_len: int,
        pad_id: int,
    ) -> None:
        self.samples = samples
        self.sampler = TemperatureSampler(
            {k: len(v) for k, v in samples.items()}, temperature, seed
        )
        self.rng = np.random.default_rng(seed + 1)
        self.layout, self.token_budget = layout, token_budget
        self.max_len, self.pad_id = max_len, pad_id

    def __iter__(self) -> Iterator[Batch]:
        while True:
            pool: list[Sample] = []
            tokens = 0
            while tokens < 8 * self.token_budget:
                for key, i in self.sampler.draw(64):
                    pool.append(self.samples[key][i])
                    tokens += len(pool[-1])
            batches = make_batches(pool, self.layout, self.token_budget, self.max_len, self.pad_id)
            for j in self.rng.permutation(len(batches)).tolist():
                yield batches[j]


# --- optimisation ------------------------------------------------------------------------

_LAYER = re.compile(r"\.layers?\.(\d+)\.")


def layer_depth(name: str, n_layers: int) -> int:
    """0 for embeddings, i + 1 for encoder layer i, n_layers + 1 for heads and the rest."""
    if name.startswith("encoder."):
        match = _LAYER.search(name)
        if match:
            return int(match[1]) + 1
        if "embed" in name:
            return 0
    return n_layers + 1


def param_groups(
    net: MultiTaskNet, lr: float, decay: float, weight_decay: float
) -> list[dict[str, Any]]:
    """AdamW groups with lr * decay ** (distance from the top): lower layers move less."""
    n_layers = int(getattr(cast(Any, net.encoder).config, "num_hidden_layers", 0))
    groups: dict[tuple[int, bool], list[nn.Parameter]] = {}
    for name, param in net.named_parameters():
        if not param.requires_grad:
            continue
        no_decay = param.ndim < 2  # biases and norms
        groups.setdefault((layer_depth(name, n_layers), no_decay), []).append(param)
    return [
        {
            "params": params,
            "lr": lr * decay ** (n_layers + 1 - depth),
            "weight_decay": 0.0 if no_decay else weight_decay,
        }
        for (depth, no_decay), params in sorted(groups.items())
    ]


def schedule_factor(progress: float, warmup: float) -> float:
    """Linear warm-up over the first `warmup` share of training, then linear decay to 0."""
    progress = min(max(progress, 0.0), 1.0)
    if warmup > 0 and progress < warmup:
        return max(progress / warmup, 1e-3)
    return max(0.0, (1.0 - progress) / (1.0 - warmup)) if warmup < 1 else 0.0


@dataclass
class Progress:
    """Share of the budget used: steps against max_steps, seconds against max_seconds."""

    max_steps: int | None
    max_seconds: float | None
    started: float = field(default_factory=time.monotonic)

    def __call__(self, step: int) -> float:
        parts = [0.0]
        if self.max_steps:
            parts.append(step / self.max_steps)
        if self.max_seconds:
            parts.append((time.monotonic() - self.started) / self.max_seconds)
        return max(parts)


class BaselineModule(L.LightningModule):
    """The network, its loss over all tasks of a batch, and the optimiser set-up."""

    def __init__(
        self, net: MultiTaskNet, tokenizer: Any, options: TrainOptions, progress: Progress
    ) -> None:
        super().__init__()
        self.net = net
        self.tokenizer = tokenizer
        self.options = options
        self.budget = progress
        self.loss = nn.CrossEntropyLoss(ignore_index=IGNORE)

    def training_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        losses = []
        for t, chosen, logits, head in self.net.run_heads(batch, every=True):
            labels = batch.labels.index_select(0, chosen)
            if bool((labels != IGNORE).any()):
                loss = self.loss(logits.float(), labels)
                losses.append(loss)
                name = self.net.config.tasks[t].id + ("/lexical" if head == "lexical" else "")
                self.log(f"loss/{name}", loss.detach(), batch_size=1)
        total = torch.stack(losses).sum() if losses else self._zero()
        self.log("loss", total.detach(), prog_bar=True, batch_size=1)
        return total

    def _zero(self) -> torch.Tensor:
        return sum((p.sum() * 0.0 for p in self.net.parameters()), torch.zeros(()))

    def transfer_batch_to_device(
        self, batch: Any, device: torch.device, dataloader_idx: int
    ) -> Any:
        if isinstance(batch, Batch) and device.type != "cpu":
            for name in Batch.TENSORS:
                setattr(batch, name, getattr(batch, name).to(device))
        return batch

    def configure_optimizers(self) -> Any:
        o = self.options
        optimizer = torch.optim.AdamW(param_groups(self.net, o.lr, o.layer_decay, o.weight_decay))
        scheduler = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda step: schedule_factor(self.budget(step), o.warmup)
        )
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "interval": "step"},
        }

    def on_train_start(self) -> None:
        self.budget.started = time.monotonic()

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint[PAYLOAD] = {
            "config": self.net.config.to_json(),
            "encoder_config": cast(Any, self.net.encoder).config.to_json_string(),
            "tokenizer": self.tokenizer.to_str(),
        }


# --- dev scores and checkpoints ----------------------------------------------------------


def dev_scores(
    net: MultiTaskNet,
    tokenizer: Any,
    corpus: Corpus,
    limit: int | None,
    tasks: Sequence[str] | None = None,
) -> dict[Key, float]:
    """Each (task, language)'s dev score with the task's metric, via the submission's code."""
    predictor = Predictor(net, tokenizer)
    scores: dict[Key, float] = {}
    was_training = net.training
    try:
        for key, examples in sorted(corpus.dev.items()):
            if tasks is not None and key[0] not in tasks:
                continue
            chosen = examples[:limit] if limit else examples
            task = corpus.task(key[0])
            preds = predictor.predict(key[0], [ex.input_record() for ex in chosen])
            if task.is_pair:
                gold: list[Any] = [cast(PairExample, ex).label for ex in chosen]
            else:
                gold = [list(getattr(ex, "tags", ()) or ()) for ex in chosen]
            scores[key] = compute_metric(task.default_metric, gold, preds)
    finally:
        net.train(was_training)
    return scores


def choose_heads(
    net: MultiTaskNet, tokenizer: Any, corpus: Corpus, limit: int | None
) -> dict[Key, float]:
    """Dev scores with, for each pair task, whichever of its two heads scores higher on dev.

    Sets net.config.lexical to the pair tasks whose lexical head wins (ties: the full head).
    """
    pairs = tuple(t.id for t in net.config.tasks if t.kind == "pair")
    net.config = replace(net.config, lexical=())
    scores = dev_scores(net, tokenizer, corpus, limit)
    if not pairs:
        return scores
    net.config = replace(net.config, lexical=pairs)
    lexical = dev_scores(net, tokenizer, corpus, limit, tasks=pairs)
    full_means, lexical_means = task_means(scores), task_means(lexical)
    wins = tuple(t for t in pairs if lexical_means.get(t, -1.0) > full_means.get(t, -1.0))
    net.config = replace(net.config, lexical=wins)
    return {key: lexical[key] if key[0] in wins else value for key, value in scores.items()}


class DevCheckpoints(L.Callback):
    """Scores the dev data after every epoch and at the end; keeps last.ckpt and best.ckpt."""

    def __init__(self, corpus: Corpus, folder: Path, limit: int | None) -> None:
        self.corpus, self.folder, self.limit = corpus, folder, limit
        self.best = -math.inf
        self.scores: dict[Key, float] = {}
        self.best_scores: dict[Key, float] = {}
        self.best_lexical: tuple[str, ...] = ()
        self.scored_step = -1

    def _score_and_save(self, trainer: L.Trainer, module: BaselineModule, log: bool) -> None:
        if trainer.global_step == self.scored_step:
            return
        self.scored_step = trainer.global_step
        self.scores = choose_heads(module.net, module.tokenizer, self.corpus, self.limit)
        means = task_means(self.scores)
        overall = mean(means.values()) if means else 0.0
        if log:
            module.log("dev", overall, prog_bar=True)
            module.log_dict({f"dev/{t}": v for t, v in means.items()})
            module.log_dict({f"dev/{t}/{lang}": v for (t, lang), v in self.scores.items()})
        self.folder.mkdir(parents=True, exist_ok=True)
        trainer.save_checkpoint(self.folder / "last.ckpt", weights_only=False)  # resumable
        if overall > self.best:
            self.best, self.best_scores = overall, dict(self.scores)
            self.best_lexical = module.net.config.lexical
            shutil.copyfile(self.folder / "last.ckpt", self.folder / "best.ckpt")

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._score_and_save(trainer, cast(BaselineModule, pl_module), log=True)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._score_and_save(trainer, cast(BaselineModule, pl_module), log=False)


@dataclass(frozen=True)
class TrainResult:
    best: Path
    last: Path
    scores: dict[Key, float]
    steps: int
    seconds: float
    lexical: tuple[str, ...] = ()  # pair tasks the best checkpoint answers with lexical heads

    @property
    def task_scores(self) -> dict[str, float]:
        return task_means(self.scores)


def lightning_precision(choice: str) -> str:
    """'auto': bf16 on a GPU that has it, full precision on CPU (bf16 is opt-in there)."""
    if choice == "auto":
        cuda = torch.cuda.is_available() and torch.cuda.is_bf16_supported()
        return "bf16-mixed" if cuda else "32-true"
    return {"32": "32-true", "bf16": "bf16-mixed"}.get(choice, choice)


def fit(
    net: MultiTaskNet,
    tokenizer: Any,
    corpus: Corpus,
    out: Path,
    options: TrainOptions,
    *,
    seconds_left: float | None = None,
) -> TrainResult:
    """Train `net` on the corpus; checkpoints go to out/checkpoints."""
    L.seed_everything(options.seed, workers=True, verbose=False)
    samples = train_samples(corpus, tokenizer, net, options.workers)
    cfg = net.config
    stream = TrainStream(
        samples,
        temperature=options.temperature,
        seed=options.seed,
        layout=options.layout,
        token_budget=options.token_budget,
        max_len=cfg.max_len,
        pad_id=cfg.specials.pad,
    )
    if seconds_left is None and options.max_minutes is not None:
        seconds_left = options.max_minutes * 60
    progress = Progress(options.max_steps, seconds_left)
    module = BaselineModule(net, tokenizer, options, progress)
    folder = out / "checkpoints"
    dev = DevCheckpoints(corpus, folder, options.dev_limit)
    callbacks: list[L.Callback] = [dev]
    if options.progress:
        from lightning.pytorch.callbacks import RichProgressBar

        callbacks.append(RichProgressBar())
    trainer = L.Trainer(
        accelerator="auto",
        devices=1,
        precision=cast(Any, lightning_precision(options.precision)),
        max_steps=options.max_steps or -1,
        max_epochs=-1 if options.max_steps or seconds_left else 1,
        max_time={"seconds": max(1, int(seconds_left))} if seconds_left else None,
        limit_train_batches=options.steps_per_epoch,
        accumulate_grad_batches=options.accumulate,
        gradient_clip_val=1.0,
        num_sanity_val_steps=0,
        limit_val_batches=0,
        enable_checkpointing=False,
        enable_progress_bar=options.progress,
        enable_model_summary=False,
        logger=False,
        callbacks=callbacks,
        default_root_dir=str(out),
    )
    started = time.monotonic()
    loader = DataLoader(stream, batch_size=None, collate_fn=lambda b: b, num_workers=0)
    trainer.fit(module, train_dataloaders=loader)
    return TrainResult(
        best=folder / "best.ckpt",
        last=folder / "last.ckpt",
        scores=dev.best_scores,
        steps=trainer.global_step,
        seconds=time.monotonic() - started,
        lexical=dev.best_lexical,
    )
