"""evaluate() = unpack → setup (untimed, no data) → run (timed, `repeats` fresh processes,
each from the same post-setup state) → collect → validate → score. Faults of the submission
become a failed result; faults of the platform raise PlatformError so that the attempt is
released and retried."""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from podium.config.spec import SandboxSpec
from podium.core.errors import PlatformError, PredictionError, SubmissionError
from podium.core.escapes import storable
from podium.harness.cgroups import host_hierarchy
from podium.harness.confine import Limits, confine
from podium.harness.energy import IDLE_SECONDS, POWERCAP, EnergyMeter
from podium.harness.environments import Environment, EnvironmentStore, Recipe, environment_for
from podium.harness.gpu import GpuMeter
from podium.harness.runner import ProcessResult, Runner, RunRequest, kill_noted
from podium.harness.scoring import ScoreRow, canary_pairs, score_predictions
from podium.harness.workspace import Workspace, collect_outputs, copy_tree, full, remove_tree
from podium.rules.integrity import IntegrityRule, PairCounts, verdict
from podium.rules.problems import Problems
from podium.submission.archive import unpack
from podium.submission.manifest import SubmissionSection, load_submission_manifest
from podium.submission.predictions import ExpectedFile, read_predictions
from podium.tasks import Task

LOG_TAIL_BYTES = 4000
Say = Callable[[str], None]


@dataclass(frozen=True)
class EvaluationJob:
    """Everything a run needs; labels_dir is read only after the submission has exited.
    Without labels_dir (a worker's run) nothing is validated or scored here: the predictions
    are kept for the server, which holds the labels.

    `workspace` is where the run's temporary folders go (a fresh temporary folder when
    None) and `name` names its control groups, so that an evaluator that starts again can
    find and remove both after an interruption.
    """

    archive: bytes
    inputs_dir: Path
    labels_dir: Path | None
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
    tmp_bytes: int = 4 * 1024**3
    gpus: tuple[int, ...] | None = None
    idle_seconds: float = IDLE_SECONDS  # idle power is measured this long before each repeat
    powercap: Path = POWERCAP  # where the RAPL counters are
    workspace: Path | None = None
    name: str = field(default_factory=lambda: f"podium-adhoc-{secrets.token_hex(4)}")
    metric_dir: Path | None = None  # custom metrics ("module:function") are imported from here
    integrity: IntegrityRule = field(default_factory=IntegrityRule)  # the canary test's rule
    environments: EnvironmentStore | None = None  # where environments are built (None: a cache)
    named_environments: Mapping[str, Recipe] = field(default_factory=dict)
    own_environments: bool = True
    environment_bytes: int = 8 * 1024**3
    built: Environment | None = None  # set once the run's environment is found or built


def job_for(
    sandbox: SandboxSpec,
    *,
    repeats: int,
    archive: bytes,
    inputs_dir: Path,
    labels_dir: Path | None,
    expected: Sequence[ExpectedFile],
    tasks: Mapping[str, Task],
    run_dir: Path,
    runner: Runner,
    workspace: Path | None = None,
    name: str | None = None,
    idle_seconds: float = IDLE_SECONDS,
    metric_dir: Path | None = None,
    integrity: IntegrityRule | None = None,
    environments: EnvironmentStore | None = None,
    named_environments: Mapping[str, Recipe] | None = None,
) -> EvaluationJob:
    """A job under a spec's sandbox limits: the one way every caller builds a run."""
    job = EvaluationJob(
        archive=archive,
        inputs_dir=inputs_dir,
        labels_dir=labels_dir,
        expected=expected,
        tasks=tasks,
        run_dir=run_dir,
        runner=runner,
        metric_dir=metric_dir,
        repeats=repeats,
        timeout_seconds=sandbox.timeout_seconds,
        setup_timeout_seconds=sandbox.setup_timeout_seconds,
        max_log_bytes=sandbox.max_log_bytes,
        limits=sandbox_limits(sandbox),
        setup_network=sandbox.setup_network,
        max_output_bytes=sandbox.max_output_mb * 1024**2,
        tmp_bytes=sandbox.tmp_mb * 1024**2,
        gpus=None if sandbox.gpus == "all" else tuple(sandbox.gpus),
        idle_seconds=idle_seconds,
        powercap=POWERCAP,
        workspace=workspace,
        integrity=integrity or IntegrityRule(),
        environments=environments,
        named_environments=dict(named_environments or {}),
        own_environments=sandbox.own_environments,
        environment_bytes=sandbox.environment_mb * 1024**2,
    )
    return job if name is None else replace(job, name=name)


