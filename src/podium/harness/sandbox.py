"""The bubblewrap sandbox: what a submission can see and do.

Default deny. Every run (setup and each timed repeat) has its own user, PID, network, IPC,
mount and UTS namespaces and runs under a seccomp filter at least as strict as Docker's
default profile (harness/seccomp.py): no kernel keyrings, no tracing, no BPF, no mounts, no new
namespaces (nested user namespaces are disabled too), no io_uring. Nothing kernel-side is shared
between runs or teams, so no run can hand anything to the next. It sees read-only system
folders and the Python environment, its own folder read-only at /submission, the sealed inputs
read-only at /data/input (the timed run only), a writable /data/output, a private /tmp and
/dev/shm; never the labels, the store or the rest of the host. The confinement (a cgroup, or
rlimits) caps memory, processes, CPUs, file size and open files; the runner's time-out kills
the whole tree (bwrap's PID namespace dies with its init).

As root, two bubblewraps nest: the outer one (root, no user namespace) mounts what the run may
see, whatever the host's folder permissions; it drops to `nobody` (so that RLIMIT_NPROC and
file ownership are those of an unprivileged user of the host), and an inner bubblewrap, run by
`nobody`, gives the command its own user namespace and loads the filter. As another user one
bubblewrap does both.

Where the run has a cgroup that counts CPU time, the outer bwrap's own init is PID 1: it stays
root inside the namespace, so its parent-death signal survives and the sandbox ends with the
evaluator however that ends. (Dropping to `nobody` clears that signal, and the dropped
command cannot receive one from bwrap's capability-less monitor.) Without such a group the
command's side is PID 1, so that its rusage, and its children's, reaches our wait4().
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import pwd
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from podium.core.errors import PlatformError
from podium.harness import seccomp
from podium.harness.environments import MOUNT
from podium.harness.gpu import driver_library_dirs, nvidia_device_files
from podium.harness.runner import (
    ProcessResult,
    RunRequest,
    contract_env,
    note_pid,
    run_measured,
)

SUBMISSION = "/submission"
INPUT = "/data/input"
OUTPUT = "/data/output"
TMP = "/tmp"
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
SYSTEM_FILES = ("/etc/ld.so.cache", "/etc/localtime", "/etc/alternatives", "/etc/ssl")
SANDBOX_USER = "nobody"
SHM_BYTES = 64 * 1024**2  # /dev/shm where memory is not limited (Docker's default size)


def find_bwrap() -> str | None:
    return shutil.which("bwrap")


def python_roots() -> list[str]:
    """Folders the submission's Python needs: the interpreter's prefixes and site-packages."""
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    return sorted(r for r in roots if not any(r.startswith(s + "/") for s in SYSTEM_DIRS))


def _bind_system(args: list[str]) -> None:
    for folder in SYSTEM_DIRS:
        path = Path(folder)
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), folder]
        elif path.is_dir():
            args += ["--ro-bind", folder, folder]
    args += ["--perms", "0755", "--dir", "/etc"]
    for file in SYSTEM_FILES:
        if Path(file).exists():
            args += ["--ro-bind", file, file]


def _sandbox_ids() -> tuple[int, int] | None:
    """As root, the command drops to `nobody` (so RLIMIT_NPROC applies); None otherwise."""
    if os.geteuid() != 0:
        return None
    user = pwd.getpwnam(SANDBOX_USER)
    return user.pw_uid, user.pw_gid


@functools.cache
def _check_user_namespaces(bwrap: str) -> None:
    """The sandbox user must be able to make a user namespace: where the host forbids it
    (user.max_user_namespaces = 0, Ubuntu's AppArmor restriction), say so before any run,
    instead of failing every submission as if it were the team's fault."""
    ids = _sandbox_ids()
    drop = [] if ids is None else ["/usr/bin/setpriv", f"--reuid={ids[0]}", f"--regid={ids[1]}",
                                   "--clear-groups", "--"]  # fmt: skip
    argv = [*drop, bwrap, "--ro-bind", "/", "/", *_own_user_namespace(None), "true"]
    done = subprocess.run(argv, capture_output=True, text=True, cwd="/", check=False)
    if done.returncode != 0:
        raise PlatformError(
            "bubblewrap cannot give a run a user namespace of its own here: "
            + (done.stderr.strip() or f"exit code {done.returncode}"),
            hint="allow unprivileged user namespaces (sysctl user.max_user_namespaces=15000; "
            "on Ubuntu 23.10 and later, kernel.apparmor_restrict_unprivileged_userns=0 or an "
            "AppArmor profile for bwrap)",
        )


def _own_user_namespace(seccomp_fd: int | None) -> list[str]:
    """A user namespace of the run's own (its keyrings, its uid map) that cannot make another,
    and the system-call filter."""
    args = ["--unshare-user", "--disable-userns"]
    if seccomp_fd is not None:
        args += ["--seccomp", str(seccomp_fd)]
    return args


def _inner_sandbox(bwrap: str, ids: tuple[int, int], seccomp_fd: int | None) -> list[str]:
    """As root: drop to `nobody`, then an inner bubblewrap gives the command everything the
    outer one mounted, in a user namespace of its own, under the filter."""
    uid, gid = ids
    return [
        "/usr/bin/setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups",
        "--inh-caps=-all", "--bounding-set=-all", "--",
        bwrap, "--dev-bind", "/", "/", *_own_user_namespace(seccomp_fd),
        "--die-with-parent", "--chdir", SUBMISSION, "--",
    ]  # fmt: skip


def _dirs_with_parents(args: list[str], target: str, made: set[str]) -> None:
    """bwrap makes missing parents 0700 when run as root: make them 0755 first."""
    parents = list(reversed(Path(target).parents))[1:]
    for parent in parents:
        if str(parent) not in made:
            made.add(str(parent))
            args += ["--perms", "0755", "--dir", str(parent)]


class BwrapRunner:
    """Runs each command inside a fresh bubblewrap sandbox."""

    name = "bwrap"

    def __init__(self, bwrap: str | None = None) -> None:
        found = bwrap or find_bwrap()
        if found is None:
            raise PlatformError(
                "bubblewrap (bwrap) is not installed, so submissions cannot be sandboxed",
                hint="install it (apt-get install bubblewrap), or set [sandbox] runner = "
                '"subprocess" to run trusted code without a sandbox',
            )
        self.bwrap = found
        seccomp.compiled_filter()  # a machine without libseccomp says so before any run
        _check_user_namespaces(found)
        self.mechanisms = {
            "namespaces": "bubblewrap: a user namespace of its own (none nested), PID, IPC, "
            "mount, UTS, cgroup and (but for a networked setup) network namespaces per run",
            "system_calls": seccomp.describe(),
        }

    def argv(
        self, request: RunRequest, info_fd: int | None = None, seccomp_fd: int | None = None
    ) -> list[str]:
        """bwrap's command line; the filter is read from `seccomp_fd` (none: no filter)."""
        ids = _sandbox_ids()
        args = [self.bwrap]
        if info_fd is not None:
            args += ["--info-fd", str(info_fd)]
        args += [
            "--unshare-ipc",
            "--unshare-pid",
            "--unshare-uts",
            "--unshare-cgroup-try",
        ]
        if not request.network:
            args.append("--unshare-net")
        if ids is None:  # one bubblewrap: its own user namespace
            args += _own_user_namespace(seccomp_fd)
        else:  # for setpriv, which drops them with every other capability
            args += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
        args.append("--die-with-parent")
        if not request.confinement.counts_usage:
            # the command's side is PID 1: its exit ends the namespace (no process survives it)
            # and its rusage, with that of the children it waited for, reaches our wait4()
            args += ["--as-pid-1"]
        args.append("--new-session")
        self._mounts(args, request)
        args += ["--chdir", SUBMISSION, "--clearenv"]
        env = contract_env(
            INPUT if request.input_dir is not None else None,
            OUTPUT if request.output_dir is not None else None,
            TMP,
            MOUNT if request.environment is not None else None,
        )
        for key, value in env.items():
            args += ["--setenv", key, value]
        if ids is not None:
            args += _inner_sandbox(self.bwrap, ids, seccomp_fd)
        args += ["/bin/sh", "-c", request.command]
        return args

    def _mounts(self, args: list[str], request: RunRequest) -> None:
        _bind_system(args)
        # the private /tmp first: a Python environment under /tmp (a venv in a fresh clone)
        # is then mounted on top of it instead of being hidden by it
        args += ["--bind", str(request.tmp_dir), TMP]
        made: set[str] = {TMP}
        roots = python_roots()
        base = request.environment_base
        system = base is not None and any(base.startswith(f"{d}/") for d in SYSTEM_DIRS)
        if request.environment is not None and base and base not in roots and not system:
            roots.append(base)  # the interpreter the environment runs on
        for root in roots:
            _dirs_with_parents(args, root, made)
            args += ["--ro-bind", root, root]
        if request.environment is not None:  # read-only: shared by every run naming it
            _dirs_with_parents(args, MOUNT, made)
            args += ["--ro-bind", str(request.environment), MOUNT]
        if not any(self.bwrap.startswith(f"{folder}/") for folder in SYSTEM_DIRS):
            args += ["--ro-bind", self.bwrap, self.bwrap]  # for the inner bubblewrap
        args += ["--proc", "/proc", "--dev", "/dev"]
        shm = request.confinement.limits.memory_bytes or SHM_BYTES  # tmpfs pages are memory
        args += ["--perms", "1777", "--size", str(shm), "--tmpfs", "/dev/shm"]
        args += ["--perms", "0755", "--dir", "/data"]
        devices = nvidia_device_files(request.gpus)
        for device in devices:  # GPU machines: those devices only
            args += ["--dev-bind", device, device]
        for folder in driver_library_dirs() if devices else []:  # read-only, like /usr
            if not any(folder == d or folder.startswith(f"{d}/") for d in SYSTEM_DIRS):
                _dirs_with_parents(args, folder, made)
                args += ["--ro-bind", folder, folder]
        args += ["--ro-bind", str(request.workdir), SUBMISSION]
        if request.input_dir is not None:
            args += ["--ro-bind", str(request.input_dir), INPUT]
        if request.output_dir is not None:
            args += ["--bind", str(request.output_dir), OUTPUT]

    def run(self, request: RunRequest) -> ProcessResult:
        ids = _sandbox_ids()
        if ids is not None:
            for folder in (request.output_dir, request.tmp_dir):
                if folder is not None:
                    os.chown(folder, *ids)
        read_end, write_end = os.pipe()
        os.set_blocking(read_end, False)
        child = _SandboxChild(read_end)
        policy = seccomp.export()
        try:
            return run_measured(
                self.argv(request, info_fd=write_end, seccomp_fd=policy),
                request,
                {},
                request.workdir,
                pass_fds=(write_end, policy),
                kill_extra=child.kill,
                after_start=lambda: os.close(write_end),
                on_started=lambda _pid: note_pid(request.pid_file, child.learn()),
            )
        finally:
            os.close(read_end)
            os.close(policy)


class _SandboxChild:
    """The sandbox's PID 1, learnt from bwrap's --info-fd. Dropping privileges clears
    --die-with-parent's signal, so killing bwrap alone would leave it running: killing
    PID 1 of a PID namespace ends every process in it."""

    def __init__(self, info_fd: int) -> None:
        self.info_fd = info_fd
        self.buffer = b""
        self.pid: int | None = None
        self.closed = False

    def learn(self, timeout: float = 2.0) -> int:
        """PID 1 of the sandbox (0 if bwrap has not said within `timeout`)."""
        deadline = time.monotonic() + timeout
        while self.pid is None and not self.closed and time.monotonic() < deadline:
            self._read()
            if self.pid is None:
                select.select([self.info_fd], [], [], 0.05)
        return self.pid or 0

    def _read(self) -> None:
        with contextlib.suppress(BlockingIOError, OSError):
            while chunk := os.read(self.info_fd, 4096):
                self.buffer += chunk
            self.closed = True  # bwrap closed its end
        with contextlib.suppress(ValueError, KeyError, TypeError):
            self.pid = int(json.loads(self.buffer.decode())["child-pid"])

    def kill(self) -> None:
        if self.pid is None:
            self._read()
        if self.pid is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(self.pid, signal.SIGKILL)
            wait_until_dead(self.pid)


def wait_until_dead(pid: int, timeout: float = 5.0) -> bool:
    """SIGKILL is asynchronous: wait until the process is gone or a zombie."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.005)
    return False
