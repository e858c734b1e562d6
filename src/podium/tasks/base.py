"""The task contract: what a task is, as validated data rather than code."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator


class TaskKind(StrEnum):
    """Pair tasks label a pair of texts; tagging tasks label every token."""

    PAIR = "pair"
    TAGGING = "tagging"


class Task(BaseModel):
    """A task as data: label set, languages and metrics, checked for consistency."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="folder name, e.g. 'xnli'")
    title: str
    kind: TaskKind
    labels: tuple[str, ...] = Field(min_length=2)
    languages: tuple[str, ...] = Field(min_length=1)
    metrics: tuple[str, ...] = Field(
        min_length=1, description="metrics reported, first is XTREME's"
    )
    default_metric: str

    @model_validator(mode="after")
    def _consistent(self) -> Task:
        if self.default_metric not in self.metrics:
            raise ValueError(
                f"default_metric {self.default_metric!r} is not in metrics {self.metrics}"
            )
        if len(set(self.labels)) != len(self.labels):
            raise ValueError("labels must be unique")
        if len(set(self.languages)) != len(self.languages):
            raise ValueError("languages must be unique")
        return self

    @property
    def is_pair(self) -> bool:
        return self.kind is TaskKind.PAIR
