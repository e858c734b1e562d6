"""A control group per measured process: limits for the whole process tree, its usage, and
a way to kill everything in it, whoever its parent is now.

Both kernel interfaces are handled: cgroup v2 (one unified hierarchy) and v1 (one hierarchy
per controller: `memory`, `pids`, `cpuset`, `cpuacct`). Groups are made under the
evaluator's own group, in a `podium` folder, named `{key}-{phase}` so that an evaluator that
starts again can find and kill what an interrupted one left (`sweep`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

PARENT = "podium"
V1_CONTROLLERS = ("memory", "pids", "cpuset", "cpuacct")
V2_CONTROLLERS = ("memory", "pids", "cpuset", "cpu")
KILL_ROUNDS = 200


@dataclass(frozen=True)
class GroupLimits:
    """What a run's group enforces; None leaves that resource to the parent group."""

    memory_bytes: int | None = None
    processes: int | None = None
    cpus: str | None = None


@dataclass(frozen=True)
class GroupUsage:
    """What the kernel counted for the whole tree (CPU in seconds, memory in bytes)."""

    cpu_user_seconds: float | None
    cpu_system_seconds: float | None
    peak_memory_bytes: int | None
    oom_kills: int
    process_limit_hits: int


def _mounts() -> Iterator[tuple[str, str, list[str]]]:
    """(mount point, fs type, super options) of every mount this process sees."""
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        left, _, right = line.partition(" - ")
        fields, tail = left.split(), right.split()
        if len(fields) >= 5 and len(tail) >= 3:
            yield fields[4].replace("\\040", " "), tail[0], tail[2].split(",")


def _own_paths() -> dict[str, str]:
    """This process's group per controller ('' for the v2 unified hierarchy)."""
    paths: dict[str, str] = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for name in controllers.split(",") if controllers else [""]:
            paths[name] = path
    return paths


def _write(path: Path, value: str) -> None:
    with path.open("w") as handle:
        handle.write(value)


