"""Scores for predictions, by name: built-in metrics and organizers' ``"module:function"``.

`scores` holds the label and number metrics and the averages, `spans` seqeval's span F1 and
token accuracy, `registry` the names, directions and scales, and custom metrics.
"""

from podium.metrics.registry import (
    METRIC_NAMES,
    Metric,
    builtin_metrics,
    check_metric_name,
    compute_metric,
    get_metric,
    is_custom,
)
from podium.metrics.scores import accuracy, macro_f1, mae, mean, pearson, rmse, spearman, task_means
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
