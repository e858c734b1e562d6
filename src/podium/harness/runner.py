"""Runners start a submission's command and measure it. One small interface so that the
plain subprocess runner can be swapped for a sandboxed one."""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

from podium.core.errors import PlatformError
from podium.harness.cgroups import GroupUsage
from podium.harness.confine import Confinement


@dataclass(frozen=True)
class RunRequest:
    """What to run, where, and within which limits.

    The runner maps the folders into the submission's view and builds its environment:
    the contract's PODIUM_INPUT_DIR / PODIUM_OUTPUT_DIR (neither for `setup`, which sees no
    data), and a private HOME / TMPDIR.
    """

    command: str
    workdir: Path  # the unpacked submission
    input_dir: Path | None  # sealed inputs, never labels; None: nothing (setup)
    output_dir: Path | None  # where predictions go; None: nowhere (setup)
    tmp_dir: Path  # private HOME and TMPDIR
    timeout_seconds: float
    log_path: Path
    max_log_bytes: int
    confinement: Confinement = field(default_factory=Confinement)
    network: bool = False
    gpus: tuple[int, ...] | None = None  # GPU indices the run sees (None: all)
    pid_file: Path | None = None  # where the started processes are noted, for a later clean-up
    environment: Path | None = None  # a built environment (read-only); None: the evaluator's
    environment_base: str | None = None  # the prefix of the interpreter it runs on


@dataclass(frozen=True)
class ProcessResult:
    """Raw measurements of one process tree, from start to the last byte of output."""

    exit_code: int | None
    timed_out: bool
    wall_seconds: float
    cpu_user_seconds: float
    cpu_system_seconds: float
    peak_rss_bytes: int
    log_bytes: int
    bytes_written: int
    log_overflow: bool = False
    out_of_memory: bool = False  # the kernel killed a process at the group's memory limit
    process_limit_hit: bool = False  # a fork was refused at the group's process limit
    gpu_energy_joules: float | None = None  # net of idle power, like cpu_energy_joules
    gpu_peak_memory_bytes: int | None = None
    cpu_energy_joules: float | None = None  # RAPL packages, net of idle power
    idle_cpu_watts: float | None = None
    idle_gpu_watts: float | None = None
    energy_note: str | None = None  # which counter was missing, and why

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out and not self.log_overflow


class Runner(Protocol):
    """Runs one command and measures it; raises PlatformError when it cannot start it.
    `mechanisms` says what isolates the command (recorded with each run, like the limits)."""

    name: str
    mechanisms: dict[str, str]

    def run(self, request: RunRequest) -> ProcessResult: ...


def _copy_capped(
    src: IO[bytes], log_path: Path, cap: int, counter: list[int], on_overflow: Callable[[], None]
) -> None:
    """Keep the first `cap` bytes of output; past that the run is stopped (a log flood).
    Each chunk reaches the file as it comes (a job's log is followed while it runs)."""
    with log_path.open("ab", buffering=0) as log:
        while chunk := os.read(src.fileno(), 65536):
            room = cap - counter[0]
            counter[0] += len(chunk)
            if room > 0:
                log.write(chunk[:room])
            if counter[0] > cap:
                log.write(f"\n[podium: output passed {cap} bytes; the run was stopped]\n".encode())
                on_overflow()
                src.read()  # drain what is left so nothing blocks
                return


class SubprocessRunner:
    """A plain child process in its own session: measured, timed out, its group killed.

    It does not isolate the submission (see the sandboxed runner for that).
    """

    name = "subprocess"

    def __init__(self) -> None:
        self.mechanisms = {
            "isolation": 'none: a plain subprocess ([sandbox] runner = "subprocess")'
        }

    def run(self, request: RunRequest) -> ProcessResult:
        env = contract_env(
            request.input_dir, request.output_dir, request.tmp_dir, request.environment
        )
        return run_measured(["/bin/sh", "-c", request.command], request, env, request.workdir)


