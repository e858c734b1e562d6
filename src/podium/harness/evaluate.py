"""evaluate() = unpack → setup (untimed) → run (timed, `repeats` fresh processes) →
validate → score. Faults of the submission become a failed result; faults of the
platform raise PlatformError so that the attempt is released and retried."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from podium.errors import PodiumError, SubmissionError
from podium.harness.gpu import GpuMeter
from podium.harness.runner import Limits, ProcessResult, Runner, RunRequest
from podium.harness.scoring import ScoreRow, score_predictions
from podium.spec import SandboxSpec
from podium.submission.archive import unpack
from podium.submission.manifest import load_submission_manifest
from podium.submission.predictions import ExpectedFile, read_predictions
from podium.tasks import Task

LOG_TAIL_BYTES = 4000


@dataclass(frozen=True)
class EvaluationJob:
    """Everything a run needs; labels_dir is read only after the submission has exited."""

    archive: bytes
    inputs_dir: Path
    labels_dir: Path
    expected: Sequence[ExpectedFile]
    tasks: Mapping[str, Task]
    run_dir: Path
    runner: Runner
    repeats: int = 1
    timeout_seconds: float = 900.0
    setup_timeout_seconds: float = 900.0
    max_log_bytes: int = 1_000_000
    limits: Limits = field(default_factory=Limits)
    setup_network: bool = False
    max_output_bytes: int = 1024**3


def job_for(
    sandbox: SandboxSpec,
    *,
    repeats: int,
    archive: bytes,
    inputs_dir: Path,
    labels_dir: Path,
    expected: Sequence[ExpectedFile],
    tasks: Mapping[str, Task],
    run_dir: Path,
    runner: Runner,
) -> EvaluationJob:
    """A job under a spec's sandbox limits: the one way every caller builds a run."""
    return EvaluationJob(
        archive=archive,
        inputs_dir=inputs_dir,
        labels_dir=labels_dir,
        expected=expected,
        tasks=tasks,
        run_dir=run_dir,
        runner=runner,
        repeats=repeats,
        timeout_seconds=sandbox.timeout_seconds,
        setup_timeout_seconds=sandbox.setup_timeout_seconds,
        max_log_bytes=sandbox.max_log_bytes,
        limits=sandbox_limits(sandbox),
        setup_network=sandbox.setup_network,
        max_output_bytes=sandbox.max_output_mb * 1024**2,
    )


@dataclass
class EvaluationResult:
    status: str  # "scored" | "failed"
    error: str | None = None
    measurements: list[ProcessResult] = field(default_factory=list)
    scores: list[ScoreRow] = field(default_factory=list)
    log_tail: str = ""
    harness_seconds: float = 0.0


def log_tail(path: Path, size: int = LOG_TAIL_BYTES) -> str:
    if not path.is_file():
        return ""
    with path.open("rb") as handle:
        handle.seek(max(0, path.stat().st_size - size))
        return handle.read().decode("utf-8", errors="replace")


def evaluate(job: EvaluationJob, progress: Callable[[str], None] | None = None) -> EvaluationResult:
    """Run one submission through the whole harness."""
    say = progress or (lambda _msg: None)
    job.run_dir.mkdir(parents=True, exist_ok=True)
    log_path = job.run_dir / "log.txt"
    log_path.write_bytes(b"")
    result = EvaluationResult(status="failed")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="podium-run-") as tmp:
        tmp_path = Path(tmp)
        try:
            workdir = unpack(job.archive, tmp_path / "submission")
            manifest = load_submission_manifest(workdir).submission
            home = tmp_path / "home"
            home.mkdir()
            if manifest.setup:
                say("setup (untimed)")
                (tmp_path / "setup-out").mkdir()
                setup = job.runner.run(
                    RunRequest(
                        command=manifest.setup,
                        workdir=workdir,
                        input_dir=job.inputs_dir,
                        output_dir=tmp_path / "setup-out",
                        tmp_dir=home,
                        timeout_seconds=job.setup_timeout_seconds,
                        log_path=log_path,
                        max_log_bytes=job.max_log_bytes,
                        limits=job.limits,
                        network=job.setup_network,
                    )
                )
                if not setup.ok:
                    raise SubmissionError(_exit_reason("setup", setup, job.setup_timeout_seconds))
            output_dir = job.run_dir / "predictions"
            for repeat in range(job.repeats):
                say(f"test phase {repeat + 1}/{job.repeats}")
                shutil.rmtree(output_dir, ignore_errors=True)
                output_dir.mkdir(parents=True)
                with GpuMeter() as gpu:
                    measured = job.runner.run(
                        RunRequest(
                            command=manifest.command,
                            workdir=workdir,
                            input_dir=job.inputs_dir,
                            output_dir=output_dir,
                            tmp_dir=home,
                            timeout_seconds=job.timeout_seconds,
                            log_path=log_path,
                            max_log_bytes=job.max_log_bytes,
                            limits=job.limits,
                        )
                    )
                measured = replace(
                    measured,
                    gpu_energy_joules=gpu.energy_joules,
                    gpu_peak_memory_bytes=gpu.peak_memory_bytes,
                )
                result.measurements.append(measured)
                if not measured.ok:
                    raise SubmissionError(_exit_reason("command", measured, job.timeout_seconds))
                if measured.bytes_written > job.max_output_bytes:
                    raise SubmissionError(
                        f"the predictions take {measured.bytes_written / 1024**2:.1f} MiB, more "
                        f"than the {job.max_output_bytes / 1024**2:g} MiB allowed"
                    )
            say("validating predictions")
            predictions = read_predictions(output_dir, job.expected)
            say("scoring")
            result.scores = score_predictions(predictions, job.labels_dir, job.tasks)
            result.status = "scored"
        except SubmissionError as err:
            result.error = err.message
        finally:
            run_seconds = sum(m.wall_seconds for m in result.measurements)
            result.harness_seconds = max(0.0, time.perf_counter() - started - run_seconds)
            result.log_tail = log_tail(log_path)
    return result


def sandbox_limits(spec: SandboxSpec) -> Limits:
    mib = 1024**2
    return Limits(
        memory_bytes=spec.memory_mb * mib,
        processes=spec.max_processes,
        file_bytes=spec.max_file_mb * mib,
        open_files=spec.max_open_files,
    )


def _exit_reason(step: str, measured: ProcessResult, timeout: float) -> str:
    if measured.log_overflow:
        return f"the {step} printed more than the log limit and was stopped"
    if measured.timed_out:
        return f"the {step} timed out after {timeout:g} s and was killed"
    code = measured.exit_code
    if code is not None and code < 0:
        return f"the {step} was killed by signal {-code}"
    return f"the {step} exited with code {code} (see the log tail)"


def is_platform_fault(err: BaseException) -> bool:
    """Errors that are ours, not the team's."""
    return not isinstance(err, SubmissionError) and isinstance(err, PodiumError | OSError)


__all__ = ["EvaluationJob", "EvaluationResult", "evaluate", "is_platform_fault"]