@dataclass
class EvaluationResult:
    status: str  # "scored" | "failed"
    error: str | None = None
    measurements: list[ProcessResult] = field(default_factory=list)
    scores: list[ScoreRow] = field(default_factory=list)
    log_tail: str = ""
    harness_seconds: float = 0.0
    # the canary test: {"verdict", "canaries", "gap", "p_value"}, and the pairs it read;
    # None until scored where the labels are
    integrity: dict[str, object] | None = None
    canaries: PairCounts | None = None
    enforcement: dict[str, str] = field(default_factory=dict)  # limit -> what enforced it
    environment: str | None = None  # the key of the environment it ran in (None: ours)
    environment_built: bool = False  # this run built it (False: found by its hash)


def log_tail(path: Path, size: int = LOG_TAIL_BYTES) -> str:
    """The last `size` bytes of a log as text any store keeps: bytes that are not UTF-8 and
    NULs escaped (`\\xff`, `\\x00`), never dropped; the full log stays on disk as written."""
    if not path.is_file():
        return ""
    with path.open("rb") as handle:
        start = max(0, path.stat().st_size - size)
        handle.seek(start)
        tail = handle.read()
    if start:  # begin at a character, not inside one that was cut
        cut = len(tail) - len(tail.lstrip(bytes(range(0x80, 0xC0))))
        tail = tail[min(cut, 3) :]
    return storable(tail.decode("utf-8", errors="surrogateescape"))


def evaluate(job: EvaluationJob, progress: Say | None = None) -> EvaluationResult:
    """Run one submission through the whole harness.

    A failed run keeps its log and nothing else; a scored one keeps its predictions too.
    """
    say = progress or (lambda _msg: None)
    job.run_dir.mkdir(parents=True, exist_ok=True)
    log_path = job.run_dir / "log.txt"
    log_path.write_bytes(b"")
    log_identity = os.stat(log_path)
    predictions = job.run_dir / "predictions"
    result = EvaluationResult(status="failed")
    started = time.perf_counter()
    with _workspace(job) as ws:
        try:
            _run_and_score(job, ws, log_path, predictions, result, say)
            result.status = "scored"
        except SubmissionError as err:
            result.error = storable(err.message)  # may quote what the submission wrote
        finally:
            run_seconds = sum(m.wall_seconds for m in result.measurements)
            result.harness_seconds = max(0.0, time.perf_counter() - started - run_seconds)
            result.log_tail = log_tail(log_path)
            result.enforcement.update(ws.mechanisms)
            if result.status != "scored":
                shutil.rmtree(predictions, ignore_errors=True)
    _check_intact(log_path, log_identity)
    return result


@contextmanager
def _workspace(job: EvaluationJob) -> Iterator[Workspace]:
    if job.workspace is not None:
        with Workspace(job.workspace) as ws:
            yield ws
        return
    with (
        tempfile.TemporaryDirectory(prefix="podium-run-") as tmp,
        Workspace(Path(tmp) / "work") as ws,
    ):
        yield ws


def _run_and_score(
    job: EvaluationJob,
    ws: Workspace,
    log_path: Path,
    predictions: Path,
    result: EvaluationResult,
    say: Say,
) -> None:
    workdir = unpack(job.archive, ws.plain("submission"))
    manifest = load_submission_manifest(workdir).submission
    env = _environment(job, manifest, workdir, log_path, result, say)
    if env is not None:
        job = replace(job, built=env)
    home = _setup(job, ws, manifest, workdir, log_path, result, say)
    for repeat in range(job.repeats):
        say(f"test phase {repeat + 1}/{job.repeats}")
        measured, output = _timed_repeat(job, ws, manifest.command, workdir, home, log_path, result)
        shutil.rmtree(predictions, ignore_errors=True)
        collected = collect_outputs(output, predictions, job.max_output_bytes)
        result.measurements[-1] = replace(measured, bytes_written=collected.bytes)
        if collected.problems:
            found = Problems()
            for problem in collected.problems:
                found.add(problem)
            raise PredictionError(
                found.text("output folder"),
                hint="write only regular files: {task}/{lang}.jsonl",
            )
    if job.labels_dir is None:
        return  # a worker's run: the server validates and scores what it uploads
    result.scores, result.canaries = validate_score_and_judge(
        predictions, job.expected, job.labels_dir, job.tasks, say, metric_dir=job.metric_dir
    )
    result.integrity = verdict(result.canaries, job.integrity)


