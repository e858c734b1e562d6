"""The [tasks] tables of competition.toml, and the tasks they make.

A table without a `type` takes a shipped task (or one of a named `preset`) of its name,
optionally narrowed to some languages and a metric; a table with a `type` declares a task in
full. Either way the result is a `Task`, and the competition's tasks form the registry that is
passed end to end. Metric names are checked here, without importing any organizer code.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from podium.core.errors import NotFoundError, SpecError
from podium.core.suggest import did_you_mean
from podium.metrics import builtin_metrics, check_metric_name, is_custom
from podium.tasks import Task, TaskRegistry, TaskType, default_registry, preset_tasks

SPEC_FILENAME = "competition.toml"


class TaskSpec(BaseModel):
    """One task: a preset (XTREME's, by the table's name) narrowed to some languages and a
    metric, or a task declared in full by its `type`."""

    model_config = ConfigDict(extra="forbid")

    preset: str | None = Field(
        default=None,
        description="a preset task set ('xtreme') holding a task of this table's name; a table "
        "without `type` is one of the shipped tasks too",
    )
    type: TaskType | None = Field(
        default=None,
        description="declares a task: 'classification', 'pair_classification', 'tagging' or "
        "'regression'",
    )
    title: str | None = Field(default=None, description="shown on pages; default: the name")
    labels: list[str] | None = Field(
        default=None, description="label set (tag set for tagging); none for regression"
    )
    inputs: list[str] | None = Field(
        default=None,
        description="record fields a submission gets besides 'id'; default by type: text; "
        "text_a, text_b; tokens; text",
    )
    languages: list[str] | None = Field(
        default=None,
        description="languages that count; default: every language of the task (a declared "
        "task without languages has one, 'default')",
    )
    metric: str | None = Field(
        default=None,
        description="metric that counts: a built-in name or 'module:function'; default: the "
        "preset's, or accuracy / span_f1 by type (a regression task must name one)",
    )
    metrics: list[str] | None = Field(
        default=None, description="metrics reported (scored and kept); `metric` is among them"
    )
    higher_is_better: bool | None = Field(
        default=None, description="direction of a custom metric (default: true)"
    )
    symmetric: bool | None = Field(
        default=None,
        description="a pair task whose answer ignores the order of its texts (paraphrase): "
        "its canaries may swap them",
    )
    canary: str | None = Field(
        default=None,
        description="'module:function' making a label-preserving perturbed copy of a record's "
        "inputs, for canaries; a task without one (other than pairs and tagging) has none",
    )

    @field_validator("type", mode="before")
    @classmethod
    def _known_type(cls, value: object) -> object:
        known = [t.value for t in TaskType]
        if isinstance(value, str) and value not in known:
            raise ValueError(f"unknown task type {value!r}: {did_you_mean(value, known)}")
        return value


def check_tasks(
    tables: Mapping[str, TaskSpec],
    registry: TaskRegistry | None = None,
    where: str = SPEC_FILENAME,
    *,
    ranks_per_task: bool = False,
) -> TaskRegistry:
    """Build the tasks and check the tables against them; SpecError with close matches.
    Metrics of both directions may count only when each task is ranked on its own
    (`ranks_per_task`: `[leaderboard] aggregate = "mean_rank"`)."""
    tasks = build_tasks(tables, registry, where)
    for task_id, table in tables.items():
        task = tasks.get(task_id)
        for lang in table.languages or []:
            if lang not in task.languages:
                raise SpecError(
                    f"tasks.{task_id}.languages: {task_id} has no language {lang!r}",
                    where=where,
                    hint=did_you_mean(lang, task.languages),
                )
        if table.metric is not None and table.metric not in task.metrics:
            raise SpecError(
                f"tasks.{task_id}.metric: {task_id} does not report {table.metric!r}",
                where=where,
                hint=did_you_mean(table.metric, task.metrics),
            )
    if not ranks_per_task:
        overall_direction(tables, tasks, where)
    return tasks


def build_tasks(
    tables: Mapping[str, TaskSpec], registry: TaskRegistry | None = None, where: str = SPEC_FILENAME
) -> TaskRegistry:
    """The competition's tasks, in [tasks] order: declared ones built from their table,
    presets taken from `registry` (default: the shipped tasks) or their named preset and
    narrowed to the metrics the table reports. This registry is the one passed end to end."""
    base = registry or default_registry()
    return TaskRegistry(_task(name, t, base, where) for name, t in tables.items())


def _task(name: str, table: TaskSpec, base: TaskRegistry, where: str) -> Task:
    field = f"tasks.{name}"
    if table.type is None:
        for key in ("labels", "inputs", "title", "higher_is_better"):
            if getattr(table, key) is not None:
                raise SpecError(
                    f"{field}.{key}: only a declared task (with a `type`) sets {key}",
                    where=where,
                    hint='add type = "classification" (or another type) to declare a task '
                    "of your own, or drop the field to keep the preset's",
                )
        task = _preset(name, table, base, where)
        if table.metrics is not None:
            reported = list(table.metrics)
            counting = table.metric or task.default_metric
            if counting not in reported:
                reported.insert(0, counting)
            narrowed = {"metrics": reported, "default_metric": counting}
            task = _checked(field, where, {**task.model_dump(), **narrowed})
        canary = {k: v for k in ("symmetric", "canary") if (v := getattr(table, k)) is not None}
        if canary:
            task = _checked(field, where, {**task.model_dump(), **canary})
        _check_metrics(field, task, where)
        return task
    if table.preset is not None:
        raise SpecError(
            f"{field}: a task is either a preset or declared with a `type`, not both",
            where=where,
            hint=f"drop preset = {table.preset!r} or type = {str(table.type)!r}",
        )
    metric = table.metric or _DEFAULT_METRIC.get(table.type)
    if metric is None:
        raise SpecError(
            f"{field}.metric: a {table.type} task must name its metric",
            where=where,
            hint='e.g. metric = "rmse" (lower is better) or "pearson"; '
            "metrics for numbers: " + ", ".join(_metrics_for(table.type)),
        )
    reported = list(table.metrics or [metric])
    if metric not in reported:
        reported.insert(0, metric)
    declared: dict[str, object] = {
        "id": name,
        "title": table.title or name,
        "type": table.type,
        "labels": table.labels or (),
        "inputs": table.inputs or (),
        "metrics": reported,
        "default_metric": metric,
        "higher_is_better": table.higher_is_better,
        "symmetric": bool(table.symmetric),
        "canary": table.canary,
    }
    if table.languages is not None:
        declared["languages"] = table.languages
    task = _checked(field, where, declared)
    _check_metrics(field, task, where)
    return task


_DEFAULT_METRIC: dict[TaskType, str] = {
    TaskType.CLASSIFICATION: "accuracy",
    TaskType.PAIR_CLASSIFICATION: "accuracy",
    TaskType.TAGGING: "span_f1",
}


def _preset(name: str, table: TaskSpec, base: TaskRegistry, where: str) -> Task:
    if table.preset is None:
        if name not in base:
            raise SpecError(
                f"unknown task {name!r} in [tasks]",
                where=where,
                hint=did_you_mean(name, base.ids()) + " — or declare it with a `type`",
            )
        return base.get(name)
    try:
        tasks = {t.id: t for t in preset_tasks(table.preset)}
    except NotFoundError as err:
        raise SpecError(f"tasks.{name}.preset: {err.what}", where=where, hint=err.hint) from None
    if name not in tasks:
        raise SpecError(
            f"tasks.{name}: preset {table.preset!r} has no task {name!r}",
            where=where,
            hint=did_you_mean(name, tasks),
        )
    return tasks[name]


def _checked(field: str, where: str, data: dict[str, object]) -> Task:
    try:
        return Task.model_validate(data)
    except ValidationError as err:
        problems = "; ".join(
            ".".join([field, *(str(p) for p in e["loc"])])
            + ": "
            + e["msg"].removeprefix("Value error, ")
            for e in err.errors()
        )
        raise SpecError(problems, where=where, hint="fix the task's table") from None


def _metrics_for(task_type: TaskType) -> list[str]:
    return [m.name for m in builtin_metrics().values() if m.values == task_type.answer_key]


def _check_metrics(field: str, task: Task, where: str) -> None:
    """Every reported metric exists and scores what the task predicts."""
    for name in task.metrics:
        try:
            check_metric_name(name)
        except NotFoundError as err:
            raise SpecError(
                f"{field}.metric: {err.what}",
                where=where,
                hint=f"{err.hint} ('module:function' names your own)",
            ) from None
        except SpecError as err:
            raise SpecError(f"{field}.metric: {err.what}", where=where, hint=err.hint) from None
        if is_custom(name):
            continue
        metric = builtin_metrics()[name]
        if metric.values != task.answer_key:
            raise SpecError(
                f"{field}.metric: {name!r} scores a {metric.values!r}, but a {task.type} task "
                f"predicts a {task.answer_key!r}",
                where=where,
                hint=f"metrics for {task.type}: " + ", ".join(_metrics_for(task.type)),
            )
        if name == task.default_metric and task.higher_is_better not in (
            None,
            metric.higher_is_better,
        ):
            raise SpecError(
                f"{field}.higher_is_better: {name!r} has a fixed direction "
                f"(higher is better: {str(metric.higher_is_better).lower()})",
                where=where,
                hint="higher_is_better is for custom ('module:function') metrics only",
            )


def metric_higher_is_better(task: Task, metric: str) -> bool:
    """Direction of a task's metric: a built-in one knows; a custom one is as declared."""
    if is_custom(metric):
        return task.higher_is_better is not False
    return builtin_metrics()[metric].higher_is_better


def overall_direction(
    tables: Mapping[str, TaskSpec], tasks: TaskRegistry, where: str = SPEC_FILENAME
) -> bool:
    """Whether a higher overall score is better: the common direction of the metrics that
    count. A mean of scores of both directions means nothing, so a mix is refused."""
    directions = {
        task_id: metric_higher_is_better(
            tasks.get(task_id), tables[task_id].metric or tasks.get(task_id).default_metric
        )
        for task_id in tables
    }
    if len(set(directions.values())) > 1:
        higher = [t for t, d in directions.items() if d]
        lower = [t for t, d in directions.items() if not d]
        raise SpecError(
            f"[tasks] mix directions: higher is better for {', '.join(higher)}, lower for "
            f"{', '.join(lower)}; the mean of their scores ranks nothing",
            where=where,
            hint='use metrics of one direction (e.g. "spearman" instead of "mae"), or rank '
            'per task and average the ranks: [leaderboard] aggregate = "mean_rank"',
        )
    return next(iter(directions.values()), True)
