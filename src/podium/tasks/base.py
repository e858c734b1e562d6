"""The task contract: what a task is, as validated data rather than code."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

# A task declared without languages has this one: its files are {task}/default.jsonl.
DEFAULT_LANGUAGE = "default"
# Input field names and languages become JSON keys and file names: keep them plain.
FIELD_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
LANGUAGE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]*$"


class TaskType(StrEnum):
    """What a submission predicts for each record."""

    CLASSIFICATION = "classification"  # one label
    PAIR_CLASSIFICATION = "pair_classification"  # one label for a pair of texts
    TAGGING = "tagging"  # one tag per token of the record's `tokens`
    REGRESSION = "regression"  # one finite number

    @property
    def answer_key(self) -> str:
        """The prediction's (and the sealed label's) field: 'label', 'tags' or 'value'."""
        if self is TaskType.TAGGING:
            return "tags"
        return "value" if self is TaskType.REGRESSION else "label"

    @property
    def default_inputs(self) -> tuple[str, ...]:
        if self is TaskType.PAIR_CLASSIFICATION:
            return ("text_a", "text_b")
        return ("tokens",) if self is TaskType.TAGGING else ("text",)


class TaskKind(StrEnum):
    """The XTREME shapes the baseline kit knows: pairs of texts, or tagged tokens."""

    PAIR = "pair"
    TAGGING = "tagging"


class Task(BaseModel):
    """A task as data: type, label set, input fields, languages and metrics, checked for
    consistency (metric names are checked against the metric registry by the spec)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="folder name, e.g. 'xnli'")
    title: str
    type: TaskType
    labels: tuple[str, ...] = Field(
        default=(), description="label set, or tag set for tagging; none for regression"
    )
    inputs: tuple[str, ...] = Field(
        default=(), description="fields of a record a submission gets; default by type"
    )
    languages: tuple[str, ...] = Field(default=(DEFAULT_LANGUAGE,), min_length=1)
    metrics: tuple[str, ...] = Field(min_length=1, description="metrics reported")
    default_metric: str = Field(description="the metric that counts unless the spec says")
    higher_is_better: bool | None = Field(
        default=None,
        description="direction of a custom ('module:function') default metric; built-in "
        "metrics know their own",
    )
    symmetric: bool = Field(
        default=False,
        description="a pair task whose answer does not depend on the order of its two texts "
        "(paraphrase): its canaries may also swap them",
    )
    canary: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z_][A-Za-z0-9_.]*:[A-Za-z_][A-Za-z0-9_]*$",
        description="'module:function' making a label-preserving perturbed copy of a record's "
        "inputs (imported from the competition folder)",
    )

    @model_validator(mode="before")
    @classmethod
    def _default_inputs(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("inputs") and "type" in data:
            try:
                return {**data, "inputs": TaskType(data["type"]).default_inputs}
            except ValueError:
                return data  # the field's own validation names the bad type
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Task:
        if self.default_metric not in self.metrics:
            raise ValueError(
                f"default_metric {self.default_metric!r} is not in metrics {self.metrics}"
            )
        if self.type is TaskType.REGRESSION:
            if self.labels:
                raise ValueError("a regression task has no labels (it predicts a number)")
        elif len(self.labels) < 2:
            raise ValueError(f"a {self.type} task needs at least 2 labels")
        if self.type is TaskType.TAGGING and "tokens" not in self.inputs:
            raise ValueError("a tagging task tags its 'tokens' input: add it to inputs")
        if "id" in self.inputs:
            raise ValueError("'id' is always in an input record; it is not an input field")
        for what, values, pattern in (
            ("inputs", self.inputs, FIELD_PATTERN),
            ("languages", self.languages, LANGUAGE_PATTERN),
        ):
            for value in values:
                if not re.match(pattern, value):
                    raise ValueError(f"{what}: {value!r} must match {pattern}")
        for what, values in (
            ("labels", self.labels),
            ("inputs", self.inputs),
            ("languages", self.languages),
            ("metrics", self.metrics),
        ):
            if len(set(values)) != len(values):
                raise ValueError(f"{what} must be unique")
        return self

    @property
    def is_pair(self) -> bool:
        return self.type is TaskType.PAIR_CLASSIFICATION

    @property
    def kind(self) -> TaskKind:
        """The XTREME shape (the baseline kit's view): pair classification or tagging."""
        if self.type is TaskType.PAIR_CLASSIFICATION:
            return TaskKind.PAIR
        if self.type is TaskType.TAGGING:
            return TaskKind.TAGGING
        raise ValueError(f"task {self.id!r} is {self.type}, not an XTREME pair or tagging task")

    @property
    def answer_key(self) -> str:
        return self.type.answer_key
