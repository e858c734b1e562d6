"""Task registry built on demand; unknown names raise with close matches."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from podium.core.errors import NotFoundError
from podium.core.registry import LazyRegistry
from podium.core.suggest import did_you_mean
from podium.tasks.base import Task

# Preset task sets by name, as "module:factory" (imported only when asked for): competition.toml
# says `preset = "xtreme"` in a [tasks.NAME] table to take the task NAME of that set.
PRESETS = LazyRegistry("preset", {"xtreme": "podium.tasks.xtreme:xtreme_tasks"})


class TaskRegistry:
    """Tasks by id. Built explicitly so that tests and sites can add their own."""

    def __init__(self, tasks: Iterable[Task] = ()) -> None:
        self._tasks: dict[str, Task] = {}
        for task in tasks:
            self.add(task)

    def add(self, task: Task) -> None:
        if task.id in self._tasks:
            raise ValueError(f"task {task.id!r} is already registered")
        self._tasks[task.id] = task

    def get(self, task_id: str) -> Task:
        try:
            return self._tasks[task_id]
        except KeyError:
            raise NotFoundError(
                f"unknown task {task_id!r}", hint=did_you_mean(task_id, self._tasks)
            ) from None

    def __contains__(self, task_id: object) -> bool:
        return task_id in self._tasks

    def __iter__(self) -> Iterator[Task]:
        return iter(self._tasks.values())

    def ids(self) -> list[str]:
        return list(self._tasks)


def preset_tasks(name: str) -> tuple[Task, ...]:
    """The tasks of a preset, built now; NotFoundError with close matches otherwise."""
    factory: Callable[[], Iterable[Task]] = PRESETS.load(name)
    return tuple(factory())


def default_registry() -> TaskRegistry:
    """The tasks podium ships with: the XTREME preset."""
    return TaskRegistry(preset_tasks("xtreme"))