def _environment(
    job: EvaluationJob,
    manifest: SubmissionSection,
    workdir: Path,
    log_path: Path,
    result: EvaluationResult,
    say: Say,
) -> Environment | None:
    """The environment the submission runs in, built now if no run has built it yet
    (untimed, outside the sandbox, no data: see harness/environments); None: ours."""
    store = job.environments or EnvironmentStore(default_environments_root())
    started = time.perf_counter()
    env = environment_for(
        store,
        manifest.environment,
        workdir,
        job.named_environments,
        own=job.own_environments,
        timeout=job.setup_timeout_seconds,
        max_bytes=job.environment_bytes,
        say=say,
    )
    if env is None:
        return None
    result.environment, result.environment_built = env.key, env.built
    how = f"built in {time.perf_counter() - started:.1f} s" if env.built else "found by its hash"
    with log_path.open("a") as log:
        log.write(f"[podium: environment {env.key[:16]} {how}, mounted read-only]\n")
    return env


def default_environments_root() -> Path:
    """Where a machine keeps environments when nobody said (podium check, a bare job)."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "podium" / "environments"


def validate_and_score(
    predictions: Path,
    expected: Sequence[ExpectedFile],
    labels_dir: Path,
    tasks: Mapping[str, Task],
    say: Say | None = None,
    *,
    metric_dir: Path | None = None,
) -> list[ScoreRow]:
    """Read the predictions strictly (a SubmissionError names what is wrong) and score them:
    the one step that needs the labels, so it runs where they are."""
    return validate_score_and_judge(
        predictions, expected, labels_dir, tasks, say, metric_dir=metric_dir
    )[0]


def validate_score_and_judge(
    predictions: Path,
    expected: Sequence[ExpectedFile],
    labels_dir: Path,
    tasks: Mapping[str, Task],
    say: Say | None = None,
    *,
    metric_dir: Path | None = None,
) -> tuple[list[ScoreRow], PairCounts]:
    """`validate_and_score`, and the run's canary pairs (canaries never count in scores)."""
    say = say or (lambda _msg: None)
    say("validating predictions")
    loaded = read_predictions(predictions, expected)
    say("scoring")
    rows = score_predictions(loaded, labels_dir, tasks, metric_dir)
    return rows, canary_pairs(loaded, labels_dir, tasks)


def _setup(
    job: EvaluationJob,
    ws: Workspace,
    manifest: SubmissionSection,
    workdir: Path,
    log_path: Path,
    result: EvaluationResult,
    say: Say,
) -> Path | None:
    """Run `setup` with no data mounted; its /tmp ($HOME) is the snapshot every repeat copies."""
    if not manifest.setup:
        return None
    say("setup (untimed, no data)")
    home = ws.limited("home", job.tmp_bytes, "tmp")
    setup = _run(job, "setup", manifest.setup, workdir, None, home, ws, log_path, result)
    if not setup.ok:
        raise SubmissionError(_exit_reason("setup", setup, job, home, None))
    return home


def _timed_repeat(
    job: EvaluationJob,
    ws: Workspace,
    command: str,
    workdir: Path,
    home: Path | None,
    log_path: Path,
    result: EvaluationResult,
) -> tuple[ProcessResult, Path]:
    """One timed process from the post-setup state: fresh /tmp, fresh output folder."""
    tmp = repeat_tmp(ws, home, job.tmp_bytes)
    output = ws.limited("output", job.max_output_bytes, "output")
    phase = f"r{len(result.measurements)}"
    energy = EnergyMeter(job.gpus, powercap=job.powercap, idle_seconds=job.idle_seconds)
    with energy, GpuMeter(job.gpus) as gpu:
        measured = _run(job, phase, command, workdir, output, tmp, ws, log_path, result)
    measured = replace(
        measured,
        gpu_peak_memory_bytes=gpu.peak_memory_bytes,
        gpu_energy_joules=energy.figures.gpu_joules,
        cpu_energy_joules=energy.figures.cpu_joules,
        idle_cpu_watts=energy.figures.idle_cpu_watts,
        idle_gpu_watts=energy.figures.idle_gpu_watts,
        energy_note=energy.figures.note,
    )
    result.measurements.append(measured)
    if not measured.ok:
        raise SubmissionError(_exit_reason("command", measured, job, tmp, output))
    return measured, output


def repeat_tmp(ws: Workspace, home: Path | None, tmp_bytes: int) -> Path:
    """A repeat's /tmp: setup's $HOME under an overlay of its own (copy-on-write: nothing is
    copied, and no write reaches setup's folder or the next repeat), or a copy of it where
    no overlay can be mounted (at its real size, within tmp_mb, else the team's failure)."""
    if home is not None:
        merged = ws.overlay("tmp", home, tmp_bytes, "tmp")
        if merged is not None:
            return merged
    return copied_tmp(ws, home, tmp_bytes)


