"""Scoring predictions against sealed labels, outside the submission's process."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType

from podium.core.errors import PlatformError
from podium.data.canaries import canary_map, canary_records
from podium.data.contrast import CONTRAST
from podium.data.jsonl import SEALED_FILES_KEPT, file_signature, iter_jsonl
from podium.metrics import compute_metric
from podium.rules.integrity import PairCounts, count_pairs
from podium.submission.predictions import Prediction
from podium.tasks import Task


@dataclass(frozen=True)
class ScoreRow:
    """One metric for one task and language: the unit the store keeps."""

    task: str
    language: str
    metric: str
    value: float
    count: int


def read_labels(labels_dir: Path, task: Task, language: str) -> Mapping[str, Prediction]:
    """The sealed answers of one (task, language), parsed once per process while the file
    is unchanged: a photo finish scores the same labels hundreds of times."""
    path = labels_dir / task.id / f"{language}.jsonl"
    signature = file_signature(path)
    if signature is None:
        raise PlatformError(
            "sealed labels are missing", where=str(path), hint="re-run `podium data prepare`"
        )
    return _parsed_labels(path, task.answer_key, task.type, signature)


@functools.lru_cache(maxsize=SEALED_FILES_KEPT)
def _parsed_labels(
    path: Path, key: str, task_type: str, signature: tuple[int, ...]
) -> Mapping[str, Prediction]:
    convert = {"label": str, "tags": tuple, "value": float}[key]
    try:
        return MappingProxyType(
            {str(rec["id"]): convert(rec[key]) for _, rec in iter_jsonl(path, error=PlatformError)}
        )
    except (KeyError, TypeError, ValueError) as err:
        raise PlatformError(
            f"sealed labels do not fit a {task_type} task ({type(err).__name__}: {err})",
            where=str(path),
            hint="re-run `podium data prepare`",
        ) from None


def score_predictions(
    predictions: Mapping[tuple[str, str], Mapping[str, Prediction]],
    labels_dir: Path,
    tasks: Mapping[str, Task],
    metric_dir: Path | None = None,
) -> list[ScoreRow]:
    """Every metric the task reports, for every (task, language) predicted. Custom metrics
    ("module:function") are imported from `metric_dir` (the competition folder) first."""
    rows: list[ScoreRow] = []
    for (task_id, lang), preds in sorted(predictions.items()):
        task = tasks[task_id]
        gold = read_labels(labels_dir, task, lang)
        canaries = canary_map(labels_dir, task_id, lang)
        ids = sorted(i for i in gold if i not in canaries)  # canaries never count
        missing = [i for i in ids if i not in preds]
        if missing:
            raise PlatformError(
                f"{task_id}/{lang}: predictions passed validation but miss {len(missing)} labelled ids",
                hint="the sealed inputs and labels disagree; re-run `podium data prepare`",
            )
        gold_seq = [gold[i] for i in ids]
        pred_seq = [preds[i] for i in ids]
        for metric in task.metrics:
            value = compute_metric(metric, gold_seq, pred_seq, search_dir=metric_dir)
            rows.append(ScoreRow(task_id, lang, metric, value, len(ids)))
    return rows


def item_score(gold: Prediction, pred: Prediction) -> float:
    """How well one item was answered: 1/0 for a label, the share of tags right, minus the
    error of a number."""
    if isinstance(gold, tuple):
        pred_tags = pred if isinstance(pred, tuple) else ()
        right = sum(1 for g, p in zip(gold, pred_tags, strict=False) if g == p)
        return right / len(gold) if gold else 1.0
    if isinstance(gold, float):
        return -abs(gold - float(pred))  # type: ignore[arg-type]
    return 1.0 if gold == pred else 0.0


def canary_pairs(
    predictions: Mapping[tuple[str, str], Mapping[str, Prediction]],
    labels_dir: Path,
    tasks: Mapping[str, Task],
) -> PairCounts:
    """A run's answers on every canary against those on its original, counted for the test;
    its contrast canaries' counts (`contrast_pair`) ride along in `.contrast`."""
    pairs: list[tuple[float, float]] = []
    contrasts: list[tuple[float, float]] = []
    for (task_id, lang), preds in sorted(predictions.items()):
        records = canary_records(labels_dir, task_id, lang)
        if not records:
            continue
        gold = read_labels(labels_dir, tasks[task_id], lang)
        for rec in sorted(records, key=lambda r: str(r["id"])):
            canary, original = str(rec["id"]), str(rec["original"])
            if canary not in preds or original not in preds:
                continue
            if rec.get("kind") == CONTRAST:
                contrasts.append(contrast_pair(rec, gold, preds[canary]))
            else:
                pairs.append(
                    (
                        item_score(gold[original], preds[original]),
                        item_score(gold[canary], preds[canary]),
                    )
                )
    counts = count_pairs(pairs)
    return replace(counts, contrast=count_pairs(contrasts) if contrasts else None)


def contrast_pair(
    rec: Mapping[str, object], gold: Mapping[str, Prediction], pred: Prediction
) -> tuple[float, float]:
    """(how far the answer on a contrast canary copies its original's gold answer, how far it
    follows the other side): at the replaced tokens, the original's tags against the
    canary's; for a pair, the original's label against its decoy's."""
    original = gold[str(rec["original"])]
    replaced = rec.get("replaced")
    if isinstance(replaced, list) and isinstance(original, tuple):
        new = gold[str(rec["id"])]
        tags = pred if isinstance(pred, tuple) else ()
        at = [i for i in replaced if isinstance(i, int) and i < len(tags)]
        if not replaced:
            return 0.0, 0.0
        copied = sum(1 for i in at if tags[i] == original[i]) / len(replaced)
        followed = sum(1 for i in at if isinstance(new, tuple) and tags[i] == new[i])
        return copied, followed / len(replaced)
    decoy = gold.get(str(rec.get("decoy")))
    if decoy is None:
        return 0.0, 0.0
    return item_score(original, pred), item_score(decoy, pred)
