"""The runner kinds a spec may name, in one registry (each imported when a run needs it)."""

from __future__ import annotations

from podium.core.errors import PlatformError
from podium.core.registry import LazyRegistry
from podium.harness.runner import Runner

RUNNERS = LazyRegistry(
    "runner",
    {
        "subprocess": "podium.harness.runner:SubprocessRunner",
        "bwrap": "podium.harness.sandbox:BwrapRunner",  # refuses to start without bubblewrap
    },
    error=PlatformError,
)


def create_runner(name: str) -> Runner:
    """The runner a spec names."""
    runner: Runner = RUNNERS.load(name)()
    return runner