def _read_int(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _keyed(path: Path) -> dict[str, int]:
    """A flat-keyed cgroup file ('name value' per line)."""
    values: dict[str, int] = {}
    with contextlib.suppress(OSError):
        for line in path.read_text().splitlines():
            name, _, value = line.partition(" ")
            with contextlib.suppress(ValueError):
                values[name] = int(value)
    return values


class Hierarchy:
    """Where groups can be made on this host, and how (v1 or v2)."""

    def __init__(self, version: int, parents: Mapping[str, Path]) -> None:
        self.version = version
        self.parents = dict(parents)  # controller (or 'unified') -> the podium folder

    def create(self, name: str, limits: GroupLimits) -> RunGroup:
        self._remove(name)  # a leftover of the same name is emptied, never shared
        dirs: dict[str, Path] = {}
        try:
            for controller, parent in self.parents.items():
                folder = parent / name
                folder.mkdir()
                dirs[controller] = folder
            group = RunGroup(self.version, dirs)
            group.apply(limits)
        except OSError:
            RunGroup(self.version, dirs).remove()
            raise
        return group

    def sweep(self, prefix: str) -> list[str]:
        """Kill and remove every group whose name starts with `prefix`; returns their names."""
        names = sorted(
            {
                child.name
                for parent in self.parents.values()
                if parent.is_dir()
                for child in parent.iterdir()
                if child.is_dir() and child.name.startswith(prefix)
            }
        )
        for name in names:
            self._remove(name)
        return names

    def _remove(self, name: str) -> None:
        dirs = {c: p / name for c, p in self.parents.items() if (p / name).is_dir()}
        if dirs:
            group = RunGroup(self.version, dirs)
            group.kill_all()
            group.remove()

    def describe(self) -> str:
        return f"cgroup v{self.version}"


@dataclass
class RunGroup:
    """One measured process tree's group (one folder per controller on v1)."""

    version: int
    dirs: dict[str, Path]
    mechanisms: dict[str, str] = field(default_factory=dict)

    @property
    def _main(self) -> Path:
        return self.dirs.get("unified") or self.dirs.get("pids") or next(iter(self.dirs.values()))

    def _dir(self, controller: str) -> Path | None:
        return self.dirs.get("unified" if self.version == 2 else controller)

    def apply(self, limits: GroupLimits) -> None:
        v = f"cgroup v{self.version}"
        if self.version == 2:
            folder = self.dirs["unified"]
            if limits.cpus is not None:
                _write(folder / "cpuset.cpus", limits.cpus)
                self.mechanisms["cpus"] = f"{v} cpuset.cpus={limits.cpus}"
            if limits.memory_bytes is not None:
                _write(folder / "memory.max", str(limits.memory_bytes))
                with contextlib.suppress(OSError):  # swap would hide memory use from the limit
                    _write(folder / "memory.swap.max", "0")
                self.mechanisms["memory"] = f"{v} memory.max (the whole process tree)"
            if limits.processes is not None:
                _write(folder / "pids.max", str(limits.processes))
                self.mechanisms["processes"] = f"{v} pids.max (the whole process tree)"
            return
        cpuset = self.dirs.get("cpuset")
        if cpuset is not None:  # a v1 cpuset group starts empty and takes no process until set
            parent = cpuset.parent
            _write(cpuset / "cpuset.mems", (parent / "cpuset.mems").read_text().strip())
            cpus = limits.cpus or (parent / "cpuset.cpus").read_text().strip()
            _write(cpuset / "cpuset.cpus", cpus)
            if limits.cpus is not None:
                self.mechanisms["cpus"] = f"{v} cpuset.cpus={limits.cpus}"
        memory = self.dirs.get("memory")
        if memory is not None and limits.memory_bytes is not None:
            _write(memory / "memory.limit_in_bytes", str(limits.memory_bytes))
            with contextlib.suppress(OSError):  # where swap accounting exists, swap counts too
                _write(memory / "memory.memsw.limit_in_bytes", str(limits.memory_bytes))
            self.mechanisms["memory"] = f"{v} memory.limit_in_bytes (the whole process tree)"
        pids = self.dirs.get("pids")
        if pids is not None and limits.processes is not None:
            _write(pids / "pids.max", str(limits.processes))
            self.mechanisms["processes"] = f"{v} pids.max (the whole process tree)"

    def attach(self, pid: int) -> None:
        """Move a process in (call from the child before exec: its descendants follow)."""
        for folder in self.dirs.values():
            _write(folder / "cgroup.procs", str(pid))

    def pids(self) -> set[int]:
        found: set[int] = set()
        for folder in self.dirs.values():
            with contextlib.suppress(OSError):
                found |= {int(p) for p in (folder / "cgroup.procs").read_text().split()}
        return found

    def kill_all(self) -> bool:
        """SIGKILL everything inside until it is empty; False if it would not empty."""
        kill_file = self.dirs.get("unified", Path("/nonexistent")) / "cgroup.kill"
        for _ in range(KILL_ROUNDS):
            pids = self.pids()
            if not pids:
                return True
            if kill_file.exists():
                with contextlib.suppress(OSError):
                    _write(kill_file, "1")
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.002)
        return not self.pids()

    def usage(self) -> GroupUsage:
        if self.version == 2:
            folder = self.dirs["unified"]
            cpu = _keyed(folder / "cpu.stat")
            user, system = cpu.get("user_usec"), cpu.get("system_usec")
            return GroupUsage(
                cpu_user_seconds=None if user is None else user / 1e6,
                cpu_system_seconds=None if system is None else system / 1e6,
                peak_memory_bytes=_read_int(folder / "memory.peak"),
                oom_kills=_keyed(folder / "memory.events").get("oom_kill", 0),
                process_limit_hits=_keyed(folder / "pids.events").get("max", 0),
            )
        acct = self.dirs.get("cpuacct")
        user = _read_int(acct / "cpuacct.usage_user") if acct else None
        system = _read_int(acct / "cpuacct.usage_sys") if acct else None
        memory, pids = self.dirs.get("memory"), self.dirs.get("pids")
        return GroupUsage(
            cpu_user_seconds=None if user is None else user / 1e9,
            cpu_system_seconds=None if system is None else system / 1e9,
            peak_memory_bytes=_read_int(memory / "memory.max_usage_in_bytes") if memory else None,
            oom_kills=_keyed(memory / "memory.oom_control").get("oom_kill", 0) if memory else 0,
            process_limit_hits=_keyed(pids / "pids.events").get("max", 0) if pids else 0,
        )

    @property
    def counts_cpu(self) -> bool:
        return self.version == 2 or "cpuacct" in self.dirs

    def remove(self) -> None:
        """Remove the folders (the kernel refuses while a process, even a zombie, is inside)."""
        for folder in self.dirs.values():
            for _ in range(500):
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    self.kill_all()
                    time.sleep(0.002)


