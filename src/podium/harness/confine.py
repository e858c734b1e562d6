"""How one measured process tree is held: its own control group where the host allows one,
today's per-process rlimits where it does not. Either way the run records which mechanism
enforced each limit, so a result says what it was measured under."""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass, field

from podium.config.spec import parse_cpus
from podium.core.errors import PlatformError
from podium.harness.cgroups import GroupLimits, GroupUsage, RunGroup, host_hierarchy


@dataclass(frozen=True)
class Limits:
    """Limits of one run (None: not limited by podium)."""

    memory_bytes: int | None = None  # the whole process tree (per process without cgroups)
    processes: int | None = None
    file_bytes: int | None = None  # largest single file
    open_files: int | None = None
    cpus: str | None = None  # a CPU list such as '2-7': the same cores for every run


@dataclass
class Confinement:
    """The limits of one process tree and the means that enforce them."""

    limits: Limits = field(default_factory=Limits)
    group: RunGroup | None = None
    mechanisms: dict[str, str] = field(default_factory=dict)

    def preexec(self) -> None:
        """Runs in the child between fork and exec: its descendants inherit all of it."""
        if self.group is not None:
            self.group.attach(os.getpid())
        else:
            if self.limits.cpus is not None:
                os.sched_setaffinity(0, parse_cpus(self.limits.cpus))
            _rlimit(resource.RLIMIT_AS, self.limits.memory_bytes)
            _rlimit(resource.RLIMIT_NPROC, self.limits.processes)
        _rlimit(resource.RLIMIT_FSIZE, self.limits.file_bytes)
        _rlimit(resource.RLIMIT_NOFILE, self.limits.open_files)

    @property
    def counts_usage(self) -> bool:
        """Whether CPU time and peak memory of the whole tree come from the kernel's group."""
        return self.group is not None and self.group.counts_cpu

    def kill_all(self) -> None:
        if self.group is not None:
            self.group.kill_all()

    def usage(self) -> GroupUsage | None:
        return self.group.usage() if self.group is not None else None

    def close(self) -> None:
        if self.group is not None:
            self.group.kill_all()
            self.group.remove()
            self.group = None


def _rlimit(kind: int, value: int | None) -> None:
    if value is not None:
        resource.setrlimit(kind, (value, value))


def confine(name: str, limits: Limits) -> Confinement:
    """A fresh group named `name` under the host's podium folder, or rlimits where none."""
    if limits.cpus is not None and not parse_cpus(limits.cpus) <= os.sched_getaffinity(0):
        raise PlatformError(
            f"[sandbox] cpus = {limits.cpus!r} names CPUs this evaluator cannot use "
            f"(it has {sorted(os.sched_getaffinity(0))})",
            hint="give every evaluator of a hardware label the same cores",
        )
    hierarchy, reason = host_hierarchy()
    group = None
    if hierarchy is not None:
        group = hierarchy.create(
            name,
            GroupLimits(
                memory_bytes=limits.memory_bytes, processes=limits.processes, cpus=limits.cpus
            ),
        )
    mechanisms = dict(group.mechanisms) if group is not None else {}
    why = f" (no cgroup: {reason})" if group is None else ""
    if limits.memory_bytes is not None:
        mechanisms.setdefault("memory", f"rlimit RLIMIT_AS per process{why}")
    if limits.processes is not None:
        mechanisms.setdefault("processes", f"rlimit RLIMIT_NPROC of the sandbox user{why}")
    if limits.cpus is not None:
        mechanisms.setdefault("cpus", f"sched_setaffinity, which a process may widen{why}")
    if limits.file_bytes is not None:
        mechanisms["file_size"] = "rlimit RLIMIT_FSIZE per file"
    if limits.open_files is not None:
        mechanisms["open_files"] = "rlimit RLIMIT_NOFILE per process"
    mechanisms["usage"] = (
        f"{hierarchy.describe()} counters of the whole tree"
        if group is not None and group.counts_cpu and hierarchy is not None
        else f"wait4 rusage{why}"
    )
    return Confinement(limits=limits, group=group, mechanisms=mechanisms)
