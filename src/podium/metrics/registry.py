"""Metrics by name: the built-in ones, and organizers' own as ``"module:function"``.

A metric is a pure function ``(gold, pred) -> float`` with a direction and a scale. Built-in
metrics are made by a factory (nothing is built at import). A custom metric is resolved only
when it is used: the module is looked for in the competition folder first, then among
installed packages, and the function is called with the gold and predicted values of one
(task, language) in the same order: labels (str), tag lists (tuples of str) or numbers
(float), as the task's type gives them.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import math
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

from podium.core.errors import NotFoundError, PlatformError, SpecError
from podium.core.registry import LazyRegistry
from podium.core.suggest import did_you_mean

MetricFunction = Callable[[Sequence[Any], Sequence[Any]], float]
Values = Literal["label", "tags", "value", "any"]

METRIC_NAMES: tuple[str, ...] = (
    "accuracy",
    "macro_f1",
    "span_f1",
    "token_accuracy",
    "pearson",
    "spearman",
    "mae",
    "rmse",
)
# The built-in metrics' functions (and seqeval's span counts), numpy-backed: imported at the
# first call, so that spec checks and boards read names and directions without numpy.
FUNCTIONS = LazyRegistry(
    "metric function",
    {
        **{n: f"podium.metrics.scores:{n}" for n in
           ("accuracy", "macro_f1", "mae", "pearson", "rmse", "spearman")},
        **{n: f"podium.metrics.spans:{n}" for n in ("span_counts", "span_f1", "token_accuracy")},
    },
)  # fmt: skip
_CUSTOM = re.compile(r"^(?P<module>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*):(?P<function>[A-Za-z_]\w*)$")


@dataclass(frozen=True)
class Metric:
    """A metric: what it scores (``values``: a task's answer key), which way is better, and
    the range people read its numbers in."""

    name: str
    function: MetricFunction
    higher_is_better: bool
    scale: str
    values: Values
    description: str = ""

    def __call__(self, gold: Sequence[Any], pred: Sequence[Any]) -> float:
        return self.function(gold, pred)


@dataclass(frozen=True)
class _Builtin:
    """A built-in metric's function, loaded from `FUNCTIONS` at its first call."""

    name: str

    def __call__(self, gold: Sequence[Any], pred: Sequence[Any]) -> float:
        function: MetricFunction = FUNCTIONS.load(self.name)
        return function(gold, pred)


@cache
def builtin_metrics() -> dict[str, Metric]:
    """Every built-in metric by name (built on first use)."""
    metrics = (
        Metric("accuracy", _Builtin("accuracy"), True, "0-100", "label",
               "share of labels right"),
        Metric("macro_f1", _Builtin("macro_f1"), True, "0-100", "label",
               "mean F1 over the labels"),
        Metric("span_f1", _Builtin("span_f1"), True, "0-100", "tags",
               "seqeval's entity-span F1"),
        Metric("token_accuracy", _Builtin("token_accuracy"), True, "0-100", "tags",
               "share of tags right"),
        Metric("pearson", _Builtin("pearson"), True, "-100-100", "value",
               "Pearson r x 100"),
        Metric("spearman", _Builtin("spearman"), True, "-100-100", "value",
               "Spearman rho x 100"),
        Metric("mae", _Builtin("mae"), False, "unit of the values", "value",
               "mean absolute error"),
        Metric("rmse", _Builtin("rmse"), False, "unit of the values", "value",
               "root mean squared error"),
    )  # fmt: skip
    return {m.name: m for m in metrics}


_LABELS = {"span_f1": "span F1", "macro_f1": "macro F1", "token_accuracy": "token accuracy",
           "mae": "MAE", "rmse": "RMSE"}  # fmt: skip


def metric_label(name: str) -> str:
    """How a metric is named beside its scores (`span F1`: a 0.00 under it says what it is);
    an organizer's `module:function` by its function."""
    if is_custom(name):
        return name.rpartition(":")[2].replace("_", " ")
    return _LABELS.get(name, name.replace("_", " "))


def is_custom(name: str) -> bool:
    """``"module:function"`` names organizer code; every other name is a built-in metric."""
    return ":" in name


def check_metric_name(name: str) -> None:
    """A built-in metric (NotFoundError with close matches otherwise) or a well-formed
    ``"module:function"`` (SpecError otherwise). Imports nothing."""
    if is_custom(name):
        if not _CUSTOM.match(name):
            raise SpecError(
                f"metric {name!r} is not of the form 'module:function'",
                hint='e.g. metric = "scoring:weighted_error" for a function '
                "weighted_error(gold, pred) in scoring.py beside competition.toml",
            )
        return
    if name not in builtin_metrics():
        raise NotFoundError(f"unknown metric {name!r}", hint=did_you_mean(name, METRIC_NAMES))


def get_metric(
    name: str, *, search_dir: Path | None = None, higher_is_better: bool = True
) -> Metric:
    """The metric of that name; a custom one is imported now (``higher_is_better`` is its
    direction, as the task declares it)."""
    check_metric_name(name)
    if not is_custom(name):
        return builtin_metrics()[name]
    module_name, _, attr = name.partition(":")
    module = _import(module_name, search_dir)
    function = getattr(module, attr, None)
    if function is None:
        raise SpecError(
            f"metric {name!r}: module {module_name!r} has no {attr!r}",
            where=getattr(module, "__file__", None),
            hint=did_you_mean(attr, [n for n in vars(module) if not n.startswith("_")]),
        )
    if not callable(function):
        raise SpecError(
            f"metric {name!r}: {attr!r} is a {type(function).__name__}, not a function",
            where=getattr(module, "__file__", None),
            hint="define def " + attr + "(gold, pred) -> float",
        )
    return Metric(name, function, higher_is_better, "custom", "any", "organizer's metric")


def compute_metric(
    name: str,
    gold: Sequence[Any],
    pred: Sequence[Any],
    *,
    search_dir: Path | None = None,
) -> float:
    """Score by metric name, as tasks and competition specs refer to metrics by name.

    ``gold``/``pred`` are labels for label metrics, tag sequences for tag metrics and numbers
    for number metrics. A custom metric must return a finite number; anything else (or an
    exception in it) is the platform's fault, never the team's.
    """
    metric = get_metric(name, search_dir=search_dir)
    if not is_custom(name):
        return metric(gold, pred)
    try:
        value = metric(gold, pred)
    except Exception as err:  # organizer code: report it as such, with its own words
        raise PlatformError(
            f"custom metric {name!r} failed: {type(err).__name__}: {err}",
            hint="fix the organizer's metric function; the attempt is not counted",
        ) from err
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise PlatformError(
            f"custom metric {name!r} returned {value!r}, not a finite number",
            hint="a metric returns one float per (task, language)",
        )
    return float(value)


def _import(module_name: str, search_dir: Path | None) -> ModuleType:
    """The module from the competition folder (``a.b`` is ``a/b.py`` or ``a/b/__init__.py``)
    when it is there, else an installed one."""
    if search_dir is not None:
        base = search_dir.joinpath(*module_name.split("."))
        for file in (base.with_suffix(".py"), base / "__init__.py"):
            if file.is_file():
                return _load_file(file.resolve(), module_name, search_dir.resolve())
    try:
        return importlib.import_module(module_name)
    except ImportError as err:
        where = f" in {search_dir} nor" if search_dir is not None else ""
        raise SpecError(
            f"metric module {module_name!r} is not{where} installed ({err})",
            hint="put it beside competition.toml (e.g. scoring.py) or install its package",
        ) from None


@cache
def _load_file(file: Path, module_name: str, folder: Path) -> ModuleType:
    """Load a competition's module under a name of its own (two competitions may both have
    a scoring.py); its folder is on sys.path only while it is imported, for its siblings."""
    tag = hashlib.sha256(str(folder).encode()).hexdigest()[:12]
    unique = f"_podium_metric_{tag}_{module_name.replace('.', '_')}"
    spec = importlib.util.spec_from_file_location(unique, file)
    if spec is None or spec.loader is None:
        raise SpecError(f"cannot import metric module {module_name!r}", where=str(file))
    module = importlib.util.module_from_spec(spec)
    sys.modules[unique] = module
    sys.path.insert(0, str(folder))
    try:
        spec.loader.exec_module(module)
    except Exception as err:
        del sys.modules[unique]
        raise SpecError(
            f"importing metric module {module_name!r} failed: {type(err).__name__}: {err}",
            where=str(file),
        ) from err
    finally:
        sys.path.remove(str(folder))
    return module
