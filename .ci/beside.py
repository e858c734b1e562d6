"""Run a command beside the SQLite phase of `make test` on the CPU time that phase leaves idle.

    python .ci/beside.py --after PID [--else-now] -- COMMAND...

The command and everything it starts go into a cgroup (v1 `cpu` controller, or v2 with `cpu`)
marked `cpu.idle`: the scheduler runs them only when nothing else wants a core. `nice` cannot
do it: the kernel's autogroups give every new session (a test's server, a sandbox) a fair share
of its own, whatever its nice value. Where no such cgroup can be made (no controller, not
root), the command waits for process PID (the SQLite phase) to end and then runs: one after
the other, as before (or, with --else-now, runs at once at normal priority: mypy and the bare
install are short enough to share the cores). Exits with the command's status.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOTS = (Path("/sys/fs/cgroup/cpu"), Path("/sys/fs/cgroup"))


def idle_group() -> Path | None:
    """A new cgroup whose tasks run only on idle CPU, with this process in it; else None."""
    for root in ROOTS:
        if not (root / "cpu.idle").exists() and not (root / "cgroup.subtree_control").exists():
            continue
        group = root / f"podium-beside-{os.getpid()}"
        try:
            control = root / "cgroup.subtree_control"  # v2: cpu must be delegated
            if control.exists() and "cpu" not in control.read_text().split():
                continue
            group.mkdir()
            (group / "cpu.idle").write_text("1")
            (group / "cgroup.procs").write_text(str(os.getpid()))
            return group
        except OSError:
            if group.is_dir():
                group.rmdir()
    return None


def leave(group: Path) -> None:
    """Back to the parent group, then remove ours (it holds nothing once the command ended)."""
    try:
        (group.parent / "cgroup.procs").write_text(str(os.getpid()))
        for _ in range(50):  # a child's exit is reaped before its task leaves the group
            try:
                group.rmdir()
                return
            except OSError:
                time.sleep(0.1)
    except OSError:
        pass


def wait_for(pid: int) -> None:
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.5)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--after", type=int, required=True)
    parser.add_argument("--else-now", action="store_true")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    group = idle_group()
    if group is None and not args.else_now:
        print(f"beside.py: no idle cgroup here; waiting for {args.after}", file=sys.stderr)
        wait_for(args.after)
    try:
        return subprocess.run(command).returncode
    finally:
        if group is not None:
            leave(group)


if __name__ == "__main__":
    sys.exit(main())
