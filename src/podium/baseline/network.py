"""One shared encoder, one head per task.

Pair tasks read the mean states of each text (b, |a - b| and a * b, as in InferSent; [CLS]
and a on request) and the texts' lexical overlap through a two-layer head; tagging tasks
read the first subword of every word through a linear head. A batch may mix tasks: the
encoder runs once and each head reads its own positions. Runtime module: torch, and
transformers for an encoder other than a plain BERT (bert.py).
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, cast

import torch
from torch import nn

from .batching import Batch
from .bert import BertSettings, TorchBert, covered, load_settings
from .encoding import PAIR_FEATURES, Specials

CONFIG_FILE = "baseline.json"
WEIGHTS_FILE = "weights.pt"
TOKENIZER_FILE = "tokenizer.json"
ENCODER_DIR = "encoder"  # the encoder's config.json (save_pretrained layout)
# our entry in a Lightning checkpoint (here, so that packaging never imports Lightning)
PAYLOAD = "podium_baseline"
# Encoders whose position ids start after the padding index (RoBERTa family).
_OFFSET_MODELS = ("roberta", "xlm-roberta", "xlm-roberta-xl", "camembert")
# What a pair head may read: [CLS], the mean states of text a and of text b, |a - b|, a * b,
# and the overlap features of encoding.overlap_features. The default leaves out [CLS] and a:
# in XNLI every premise comes with three hypotheses, one per label, so a premise met in
# training comes back in dev with the label it did NOT have there; a head that can read the
# premise alone learns it by heart and scores below chance (see examples/baseline/README.md).
PAIR_PARTS = ("cls", "a", "b", "diff", "prod", "overlap")
DEFAULT_PAIR_INPUTS = ("b", "diff", "prod", "overlap")


@dataclass(frozen=True)
class TaskInfo:
    """What a head predicts: the task id, its kind ('pair' or 'tagging') and its labels."""

    id: str
    kind: str
    labels: tuple[str, ...]


@dataclass(frozen=True)
class NetConfig:
    """Everything besides weights that a saved model needs to run again."""

    tasks: tuple[TaskInfo, ...]
    specials: Specials
    encoder: str  # 'tiny', a hub name or a path: where the encoder came from
    max_len: int = 128
    overlap: int = 32
    typed: bool = True  # whether the encoder takes token type ids (segment b = 1)
    position_offset: int = 0
    dropout: float = 0.1
    pair_inputs: tuple[str, ...] = DEFAULT_PAIR_INPUTS
    # Pair tasks answered by their lexical head (overlap features only) rather than the full
    # one: chosen on dev during training, task by task (see MultiTaskNet).
    lexical: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = [p for p in self.pair_inputs if p not in PAIR_PARTS]
        if unknown or not self.pair_inputs:
            raise ValueError(f"pair inputs must be some of {PAIR_PARTS}, got {self.pair_inputs}")

    def task_index(self, task_id: str) -> int:
        for i, task in enumerate(self.tasks):
            if task.id == task_id:
                return i
        known = ", ".join(t.id for t in self.tasks)
        raise KeyError(f"the model has no head for task {task_id!r} (it knows: {known})")

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> NetConfig:
        raw = json.loads(text)
        tasks = tuple(TaskInfo(t["id"], t["kind"], tuple(t["labels"])) for t in raw.pop("tasks"))
        for key in ("pair_inputs", "lexical"):
            if key in raw:
                raw[key] = tuple(raw[key])
        return cls(tasks=tasks, specials=Specials(**raw.pop("specials")), **raw)


def position_offset(model_type: str, pad_token_id: int | None) -> int:
    """RoBERTa-style encoders number positions from padding_idx + 1."""
    return (pad_token_id or 0) + 1 if model_type in _OFFSET_MODELS else 0


class PairHead(nn.Module):
    """Two layers over the chosen pair inputs (dropout on states, not on overlap features)."""

    def __init__(self, hidden: int, parts: tuple[str, ...], labels: int, dropout: float) -> None:
        super().__init__()
        self.parts = parts
        self.pools = bool({"a", "b", "diff", "prod"} & set(parts))
        states = sum(1 for p in parts if p != "overlap")
        width = states * hidden + (PAIR_FEATURES if "overlap" in parts else 0)
        self.dropout = nn.Dropout(dropout)
        self.dense = nn.Linear(width, hidden)
        self.out = nn.Sequential(nn.Tanh(), nn.Dropout(dropout), nn.Linear(hidden, labels))
        # A direct linear path from the overlap features to the logits ("wide and deep"): a
        # few thousand pairs are soon learnt by heart through the states, and the two layers
        # then stop learning from the features; this path keeps the features' evidence.
        self.wide = nn.Linear(PAIR_FEATURES, labels) if "overlap" in parts else None
        self.reads_states = states > 0

    def forward(
        self,
        features: torch.Tensor,
        cls: torch.Tensor | None = None,
        a: torch.Tensor | None = None,
        b: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Logits from the features and, if the head reads them, the encoder's states."""
        chosen: list[torch.Tensor] = []
        if self.reads_states:
            if cls is None or a is None or b is None:
                raise ValueError("this pair head reads the encoder's states")
            features = features.to(cls.dtype)
            inputs = {"cls": cls, "a": a, "b": b, "diff": (a - b).abs(), "prod": a * b}
            chosen = [self.dropout(inputs[p]) for p in self.parts if p != "overlap"]
        if "overlap" in self.parts:
            chosen.append(features)
        logits = cast(torch.Tensor, self.out(self.dense(torch.cat(chosen, dim=-1))))
        if self.wide is not None:
            logits = logits + self.wide(features)
        return logits