def contract_env(
    input_dir: str | Path | None,
    output_dir: str | Path | None,
    tmp_dir: str | Path,
    environment: str | Path | None = None,
) -> dict[str, str]:
    """A small, explicit environment: the contract's two variables and the runtime's basics;
    the Python first on PATH is the run's environment, else the evaluator's own."""
    python_bin = str(Path(environment) / "bin" if environment else Path(sys.executable).parent)
    env = {
        "PATH": f"{python_bin}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(tmp_dir),
        "TMPDIR": str(tmp_dir),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    if environment is not None:
        env["VIRTUAL_ENV"] = str(environment)
    if input_dir is not None:
        env["PODIUM_INPUT_DIR"] = str(input_dir)
    if output_dir is not None:
        env["PODIUM_OUTPUT_DIR"] = str(output_dir)
    return env


def run_measured(
    argv: Sequence[str],
    request: RunRequest,
    env: Mapping[str, str],
    cwd: Path,
    *,
    pass_fds: Sequence[int] = (),
    kill_extra: Callable[[], None] | None = None,
    after_start: Callable[[], None] | None = None,
    on_started: Callable[[int], None] | None = None,
) -> ProcessResult:
    """Start argv in its own session and confinement, kill it at the time-out, measure it.

    `kill_extra` kills what left the group (a sandbox's PID namespace) whenever the group is;
    the confinement's group, where there is one, is emptied last, whoever its parent is.
    `on_started` learns the pid once the output is being read and the clock runs.
    """
    request.log_path.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()  # the whole process, sandbox start included
    proc = _start(argv, request, env, cwd, pass_fds, after_start)
    watch = _Watch(proc, request, kill_extra)
    note_pid(request.pid_file, proc.pid)
    noting = threading.Thread(target=on_started or (lambda _pid: None), args=(proc.pid,))
    noting.start()  # beside the run: nothing may delay reaching wait4()
    try:
        _, status, rusage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    finally:
        watch.timer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    noting.join()
    watch.end()
    confinement = request.confinement
    usage = confinement.usage() if confinement.counts_usage else None
    return ProcessResult(
        exit_code=None if watch.timed_out.is_set() else proc.returncode,
        timed_out=watch.timed_out.is_set(),
        log_overflow=watch.flooded.is_set(),
        wall_seconds=wall,
        log_bytes=watch.log_bytes[0],
        bytes_written=0,
        **_usage_fields(usage, rusage),
    )


class _Watch:
    """What runs beside a process: its log copied under a cap, its time-out; either one
    kills everything it started (its group, its sandbox, its cgroup)."""

    def __init__(
        self,
        proc: subprocess.Popen[bytes],
        request: RunRequest,
        kill_extra: Callable[[], None] | None,
    ) -> None:
        assert proc.stdout is not None
        self.proc, self.confinement, self.kill_extra = proc, request.confinement, kill_extra
        self.timed_out, self.flooded = threading.Event(), threading.Event()
        self.log_bytes = [0]
        self.reader = threading.Thread(
            target=_copy_capped,
            args=(proc.stdout, request.log_path, request.max_log_bytes, self.log_bytes,
                  lambda: self._stop(self.flooded)),
        )  # fmt: skip
        self.reader.start()
        self.timer = threading.Timer(request.timeout_seconds, self._stop, (self.timed_out,))
        self.timer.start()

    def _stop(self, why: threading.Event) -> None:
        why.set()
        self.kill()

    def kill(self) -> None:
        _kill_group(self.proc.pid)
        if self.kill_extra is not None:
            self.kill_extra()
        self.confinement.kill_all()

    def end(self) -> None:
        """After the process: nothing it started may outlive it; the log is complete."""
        self.kill()
        self.reader.join()
        assert self.proc.stdout is not None
        self.proc.stdout.close()


def _usage_fields(usage: GroupUsage | None, rusage: resource.struct_rusage) -> dict[str, Any]:
    """The group's counters of the whole tree; wait4's rusage where there is no group."""
    if usage is None:
        return {
            "cpu_user_seconds": rusage.ru_utime,
            "cpu_system_seconds": rusage.ru_stime,
            "peak_rss_bytes": rusage.ru_maxrss * 1024,
        }
    return {
        "cpu_user_seconds": usage.cpu_user_seconds or 0.0,
        "cpu_system_seconds": usage.cpu_system_seconds or 0.0,
        "peak_rss_bytes": usage.peak_memory_bytes or rusage.ru_maxrss * 1024,
        "out_of_memory": usage.oom_kills > 0,
        "process_limit_hit": usage.process_limit_hits > 0,
    }


def _start(
    argv: Sequence[str],
    request: RunRequest,
    env: Mapping[str, str],
    cwd: Path,
    pass_fds: Sequence[int],
    after_start: Callable[[], None] | None,
) -> subprocess.Popen[bytes]:
    try:
        return subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=dict(env),
            preexec_fn=request.confinement.preexec,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            pass_fds=tuple(pass_fds),
        )
    except (OSError, subprocess.SubprocessError) as err:
        raise PlatformError(f"could not start the submission: {err}") from err
    finally:
        if after_start is not None:
            after_start()


def _start_time(pid: int) -> str | None:
    """The kernel's start time of a process: a pid plus this names one process, never a reuse."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def note_pid(pid_file: Path | None, pid: int) -> None:
    """Append a process (pid and start time) that must not outlive an interrupted evaluator."""
    started = _start_time(pid)
    if pid_file is not None and started is not None:
        with pid_file.open("a") as handle:
            handle.write(f"{pid} {started}\n")


def kill_noted(pid_file: Path) -> int:
    """Kill the noted processes that still run (with their groups); returns how many."""
    killed = 0
    with contextlib.suppress(OSError):
        for line in pid_file.read_text().splitlines():
            pid_text, _, started = line.partition(" ")
            if pid_text.isdigit() and _start_time(int(pid_text)) == started:
                _kill_group(int(pid_text))
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(int(pid_text), signal.SIGKILL)
                killed += 1
    return killed


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