def copied_tmp(ws: Workspace, home: Path | None, tmp_bytes: int) -> Path:
    """A repeat's /tmp as a copy of setup's $HOME (where no overlay can be mounted)."""
    tmp = ws.limited("tmp", tmp_bytes, "tmp")
    if home is not None:
        info = os.stat(home)
        copy_tree(home, tmp, owner=(info.st_uid, info.st_gid), max_bytes=tmp_bytes)
    return tmp


def _run(
    job: EvaluationJob,
    phase: str,
    command: str,
    workdir: Path,
    output: Path | None,
    tmp: Path,
    ws: Workspace,
    log_path: Path,
    result: EvaluationResult,
) -> ProcessResult:
    """One process tree in its own confinement (setup: no inputs, no output, maybe network)."""
    timed = output is not None
    confinement = confine(f"{job.name}-{phase}", job.limits)
    result.enforcement.update(confinement.mechanisms | job.runner.mechanisms)
    try:
        return job.runner.run(
            RunRequest(
                command=command,
                workdir=workdir,
                input_dir=job.inputs_dir if timed else None,
                output_dir=output,
                tmp_dir=tmp,
                timeout_seconds=job.timeout_seconds if timed else job.setup_timeout_seconds,
                log_path=log_path,
                max_log_bytes=job.max_log_bytes,
                confinement=confinement,
                network=job.setup_network and not timed,
                gpus=job.gpus,
                pid_file=ws.root / "pids",
                environment=job.built.path if job.built else None,
                environment_base=job.built.base_prefix if job.built else None,
            )
        )
    finally:
        confinement.close()


def clean_up_interrupted(work_dir: Path, group_prefix: str) -> list[str]:
    """Kill and remove what interrupted evaluations left: their control groups (named
    `{group_prefix}...`), their noted processes and their folders under `work_dir`."""
    hierarchy, _ = host_hierarchy()
    left = hierarchy.sweep(group_prefix) if hierarchy is not None else []
    if work_dir.is_dir():
        for folder in sorted(work_dir.iterdir()):
            if kill_noted(folder / "pids"):
                left.append(folder.name)
            remove_tree(folder)
    return left


def _check_intact(log_path: Path, identity: os.stat_result) -> None:
    """A run whose folder vanished under it (deleted artifacts/) is the platform's fault."""
    try:
        intact = os.path.samestat(os.stat(log_path), identity)
    except OSError:
        intact = False
    if not intact:
        raise PlatformError(
            "the run's folder was removed or replaced while it ran", where=str(log_path.parent)
        )


def sandbox_limits(spec: SandboxSpec) -> Limits:
    mib = 1024**2
    return Limits(
        memory_bytes=spec.memory_mb * mib,
        processes=spec.max_processes,
        file_bytes=spec.max_file_mb * mib,
        open_files=spec.max_open_files,
        cpus=spec.cpus,
    )


def _exit_reason(
    step: str, measured: ProcessResult, job: EvaluationJob, tmp: Path, output: Path | None
) -> str:
    if measured.log_overflow:
        return f"the {step} printed more than the log limit and was stopped"
    if measured.timed_out:
        timeout = job.timeout_seconds if step == "command" else job.setup_timeout_seconds
        return f"the {step} timed out after {timeout:g} s and was killed"
    if measured.out_of_memory:
        limit = (job.limits.memory_bytes or 0) / 1024**2
        return (
            f"the {step} ran out of memory: all its processes together may use {limit:g} MiB "
            "([sandbox] memory_mb), and the kernel killed it"
        )
    code = measured.exit_code
    reason = f"the {step} exited with code {code} (see the log tail)"
    if code is not None and code < 0:
        reason = f"the {step} was killed by signal {-code}"
    elif code is not None and code > 128:
        reason = f"the {step} was killed by signal {code - 128}"
    notes = []
    if measured.process_limit_hit:
        notes.append(f"it reached the limit of {job.limits.processes} processes")
    if full(tmp):
        notes.append(f"its /tmp of {job.tmp_bytes / 1024**2:g} MiB ([sandbox] tmp_mb) was full")
    if output is not None and full(output):
        notes.append(
            f"its output folder of {job.max_output_bytes / 1024**2:g} MiB "
            "([sandbox] max_output_mb) was full"
        )
    return reason + "".join(f"; {note}" for note in notes)


__all__ = ["EvaluationJob", "EvaluationResult", "clean_up_interrupted", "evaluate"]