class MultiTaskNet(nn.Module):
    """The shared encoder and its heads.

    Every pair task has two heads, trained side by side: the full head (config.pair_inputs)
    and a lexical head that reads the overlap features only. Which one answers is chosen on
    dev (config.lexical). An encoder learnt from scratch in minutes can make the full head
    worse than the features alone: on PAWS-X it learns the few thousand training pairs by
    heart (examples/baseline/README.md); a pretrained encoder's full head wins instead.
    """

    def __init__(self, encoder: nn.Module, config: NetConfig) -> None:
        super().__init__()
        self.encoder = encoder
        self.config = config
        hidden = int(cast(Any, encoder).config.hidden_size)
        heads: dict[str, nn.Module] = {}
        for task in config.tasks:
            if task.kind == "pair":
                heads[task.id] = PairHead(
                    hidden, config.pair_inputs, len(task.labels), config.dropout
                )
            else:
                heads[task.id] = nn.Sequential(
                    nn.Dropout(config.dropout), nn.Linear(hidden, len(task.labels))
                )
        self.heads = nn.ModuleDict(heads)
        self.lexical = nn.ModuleDict(
            {
                t.id: PairHead(hidden, ("overlap",), len(t.labels), config.dropout)
                for t in config.tasks
                if t.kind == "pair"
            }
        )
        accepted = inspect.signature(encoder.forward).parameters
        self._takes_types = config.typed and "token_type_ids" in accepted
        self._takes_positions = "position_ids" in accepted

    def hidden(self, batch: Batch) -> torch.Tensor:
        """Encoder states of all positions, flattened to (rows * width, hidden)."""
        kwargs: dict[str, torch.Tensor] = {
            "input_ids": batch.input_ids,
            "attention_mask": batch.mask,
        }
        if self._takes_types:
            kwargs["token_type_ids"] = batch.token_types
        if self._takes_positions:
            kwargs["position_ids"] = batch.positions + self.config.position_offset
        states = cast(torch.Tensor, self.encoder(**kwargs).last_hidden_state)
        return states.reshape(-1, states.shape[-1])

    def forward(self, batch: Batch) -> list[tuple[int, torch.Tensor, torch.Tensor]]:
        """(task index, which entries of batch.index, logits) for each task in the batch."""
        return [(t, chosen, logits) for t, chosen, logits, _ in self.run_heads(batch)]

    def run_heads(
        self, batch: Batch, every: bool = False
    ) -> list[tuple[int, torch.Tensor, torch.Tensor, str]]:
        """Logits of the heads of each task in the batch, named 'full' or 'lexical'.

        every: both heads of each pair task (training: both learn); otherwise the head that
        answers (config.lexical). The encoder runs only if some head reads its states: a
        batch of pair tasks answered by lexical heads costs the features alone.
        """
        plan = [
            (t, torch.nonzero(batch.task == t).squeeze(1), name, head)
            for t in sorted(set(batch.task.tolist()))
            for name, head in self._heads(self.config.tasks[t].id, every)
        ]
        reads = any(not isinstance(h, PairHead) or h.reads_states for *_, h in plan)
        flat = self.hidden(batch) if reads else None
        out = []
        pooled: tuple[torch.Tensor, torch.Tensor] | None = None
        for t, chosen, name, head in plan:
            if isinstance(head, PairHead) and not head.reads_states:
                logits = head(batch.features.index_select(0, chosen))
            else:
                assert flat is not None
                states = flat.index_select(0, batch.index.index_select(0, chosen))
                if isinstance(head, PairHead):
                    a = b = states  # unused unless the head reads the texts' mean states
                    if head.pools:
                        if pooled is None:
                            pooled = self.pool_texts(flat, batch)
                        a, b = (p.index_select(0, chosen) for p in pooled)
                    logits = head(batch.features.index_select(0, chosen), states, a, b)
                else:
                    logits = head(states)
            out.append((t, chosen, logits, name))
        return out

    def _heads(self, task_id: str, every: bool) -> list[tuple[str, nn.Module]]:
        full = ("full", self.heads[task_id])
        if task_id not in self.lexical:
            return [full]
        lexical = ("lexical", self.lexical[task_id])
        if every:
            return [full, lexical]
        return [lexical] if task_id in self.config.lexical else [full]

    @staticmethod
    def pool_texts(flat: torch.Tensor, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean states of text a and of text b for every entry of batch.index (0 if none)."""
        slots = 2 * len(batch.index)
        sums = flat.new_zeros((slots, flat.shape[-1]))
        sums.index_add_(0, batch.pool_target, flat.index_select(0, batch.pool_index))
        counts = torch.bincount(batch.pool_target, minlength=slots).clamp(min=1)
        means = sums / counts.unsqueeze(1).to(flat.dtype)
        return means[0::2], means[1::2]


def build_encoder_from_config(folder: Path) -> nn.Module:
    """An encoder with random weights from a saved config (the weights come separately):
    a plain BERT in torch alone (bert.py), any other through transformers' AutoModel."""
    raw = load_settings(folder)
    if covered(raw):
        return TorchBert(BertSettings(raw))
    from transformers import AutoConfig, AutoModel

    build: Callable[[Any], nn.Module] = AutoModel.from_config  # untyped in transformers
    return build(AutoConfig.from_pretrained(str(folder)))


def save_net(net: MultiTaskNet, folder: Path) -> None:
    """Write config, encoder config and weights (the tokenizer is saved by the caller)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / CONFIG_FILE).write_text(net.config.to_json(), encoding="utf-8")
    cast(Any, net.encoder).config.save_pretrained(str(folder / ENCODER_DIR))
    torch.save(net.state_dict(), folder / WEIGHTS_FILE)


def load_net(folder: Path) -> MultiTaskNet:
    """The saved model, ready for inference (eval mode)."""
    config = NetConfig.from_json((folder / CONFIG_FILE).read_text(encoding="utf-8"))
    net = MultiTaskNet(build_encoder_from_config(folder / ENCODER_DIR), config)
    state = torch.load(folder / WEIGHTS_FILE, map_location="cpu", weights_only=True)
    net.load_state_dict(state)
    return net.eval()
