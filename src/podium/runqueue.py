"""The evaluation queue: one run at a time, submission faults vs platform faults."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import shutil
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from podium.calibration import NoiseReport, recommend_min_gain
from podium.core import check_unpacks
from podium.data.prepare import split_inputs_sha256
from podium.digest import sha256_file
from podium.errors import PlatformError, PodiumError, RuleError, SubmissionError
from podium.harness.evaluate import (
    LOG_TAIL_BYTES,
    EvaluationJob,
    EvaluationResult,
    clean_up_interrupted,
    evaluate,
    job_for,
    log_tail,
)
from podium.harness.fingerprint import machine_fingerprint
from podium.results import Results
from podium.store.models import (
    Measurement,
    Run,
    Score,
    Stage,
    Submission,
    utcnow,
)
from podium.submission.archive import read_submission
from podium.submission.predictions import expected_files

MAX_PLATFORM_RETRIES = 3
Progress = Callable[[str], None]


@dataclass(frozen=True)
class RunOutcome:
    run_id: int
    submission_id: int
    team: str
    stage: str
    attempt: int
    status: str
    error: str | None
    duration: float | None
    overall: float | None


class EvaluationQueue(Results):
    """Runs queued submissions; platform faults release the attempt and requeue."""

    @contextmanager
    def _evaluator_lock(self) -> Iterator[None]:
        """One evaluator per competition at a time, so durations never share the machine."""
        self.layout.artifacts_dir.mkdir(parents=True, exist_ok=True)
        with (self.layout.artifacts_dir / "evaluate.lock").open("w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise RuleError(
                    "another `podium evaluate` is running for this competition"
                ) from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def evaluate_pending(
        self, *, progress: Progress | None = None, stage: str | None = None
    ) -> list[RunOutcome]:
        """Run queued submissions one at a time, oldest first."""
        outcomes: list[RunOutcome] = []
        with self._evaluator_lock():
            self._recover_interrupted()
            while (claimed := self._claim_next(stage)) is not None:
                outcomes.append(self._evaluate_claimed(*claimed, progress=progress))
        return outcomes

    @property
    def _group_prefix(self) -> str:
        """Names this competition's control groups (several may share a machine)."""
        return f"podium-{hashlib.sha256(str(self.root).encode()).hexdigest()[:10]}-"

    def _run_name(self, run_id: int) -> str:
        return f"{self._group_prefix}run{run_id}"

    def _recover_interrupted(self) -> None:
        """What a killed evaluator left: its sandboxes are killed and their folders removed;
        its runs are platform faults (attempt released, submission queued again)."""
        clean_up_interrupted(self.layout.work_dir, self._group_prefix)
        with self.sessions.begin() as s:
            for run in s.scalars(
                select(Run)
                .join(Submission)
                .join(Stage)
                .where(Stage.competition_id == self._competition_id, Run.status == "running")
            ):
                run.status, run.finished_at = "platform_error", utcnow()
                run.error = "the evaluator stopped during this run; it will be retried"
                _count_platform_fault(run.submission)

    def _claim_next(self, stage: str | None) -> tuple[int, int] | None:
        with self.sessions.begin() as s:
            query = (
                select(Submission)
                .join(Stage)
                .where(Stage.competition_id == self._competition_id, Submission.status == "queued")
                .order_by(Submission.id)
            )
            if stage is not None:
                query = query.where(Stage.name == stage)
            sub = s.scalars(query.limit(1)).first()
            if sub is None:
                return None
            sub.status = "running"
            run = Run(
                submission_id=sub.id,
                status="running",
                hardware=self.spec.hardware,
                submission_sha256=sub.sha256,
                fingerprint=machine_fingerprint(self.spec_hash),
            )
            s.add(run)
            s.flush()
            return sub.id, run.id

    def _job(
        self, archive: bytes, split: str, run_dir: Path, name: str, repeats: int | None = None
    ) -> EvaluationJob:
        tasks = self._tasks()
        return job_for(
            self.spec.sandbox,
            repeats=repeats or self.spec.efficiency.repeats,
            archive=archive,
            inputs_dir=self.layout.inputs_dir(split),
            labels_dir=self.layout.labels_dir(split),
            expected=expected_files(
                self.layout.inputs_dir(split), tasks, self.split_languages(split)
            ),
            tasks=tasks,
            run_dir=run_dir,
            runner=self.runner,
            workspace=self.layout.work_dir / name,
            name=name,
        )

    def calibrate(
        self, path: Path, *, runs: int, split: str = "eval", progress: Progress | None = None
    ) -> NoiseReport:
        """Run one submission `runs` times (fresh processes) and measure the noise.

        Nothing is stored as an attempt; the runs' logs go under artifacts/calibration/.
        """
        if runs < 3:
            raise RuleError("calibration needs at least 3 runs", hint="--runs 10 or more")
        data = read_submission(path)
        check_unpacks(data, path)
        run_dir = self.layout.artifacts_dir / "calibration" / utcnow().strftime("%Y%m%dT%H%M%S")
        name = f"{self._group_prefix}calibration"
        with self._evaluator_lock():
            self._recover_interrupted()
            job = self._job(data, split, run_dir, name, repeats=runs)
            result = evaluate(job, progress=progress)
        if result.status != "scored":
            raise SubmissionError(f"the calibration submission failed: {result.error}")
        walls = [m.wall_seconds for m in result.measurements]
        return recommend_min_gain(walls, repeats=self.spec.efficiency.repeats)

    def _evaluate_claimed(
        self, submission_id: int, run_id: int, *, progress: Progress | None
    ) -> RunOutcome:
        with self.sessions() as s:
            sub = s.get_one(Submission, submission_id)
            team, stage_name, attempt = sub.team.name, sub.stage.name, sub.attempt
            split, archive_path = sub.stage.split, self.root / sub.archive_path
        say = (lambda msg: progress(f"{team} #{attempt}: {msg}")) if progress else None
        try:
            if not archive_path.is_file() or sha256_file(archive_path) != sub.sha256:
                raise PlatformError(
                    "the stored archive is missing or damaged", where=str(archive_path)
                )
            inputs_sha = split_inputs_sha256(self.manifest(), split)
            run_dir = self.layout.run_dir(run_id)
            job = self._job(archive_path.read_bytes(), split, run_dir, self._run_name(run_id))
            result = evaluate(job, progress=say)
            return self._record_result(
                run_id, submission_id, result, inputs_sha, team, stage_name, attempt
            )
        except Exception as err:  # ours, never the team's: recorded, and the queue goes on
            return self._record_platform_fault(
                run_id, submission_id, err, team, stage_name, attempt
            )

    def _record_platform_fault(
        self, run_id: int, submission_id: int, err: Exception, team: str, stage: str, attempt: int
    ) -> RunOutcome:
        """The attempt is released (queued again), or after MAX_PLATFORM_RETRIES faults in a
        row held for an organizer; an unexpected error's traceback goes to the run's log."""
        if isinstance(err, PodiumError):
            message = err.message
        else:
            message = f"{type(err).__name__}: {err} (a fault of the platform; see the run's log)"
        tail = _log_traceback(self.layout.run_dir(run_id), err)
        shutil.rmtree(self.layout.run_dir(run_id) / "predictions", ignore_errors=True)
        with self.sessions.begin() as s:
            run = s.get_one(Run, run_id)
            run.status, run.finished_at, run.error = "platform_error", utcnow(), message
            run.log_tail = tail
            _count_platform_fault(s.get_one(Submission, submission_id))
        return RunOutcome(
            run_id, submission_id, team, stage, attempt, "platform_error", message, None, None
        )

    def _record_result(
        self,
        run_id: int,
        submission_id: int,
        result: EvaluationResult,
        inputs_sha: str,
        team: str,
        stage: str,
        attempt: int,
    ) -> RunOutcome:
        with self.sessions.begin() as s:
            run = s.get_one(Run, run_id)
            run.status, run.finished_at = result.status, utcnow()
            run.error, run.log_tail = result.error, result.log_tail
            run.inputs_sha256, run.harness_seconds = inputs_sha, result.harness_seconds
            run.enforcement = result.enforcement
            for i, m in enumerate(result.measurements):
                s.add(
                    Measurement(
                        run_id=run_id,
                        repeat=i,
                        wall_seconds=m.wall_seconds,
                        cpu_user_seconds=m.cpu_user_seconds,
                        cpu_system_seconds=m.cpu_system_seconds,
                        peak_rss_bytes=m.peak_rss_bytes,
                        bytes_written=m.bytes_written,
                        exit_code=m.exit_code,
                        timed_out=m.timed_out,
                        gpu_energy_joules=m.gpu_energy_joules,
                        gpu_peak_memory_bytes=m.gpu_peak_memory_bytes,
                    )
                )
            for row in result.scores:
                s.add(
                    Score(
                        run_id=run_id,
                        task=row.task,
                        language=row.language,
                        metric=row.metric,
                        value=row.value,
                        count=row.count,
                    )
                )
            sub = s.get_one(Submission, submission_id)
            sub.status, sub.platform_failures = result.status, 0
        facts = self._run_facts(run_id) if result.status == "scored" else None
        overall = duration = None
        if facts is not None:
            from podium.leaderboard import aggregate

            agg = aggregate(facts, self.metrics())
            overall, duration = agg.overall, agg.duration
        elif result.measurements:
            duration = result.measurements[-1].wall_seconds
        return RunOutcome(
            run_id,
            submission_id,
            team,
            stage,
            attempt,
            result.status,
            result.error,
            duration,
            overall,
        )


def _count_platform_fault(sub: Submission) -> None:
    sub.platform_failures += 1
    sub.status = "attention" if sub.platform_failures >= MAX_PLATFORM_RETRIES else "queued"


def _log_traceback(run_dir: Path, err: Exception) -> str:
    """Append the error to the run's log (for organizers) and return the log's tail."""
    text = "".join(traceback.format_exception(err))
    with contextlib.suppress(OSError):
        run_dir.mkdir(parents=True, exist_ok=True)
        with (run_dir / "log.txt").open("a", encoding="utf-8") as log:
            log.write(f"\n[podium: the evaluation failed on the platform's side]\n{text}")
    return log_tail(run_dir / "log.txt") or text[-LOG_TAIL_BYTES:]
