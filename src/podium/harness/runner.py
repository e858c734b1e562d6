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
from typing import IO, Protocol

from podium.errors import PlatformError


@dataclass(frozen=True)
class Limits:
    """rlimits of the submission's processes (None: the runner's default)."""

    memory_bytes: int | None = None
    processes: int | None = None
    file_bytes: int | None = None
    open_files: int | None = None


@dataclass(frozen=True)
class RunRequest:
    """What to run, where, and within which limits.

    The runner maps the folders into the submission's view and builds its environment:
    the contract's PODIUM_INPUT_DIR / PODIUM_OUTPUT_DIR, and a private HOME / TMPDIR.
    """

    command: str
    workdir: Path  # the unpacked submission
    input_dir: Path  # sealed inputs, never labels
    output_dir: Path  # where predictions go
    tmp_dir: Path  # private HOME and TMPDIR
    timeout_seconds: float
    log_path: Path
    max_log_bytes: int
    limits: Limits = field(default_factory=Limits)
    network: bool = False


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
    gpu_energy_joules: float | None = None
    gpu_peak_memory_bytes: int | None = None

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out and not self.log_overflow


class Runner(Protocol):
    """Runs one command and measures it; raises PlatformError when it cannot start it."""

    name: str

    def run(self, request: RunRequest) -> ProcessResult: ...


def _copy_capped(
    src: IO[bytes], log_path: Path, cap: int, counter: list[int], on_overflow: Callable[[], None]
) -> None:
    """Keep the first `cap` bytes of output; past that the run is stopped (a log flood)."""
    with log_path.open("ab") as log:
        while chunk := src.read(65536):
            room = cap - counter[0]
            counter[0] += len(chunk)
            if room > 0:
                log.write(chunk[:room])
            if counter[0] > cap:
                log.write(f"\n[podium: output passed {cap} bytes; the run was stopped]\n".encode())
                on_overflow()
                src.read()  # drain what is left so nothing blocks
                return


def _folder_bytes(folder: Path | None) -> int:
    if folder is None or not folder.is_dir():
        return 0
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


class SubprocessRunner:
    """A plain child process in its own session: measured, timed out, its group killed.

    It does not isolate the submission (see the sandboxed runner for that).
    """

    name = "subprocess"

    def run(self, request: RunRequest) -> ProcessResult:
        env = contract_env(request.input_dir, request.output_dir, request.tmp_dir)
        return run_measured(["/bin/sh", "-c", request.command], request, env, request.workdir)


def contract_env(input_dir: Path, output_dir: Path, tmp_dir: Path) -> dict[str, str]:
    """A small, explicit environment: the contract's two variables and the runtime's basics."""
    python_bin = str(Path(sys.executable).parent)
    return {
        "PATH": f"{python_bin}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(tmp_dir),
        "TMPDIR": str(tmp_dir),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PODIUM_INPUT_DIR": str(input_dir),
        "PODIUM_OUTPUT_DIR": str(output_dir),
    }


def _set_limits(limits: Limits) -> Callable[[], None]:
    def apply() -> None:
        for kind, value in (
            (resource.RLIMIT_AS, limits.memory_bytes),
            (resource.RLIMIT_NPROC, limits.processes),
            (resource.RLIMIT_FSIZE, limits.file_bytes),
            (resource.RLIMIT_NOFILE, limits.open_files),
        ):
            if value is not None:
                resource.setrlimit(kind, (value, value))

    return apply


def run_measured(
    argv: Sequence[str],
    request: RunRequest,
    env: Mapping[str, str],
    cwd: Path,
    preexec: Callable[[], None] | None = None,
    *,
    pass_fds: Sequence[int] = (),
    kill_extra: Callable[[], None] | None = None,
    after_start: Callable[[], None] | None = None,
) -> ProcessResult:
    """Start argv in its own session, kill its group at the time-out, measure it.

    `kill_extra` kills what left the group (a sandbox's PID namespace) whenever the group is.
    """

    def _kill_all(pid: int) -> None:
        _kill_group(pid)
        if kill_extra is not None:
            kill_extra()

    request.log_path.parent.mkdir(parents=True, exist_ok=True)
    limits = _set_limits(request.limits)

    def _preexec() -> None:
        limits()
        if preexec is not None:
            preexec()

    try:
        start = time.perf_counter()
        proc = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=dict(env),
            preexec_fn=_preexec,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            pass_fds=tuple(pass_fds),
        )
    except OSError as err:
        raise PlatformError(f"could not start the submission: {err}") from err
    finally:
        if after_start is not None:
            after_start()
    assert proc.stdout is not None
    counter = [0]
    timed_out = threading.Event()
    flooded = threading.Event()

    def _kill() -> None:
        timed_out.set()
        _kill_all(proc.pid)

    def _flood() -> None:
        flooded.set()
        _kill_all(proc.pid)

    reader = threading.Thread(
        target=_copy_capped,
        args=(proc.stdout, request.log_path, request.max_log_bytes, counter, _flood),
    )
    reader.start()

    timer = threading.Timer(request.timeout_seconds, _kill)
    timer.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    finally:
        timer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    _kill_all(proc.pid)  # nothing may outlive the test phase
    reader.join()
    proc.stdout.close()
    return ProcessResult(
        exit_code=None if timed_out.is_set() else proc.returncode,
        timed_out=timed_out.is_set(),
        log_overflow=flooded.is_set(),
        wall_seconds=wall,
        cpu_user_seconds=usage.ru_utime,
        cpu_system_seconds=usage.ru_stime,
        peak_rss_bytes=usage.ru_maxrss * 1024,
        log_bytes=counter[0],
        bytes_written=_folder_bytes(request.output_dir),
    )


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def create_runner(name: str) -> Runner:
    """The runner a spec names; 'bwrap' refuses to start where bubblewrap is missing."""
    if name == "subprocess":
        return SubprocessRunner()
    if name == "bwrap":
        from podium.harness.sandbox import BwrapRunner

        return BwrapRunner()
    raise PlatformError(f"unknown runner {name!r}", hint="use 'bwrap' or 'subprocess'")
