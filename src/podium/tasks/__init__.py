"""Task contract and registry."""

from podium.tasks.base import DEFAULT_LANGUAGE, Task, TaskKind, TaskType
from podium.tasks.registry import PRESETS, TaskRegistry, default_registry, preset_tasks

__all__ = [
    "DEFAULT_LANGUAGE",
    "PRESETS",
    "Task",
    "TaskKind",
    "TaskRegistry",
    "TaskType",
    "default_registry",
    "preset_tasks",
]
