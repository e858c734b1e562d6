"""Names bound to things imported on first use: the one registry style of podium (runners,
task presets, metric functions, data sources). A name maps to ``"module:attr"``, so a
registry costs no import until one of its things is asked for, and an unknown name raises
the registry's error naming the closest known names."""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import Any

from podium.core.errors import NotFoundError, PodiumError
from podium.core.suggest import did_you_mean


class LazyRegistry:
    """``kind`` names what it holds in errors ("runner", "preset"); ``error`` is the error
    an unknown name raises (NotFoundError unless the caller's layer says otherwise)."""

    def __init__(
        self,
        kind: str,
        targets: Mapping[str, str],
        *,
        error: type[PodiumError] = NotFoundError,
        hint: str = "",
    ) -> None:
        for name, target in targets.items():
            module, _, attr = target.partition(":")
            if not module or not attr:
                raise ValueError(f"{kind} {name!r}: {target!r} is not 'module:attr'")
        self.kind, self._targets, self._error, self._hint = kind, dict(targets), error, hint

    def names(self) -> tuple[str, ...]:
        return tuple(self._targets)

    def __contains__(self, name: object) -> bool:
        return name in self._targets

    def __iter__(self) -> Iterator[str]:
        return iter(self._targets)

    def target(self, name: str) -> str:
        """The ``"module:attr"`` of a name; the registry's error with close matches otherwise."""
        try:
            return self._targets[name]
        except KeyError:
            hint = did_you_mean(name, self._targets)
            raise self._error(
                f"unknown {self.kind} {name!r}", hint=f"{hint} {self._hint}".strip()
            ) from None

    def load(self, name: str) -> Any:
        """The thing a name is bound to, imported now (Python caches the module)."""
        module, _, attr = self.target(name).partition(":")
        return getattr(importlib.import_module(module), attr)
