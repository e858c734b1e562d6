"""The competition's Python environments: build them ahead of runs, list them, prune them."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from podium.core.errors import NotFoundError
from podium.core.suggest import did_you_mean
from podium.service.context import Competition

if TYPE_CHECKING:
    from podium.harness.environments import EnvironmentStore, Recipe


@dataclass(frozen=True)
class BuiltEnvironment:
    name: str
    key: str
    built: bool  # False: it was there already
    seconds: float


@dataclass(frozen=True)
class EnvironmentEntry:
    key: str
    names: tuple[str, ...]  # the [environments] naming it; () for a submission's own
    python: str
    packages: int
    bytes: int
    used: float  # seconds since the epoch of its last build or run


class Environments:
    """`podium env`: the builds a run would otherwise make first, and the cache of them."""

    def __init__(self, competition: Competition) -> None:
        self.c = competition

    def store(self) -> EnvironmentStore:
        from podium.harness.environments import EnvironmentStore

        return EnvironmentStore(self.c.layout.environments_dir)

    def recipes(self) -> dict[str, Recipe]:
        from podium.harness.environments import recipes_of

        return recipes_of(self.c.spec.environments, self.c.root)

    def build(
        self, names: list[str] | None = None, say: Callable[[str], None] | None = None
    ) -> list[BuiltEnvironment]:
        """Build the named environments (default: all declared) that are not built yet."""
        recipes = self.recipes()
        for name in names or []:
            if name not in recipes:
                raise NotFoundError(
                    f"no environment {name!r} in competition.toml",
                    hint=did_you_mean(name, list(recipes)) or "declare [environments.NAME]",
                )
        store, sandbox, done = self.store(), self.c.spec.sandbox, []
        for name in names or sorted(recipes):
            started = time.perf_counter()
            env = store.get(
                recipes[name],
                timeout=sandbox.setup_timeout_seconds,
                max_bytes=sandbox.environment_mb * 1024**2,
                say=say,
            )
            done.append(BuiltEnvironment(name, env.key, env.built, time.perf_counter() - started))
        return done

    def keys(self) -> dict[str, str]:
        """The key of each declared environment on this machine (nothing is built)."""
        store = self.store()
        return {name: store.key(recipe) for name, recipe in self.recipes().items()}

    def entries(self) -> list[EnvironmentEntry]:
        names: dict[str, list[str]] = {}
        for name, key in self.keys().items():
            names.setdefault(key, []).append(name)
        return [
            EnvironmentEntry(
                key=str(e["key"]),
                names=tuple(names.get(str(e["key"]), ())),
                python=str(e["python"]),
                packages=int(str(e["packages"])),
                bytes=int(str(e["bytes"])),
                used=float(str(e["used"])),
            )
            for e in self.store().entries()
        ]

    def prune(self, *, unused_days: float | None = None) -> list[str]:
        """Remove the environments no declared one is, except those used in the last
        `unused_days` (a team's own lock is then built again at its next attempt)."""
        keep = set(self.keys().values())
        if unused_days is not None:
            recent = time.time() - unused_days * 86400
            keep |= {e.key for e in self.entries() if e.used >= recent}
        return self.store().prune(keep)
