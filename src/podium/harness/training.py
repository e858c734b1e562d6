"""A training job: a team's `[job] command` in the same sandbox as a test phase, with the
public training data read-only at /data/input (never a sealed file: the sealed folders are
not mounted at all), a writable /data/output kept as the job's artifact, the network as
`[jobs] network` says, a wall-clock limit, and a CPU allowance.

The allowance is what is left of the team's budget. The job's control group counts the CPU
time of its whole process tree (cgroup cpuacct or cpu.stat); a watcher reads it every
`POLL_SECONDS` and kills the group the moment it reaches the allowance, so a job overshoots
by at most one poll interval times the cores it can use. The same watcher pauses the job
(SIGSTOP to every process of the group) while an evaluation runs on the machine and resumes
it after: evaluation is never queued behind a job and its timing never shares the CPU with
one; a stopped process uses no CPU time, so nothing is billed for the pause.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tarfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from podium.config.spec import JobsSpec, SandboxSpec
from podium.harness.confine import Confinement, Limits, confine
from podium.harness.energy import EnergyMeter
from podium.harness.evaluate import log_tail, sandbox_limits
from podium.harness.gpu import nvml_handles
from podium.harness.runner import ProcessResult, Runner, RunRequest
from podium.harness.workspace import Workspace, collect_outputs

POLL_SECONDS = 0.02
CANCEL_EVERY = 50  # polls between two asks whether the team cancelled (a store read)
Say = Callable[[str], None]


@dataclass
class JobControl:
    """What the outside may do to a running job: pause it (an evaluation needs the machine),
    resume it, or stop it (the team cancelled it)."""

    paused: threading.Event = field(default_factory=threading.Event)
    cancelled: threading.Event = field(default_factory=threading.Event)
    shutdown: threading.Event = field(default_factory=threading.Event)  # ours: run it again
    running: threading.Event = field(default_factory=threading.Event)  # a job runs now
    still: threading.Event = field(default_factory=threading.Event)  # and is stopped

    @contextlib.contextmanager
    def hold(self, settle: float = 1.0) -> Iterator[None]:
        """While the block runs, no job uses the CPU: a running one is stopped first (we
        wait up to `settle` seconds for its watcher to say so) and resumed after."""
        self.paused.set()
        try:
            if self.running.is_set():
                self.still.wait(settle)
            yield
        finally:
            self.paused.clear()


@dataclass(frozen=True)
class TrainingRequest:
    """One job: its unpacked folder, the public data, where its log and artifact go."""

    name: str  # names its control group and workspace
    command: str
    folder: Path  # the unpacked job folder (holds podium.toml)
    public_dir: Path  # mounted read-only at /data/input
    log_path: Path
    artifact_path: Path  # the output folder as a .tar.gz
    workspace: Path
    limits: Limits
    timeout_seconds: float
    max_log_bytes: int
    max_artifact_bytes: int
    network: bool = False
    cpu_seconds_left: float | None = None  # None: no CPU budget
    gpus: tuple[int, ...] | None = None


def training_request(
    sandbox: SandboxSpec, jobs: JobsSpec, *, name: str, command: str, folder: Path,
    public_dir: Path, log_path: Path, artifact_path: Path, workspace: Path,
    cpu_seconds_left: float | None,
) -> TrainingRequest:  # fmt: skip
    """One job under the competition's `[sandbox]` and `[jobs]` (the server and a worker
    build it alike)."""
    limits = sandbox_limits(sandbox)
    if jobs.memory_mb is not None:
        limits = replace(limits, memory_bytes=jobs.memory_mb * 1024**2)
    return TrainingRequest(
        name=name,
        command=command,
        folder=folder,
        public_dir=public_dir,
        log_path=log_path,
        artifact_path=artifact_path,
        workspace=workspace,
        limits=limits,
        timeout_seconds=jobs.timeout_seconds,
        max_log_bytes=sandbox.max_log_bytes,
        max_artifact_bytes=jobs.max_artifact_mb * 1024**2,
        network=jobs.network,
        cpu_seconds_left=cpu_seconds_left,
    )


@dataclass
class TrainingResult:
    """How a job ended and what it used (the figures billed)."""

    status: str  # done | failed | stopped | cancelled | interrupted (ours: not billed)
    message: str | None
    cpu_seconds: float
    wall_seconds: float
    gpu_seconds: float | None
    energy_joules: float | None
    artifact_bytes: int
    log_tail: str
    mechanisms: dict[str, str] = field(default_factory=dict)


class _Watch:
    """Beside the job: its CPU counter against the allowance, pause and cancel."""

    def __init__(
        self,
        confinement: Confinement,
        request: TrainingRequest,
        control: JobControl,
        cancelled: Callable[[], bool],
    ) -> None:
        self.confinement, self.request, self.control = confinement, request, control
        self.cancelled = cancelled
        self.over_budget = threading.Event()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="podium-job-watch", daemon=True)

    def cpu_seconds(self) -> float:
        usage = self.confinement.usage()
        if usage is None:
            return 0.0
        return (usage.cpu_user_seconds or 0.0) + (usage.cpu_system_seconds or 0.0)

    def _signal(self, sig: int) -> None:
        group = self.confinement.group
        for pid in group.pids() if group is not None else ():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, sig)

    def _loop(self) -> None:
        left, stopped, polls = self.request.cpu_seconds_left, False, 0
        while not self.done.wait(POLL_SECONDS):
            polls += 1
            if polls % CANCEL_EVERY == 0 and self.cancelled():
                self.control.cancelled.set()
            if self.control.cancelled.is_set() or self.control.shutdown.is_set():
                self.confinement.kill_all()
                return
            if left is not None and self.cpu_seconds() >= left:
                self.over_budget.set()
                self.confinement.kill_all()
                return
            if self.control.paused.is_set() != stopped:
                stopped = not stopped
                self._signal(signal.SIGSTOP if stopped else signal.SIGCONT)
                (self.control.still.set if stopped else self.control.still.clear)()


def run_training(
    request: TrainingRequest,
    runner: Runner,
    control: JobControl | None = None,
    cancelled: Callable[[], bool] = lambda: False,
) -> TrainingResult:
    """Run the job to its end, its budget or its time limit; keep its output folder.
    `cancelled` is asked now and then whether the team stopped the job."""
    control = control or JobControl()
    request.log_path.parent.mkdir(parents=True, exist_ok=True)
    request.log_path.write_bytes(b"")
    with Workspace(request.workspace) as ws:
        output = ws.limited("output", request.max_artifact_bytes, "output")
        tmp = ws.limited("tmp", request.max_artifact_bytes, "tmp")
        confinement = confine(request.name, request.limits)
        watch = _Watch(confinement, request, control, cancelled)
        mechanisms = dict(confinement.mechanisms | runner.mechanisms | ws.mechanisms)
        try:
            control.running.set()
            watch.thread.start()
            energy = EnergyMeter(request.gpus)
            with energy:
                measured = runner.run(_run_request(request, output, tmp, confinement, ws.root))
            cpu = watch.cpu_seconds() if confinement.counts_usage else _cpu(measured)
        finally:
            watch.done.set()
            watch.thread.join()
            control.running.clear()
            control.still.clear()
            confinement.close()
        artifact = _keep_output(output, request.artifact_path, request.max_artifact_bytes)
    status, message = _ending(measured, watch, control, request)
    figures = energy.figures
    joules = [j for j in (figures.cpu_joules, figures.gpu_joules) if j is not None]
    gpus = nvml_handles(request.gpus)
    return TrainingResult(
        status=status,
        message=message,
        cpu_seconds=cpu,
        wall_seconds=measured.wall_seconds,
        gpu_seconds=measured.wall_seconds * len(gpus[1]) if gpus else None,
        energy_joules=sum(joules) if joules else None,
        artifact_bytes=artifact,
        log_tail=log_tail(request.log_path),
        mechanisms=mechanisms,
    )


def _run_request(
    request: TrainingRequest, output: Path, tmp: Path, confinement: Confinement, root: Path
) -> RunRequest:
    return RunRequest(
        command=request.command,
        workdir=request.folder,
        input_dir=request.public_dir,
        output_dir=output,
        tmp_dir=tmp,
        timeout_seconds=request.timeout_seconds,
        log_path=request.log_path,
        max_log_bytes=request.max_log_bytes,
        confinement=confinement,
        network=request.network,
        gpus=request.gpus,
        pid_file=root / "pids",
    )


def _cpu(measured: ProcessResult) -> float:
    return measured.cpu_user_seconds + measured.cpu_system_seconds


def _ending(
    measured: ProcessResult, watch: _Watch, control: JobControl, request: TrainingRequest
) -> tuple[str, str | None]:
    if control.shutdown.is_set():
        return "interrupted", "the machine stopped during this job; it runs again"
    if watch.over_budget.is_set():
        return "stopped", (
            f"stopped at the team's CPU budget: {request.cpu_seconds_left or 0:.1f} CPU seconds "
            "were left when it started; what it wrote until then is kept"
        )
    if control.cancelled.is_set():
        return "cancelled", "cancelled by the team"
    if measured.timed_out:
        return "stopped", f"stopped at the time limit of {request.timeout_seconds:g} s"
    if measured.log_overflow:
        return "failed", "it printed more than the log limit and was stopped"
    if measured.out_of_memory:
        return "failed", "it ran out of memory (the job's memory limit)"
    if measured.exit_code != 0:
        return "failed", f"the command exited with code {measured.exit_code}"
    return "done", None


def _keep_output(output: Path, artifact: Path, max_bytes: int) -> int:
    """The output folder's regular files (no links followed) as a .tar.gz; its bytes."""
    kept = artifact.with_suffix(".files")
    shutil.rmtree(kept, ignore_errors=True)
    collect_outputs(output, kept, max_bytes)
    artifact.parent.mkdir(parents=True, exist_ok=True)
    partial = artifact.with_name(artifact.name + ".part")
    with tarfile.open(partial, "w:gz") as tar:
        tar.add(kept, arcname=".")
    shutil.rmtree(kept, ignore_errors=True)
    partial.rename(artifact)
    return artifact.stat().st_size
