"""Scores for predictions, by name: built-in metrics and organizers' ``"module:function"``.

`scores` holds the label and number metrics, `averages` the means, `spans` seqeval's span F1
and token accuracy, `registry` the names, directions and scales, and custom metrics. The
numpy-backed functions load on first access, so that reading a spec or a board loads no numpy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from podium.metrics.averages import mean, task_means
from podium.metrics.registry import (
    FUNCTIONS,
    METRIC_NAMES,
    Metric,
    builtin_metrics,
    check_metric_name,
    compute_metric,
    get_metric,
    is_custom,
)

if TYPE_CHECKING:
    from podium.metrics.scores import accuracy, macro_f1, mae, pearson, rmse, spearman
    from podium.metrics.spans import span_counts, span_f1, token_accuracy

__all__ = [
    "METRIC_NAMES",
    "Metric",
    "accuracy",
    "builtin_metrics",
    "check_metric_name",
    "compute_metric",
    "get_metric",
    "is_custom",
    "macro_f1",
    "mae",
    "mean",
    "pearson",
    "rmse",
    "span_counts",
    "span_f1",
    "spearman",
    "task_means",
    "token_accuracy",
]


def __getattr__(name: str) -> Any:
    """`podium.metrics.accuracy` and the like, imported when first asked for."""
    if name not in FUNCTIONS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return FUNCTIONS.load(name)
