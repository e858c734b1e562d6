"""The runner kinds a spec may name, in one table."""

from __future__ import annotations

from collections.abc import Callable

from podium.errors import PlatformError
from podium.harness.runner import Runner, SubprocessRunner
from podium.harness.sandbox import BwrapRunner
from podium.suggest import did_you_mean

RUNNERS: dict[str, Callable[[], Runner]] = {
    "subprocess": SubprocessRunner,
    "bwrap": BwrapRunner,  # refuses to start where bubblewrap is missing
}


def create_runner(name: str) -> Runner:
    """The runner a spec names."""
    if name not in RUNNERS:
        raise PlatformError(f"unknown runner {name!r}", hint=did_you_mean(name, RUNNERS))
    return RUNNERS[name]()
