"""Task contract and registry."""

from podium.tasks.base import Task, TaskKind
from podium.tasks.registry import TaskRegistry, default_registry

__all__ = ["Task", "TaskKind", "TaskRegistry", "default_registry"]