def _v2_parent(mount: Path, own: str) -> Path | None:
    """The podium folder under this process's v2 group, its controllers enabled.

    A v2 group with processes cannot hand controllers to children, so the evaluator first
    moves itself into a leaf `evaluator` group (the usual pattern of a delegated subtree).
    """
    base = mount / own.lstrip("/")
    available = set((base / "cgroup.controllers").read_text().split())
    wanted = [c for c in V2_CONTROLLERS if c in available]
    if "memory" not in wanted or "pids" not in wanted:
        return None
    enable = " ".join(f"+{c}" for c in wanted)
    try:
        _write(base / "cgroup.subtree_control", enable)
    except OSError:
        leaf = base / "evaluator"
        leaf.mkdir(exist_ok=True)
        _write(leaf / "cgroup.procs", str(os.getpid()))
        _write(base / "cgroup.subtree_control", enable)
    parent = base / PARENT
    parent.mkdir(exist_ok=True)
    _write(parent / "cgroup.subtree_control", enable)
    return parent


def _v1_parents(mounts: dict[str, Path], own: dict[str, str]) -> dict[str, Path]:
    parents: dict[str, Path] = {}
    for controller in V1_CONTROLLERS:
        if controller not in mounts:
            continue
        parent = mounts[controller] / own.get(controller, "/").lstrip("/") / PARENT
        try:
            parent.mkdir(exist_ok=True)
            if controller == "cpuset":
                for name in ("cpuset.cpus", "cpuset.mems"):
                    _write(parent / name, (parent.parent / name).read_text().strip())
        except OSError:
            continue
        parents[controller] = parent
    return parents


@cache
def host_hierarchy() -> tuple[Hierarchy | None, str]:
    """The hierarchy runs' groups go into here, or None and why not (probed once)."""
    if os.environ.get("PODIUM_NO_CGROUPS"):
        return None, "cgroups disabled by PODIUM_NO_CGROUPS"
    try:
        mounts = list(_mounts())
        own = _own_paths()
    except OSError as err:
        return None, f"cannot read the process's cgroups ({err})"
    v1 = {
        opt: Path(point)
        for point, fstype, opts in mounts
        if fstype == "cgroup"
        for opt in opts
        if opt in V1_CONTROLLERS
    }
    if "memory" in v1 and "pids" in v1:
        parents = _v1_parents(v1, own)
        if "memory" in parents and "pids" in parents:
            return Hierarchy(1, parents), ""
        return None, "the cgroup v1 memory and pids hierarchies are not writable"
    unified = next((Path(p) for p, fstype, _ in mounts if fstype == "cgroup2"), None)
    if unified is None:
        return None, "no cgroup hierarchy is mounted"
    try:
        parent = _v2_parent(unified, own.get("", "/"))
    except OSError as err:
        return None, f"the cgroup v2 hierarchy is not writable here ({err.strerror})"
    if parent is None:
        return None, "cgroup v2 without the memory and pids controllers"
    return Hierarchy(2, {"unified": parent}), ""
