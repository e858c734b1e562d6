"""The evaluation queue: one run at a time, the submission's faults apart from the platform's.

Whose fault a run's end is decides what it costs, so the line is drawn once:

- **The team's** (`failed`, the attempt used, the reason shown to the team): everything the
  submission declares or produces. Its podium.toml (checked at intake already), its exit code,
  time, memory, processes and log size, what its setup leaves in $HOME (counted at its real
  size against tmp_mb), its output files, their names and contents. The harness raises these
  as SubmissionError; nothing a submission writes may surface as any other exception. Text it
  printed or that a reason quotes (NUL, bytes that are not UTF-8) is stored escaped
  (`store.models.StoredText`), never an error.
- **The platform's** (`platform_error`: the attempt kept, queued again, held for an organizer
  as `attention` after MAX_PLATFORM_RETRIES in a row): the stored archive missing or damaged,
  the sandbox or its limits unavailable, the run's folder removed under it, a worker lost or
  refusing (its lease expired, a report the server could not take), the store unavailable, and
  any unexpected exception (a bug of ours: its traceback goes to the run's log).

The runner is made by an injected factory, so nothing above the harness chooses a sandbox.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import logging
import shutil
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import func, select

from podium.core.digest import sha256_file
from podium.core.errors import PlatformError, PodiumError, RuleError, SubmissionError
from podium.rules.integrity import IntegrityRule, recommend_lean
from podium.rules.leaderboard import Aggregate
from podium.service.context import Competition
from podium.service.reference import ReferenceClock
from podium.service.results import Results
from podium.service.setup import Setup
from podium.store.models import (
    Calibration,
    Measurement,
    Run,
    Score,
    Stage,
    Submission,
    utcnow,
)

if TYPE_CHECKING:
    from podium.harness.evaluate import EvaluationJob, EvaluationResult
    from podium.harness.runner import Runner
    from podium.rules.calibration import NoiseReport
    from podium.rules.integrity import LeanReport
    from podium.submission.predictions import ExpectedFile

MAX_PLATFORM_RETRIES = 3
log = logging.getLogger("podium.evaluation")
Progress = Callable[[str], None]
RunnerFactory = Callable[[str], "Runner"]


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


class _RunLike(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def status(self) -> str: ...


class _SubmissionLike(Protocol):
    @property
    def runs(self) -> Sequence[_RunLike]: ...


def is_retryable(sub: _SubmissionLike, run: _RunLike) -> bool:
    """An organizer may re-run the latest run of a submission when the platform failed it."""
    return run.status == "platform_error" and sub.runs[-1].id == run.id


class Evaluation:
    """Runs queued submissions; platform faults release the attempt and requeue."""

    def __init__(
        self,
        competition: Competition,
        setup: Setup,
        results: Results,
        runner_factory: RunnerFactory,
    ) -> None:
        self.c, self.setup, self.results = competition, setup, results
        self._runner_factory = runner_factory
        self._runner: Runner | None = None
        self._expected: dict[tuple[str, str], list[ExpectedFile]] = {}
        self._held = threading.local()
        self.reference = ReferenceClock(competition)

    @property
    def runner(self) -> Runner:
        """Made when first needed, so a missing sandbox only stops evaluation."""
        if self._runner is None:
            self._runner = self._runner_factory(self.c.spec.sandbox.runner)
        return self._runner

    def evaluate_pending(
        self, *, progress: Progress | None = None, stage: str | None = None
    ) -> list[RunOutcome]:
        """Run queued submissions one at a time, oldest first; none with a broker (workers
        run them, the server's dispatcher sends them)."""
        outcomes: list[RunOutcome] = []
        if self.c.broker:
            return outcomes
        with self._evaluator_lock():
            self._recover_interrupted()
            while self._has_queued(stage):
                if self.reference.due():
                    self.reference.time(self.runner, self._group_prefix)
                claimed = self.claim_next(stage)
                if claimed is None:
                    break
                outcomes.append(self._evaluate_claimed(*claimed, progress=progress))
        return outcomes

    def _has_queued(self, stage: str | None) -> bool:
        with self.c.sessions() as s:
            query = self.c.scoped(
                select(func.count(Submission.id)).join(Stage).where(Submission.status == "queued")
            )
            if stage is not None:
                query = query.where(Stage.name == stage)
            return bool(s.scalar(query))

    def retry_run(self, run_id: int) -> int:
        """Queue again a submission whose last run failed because of the platform (also one
        held for attention after repeated faults: its count starts again)."""
        with self.c.sessions.begin() as s:
            run = self.c.run_row(s, run_id)
            sub = run.submission
            if not is_retryable(sub, run):
                raise RuleError(
                    f"run {run_id} is {run.status}; only the latest run of a submission that "
                    "failed because of the platform can be re-run"
                )
            if sub.status not in ("queued", "attention"):
                raise RuleError(f"submission {sub.id} is {sub.status}, not waiting for a re-run")
            sub.status, sub.platform_failures, sub.dispatched_at = "queued", 0, None
            return sub.id

    def calibrate(
        self, path: Path, *, runs: int, split: str = "eval", progress: Progress | None = None
    ) -> NoiseReport:
        """Run one submission `runs` times (fresh processes) and measure the noise.

        Nothing is stored as an attempt; the runs' logs go under artifacts/calibration/.
        """
        from podium.harness.evaluate import evaluate
        from podium.harness.fingerprint import machine_fingerprint
        from podium.rules.calibration import recommend_min_gain
        from podium.submission.archive import read_submission
        from podium.submission.intake import check_archive

        if runs < 3:
            raise RuleError("calibration needs at least 3 runs", hint="--runs 10 or more")
        data = read_submission(path)
        check_archive(data, where=str(path))
        folder = self.c.layout.artifacts_dir / "calibration" / utcnow().strftime("%Y%m%dT%H%M%S")
        with self._evaluator_lock():
            self._recover_interrupted()
            job = self._job(data, split, folder, f"{self._group_prefix}calibration", runs)
            result = evaluate(job, progress=progress)
        if result.status != "scored":
            raise SubmissionError(f"the calibration submission failed: {result.error}")
        walls = [m.wall_seconds for m in result.measurements]
        report = recommend_min_gain(walls, repeats=self.c.spec.efficiency.repeats)
        if result.canaries is not None and result.canaries.canaries:
            lean = recommend_lean(result.canaries, rule=self.integrity_rule())
            report = dataclasses.replace(report, canaries=lean)
        with self.c.sessions.begin() as s:
            s.add(
                Calibration(
                    competition_id=self.c.id,
                    hardware=self.c.spec.hardware,
                    fingerprint=machine_fingerprint(self.c.spec_hash),
                    walls=walls,
                    repeats=report.repeats,
                    spread=report.relative_spread,
                    sigma=report.sigma,
                    recommended_gain=report.recommended_min_gain,
                    configured_gain=self.c.spec.reranking.min_efficiency_gain,
                    integrity=_lean_record(report.canaries),
                )
            )
        return report

    def remeasure_once(self, submission_id: int, *, progress: Progress | None = None) -> RunOutcome:
        """One more run of a scored submission (a photo finish), timed like any (the spec's
        repeats): recorded as a run of kind `remeasure`, costing no attempt and never
        changing the submission's status. Call it inside `locked()`."""
        from podium.harness.fingerprint import machine_fingerprint

        with self.c.sessions.begin() as s:
            sub = self.c.submission_row(s, submission_id)
            run = Run(
                submission_id=sub.id,
                status="running",
                kind="remeasure",
                hardware=self.c.spec.hardware,
                submission_sha256=sub.sha256,
                fingerprint=machine_fingerprint(self.c.spec_hash),
            )
            s.add(run)
            s.flush()
            run_id = run.id
        return self._evaluate_claimed(submission_id, run_id, progress=progress)

    @contextmanager
    def locked(self) -> Iterator[None]:
        """The evaluator's lock, with what an interrupted evaluator left cleaned up first."""
        with self._evaluator_lock():
            self._recover_interrupted()
            yield

    # -- the queue ----------------------------------------------------------------------

    @contextmanager
    def _evaluator_lock(self) -> Iterator[None]:
        """One evaluator per competition at a time, so durations never share the machine.

        Re-entrant within a thread (closing a stage holds it while its photo finish runs)."""
        if getattr(self._held, "depth", 0):
            self._held.depth += 1
            try:
                yield
            finally:
                self._held.depth -= 1
            return
        self.c.layout.artifacts_dir.mkdir(parents=True, exist_ok=True)
        with (self.c.layout.artifacts_dir / "evaluate.lock").open("w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise RuleError(
                    "another `podium evaluate` is running for this competition",
                    hint="wait until it is idle (podium serve's evaluator runs between jobs)",
                ) from None
            self._held.depth = 1
            try:
                yield
            finally:
                self._held.depth = 0
                fcntl.flock(handle, fcntl.LOCK_UN)

    @property
    def _group_prefix(self) -> str:
        """Names this competition's control groups (several may share a machine)."""
        return f"podium-{hashlib.sha256(str(self.c.root).encode()).hexdigest()[:10]}-"

    def _recover_interrupted(self) -> None:
        """What a killed evaluator left: its sandboxes are killed and their folders removed;
        its runs are platform faults (attempt released, submission queued again)."""
        from podium.harness.evaluate import clean_up_interrupted

        clean_up_interrupted(self.c.layout.work_dir, self._group_prefix)
        with self.c.sessions.begin() as s:
            running = self.c.scoped(  # runs held by workers are the reaper's, not ours
                select(Run)
                .join(Submission)
                .join(Stage)
                .where(Run.status == "running", Run.worker_id.is_(None))
            )
            for run in s.scalars(running):
                run.status, run.finished_at = "platform_error", utcnow()
                if run.kind == "remeasure":  # the submission keeps its result
                    run.error = "the evaluator stopped during this re-measurement"
                    continue
                run.error = "the evaluator stopped during this run; it will be retried"
                count_platform_fault(run.submission)

    def claim_next(self, stage: str | None = None) -> tuple[int, int] | None:
        """Mark the oldest queued submission running, with a new run; (submission, run)."""
        from podium.harness.fingerprint import machine_fingerprint

        with self.c.sessions.begin() as s:
            query = self.c.scoped(
                select(Submission)
                .join(Stage)
                .where(Submission.status == "queued")
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
                hardware=self.c.spec.hardware,
                submission_sha256=sub.sha256,
                fingerprint=machine_fingerprint(self.c.spec_hash),
            )
            s.add(run)
            s.flush()
            return sub.id, run.id

    def _job(
        self, archive: bytes, split: str, run_dir: Path, name: str, repeats: int | None = None
    ) -> EvaluationJob:
        from podium.harness.environments import EnvironmentStore, recipes_of
        from podium.harness.evaluate import job_for

        return job_for(
            self.c.spec.sandbox,
            repeats=repeats or self.c.spec.efficiency.repeats,
            archive=archive,
            inputs_dir=self.c.layout.inputs_dir(split),
            labels_dir=self.c.layout.labels_dir(split),
            expected=self.expected_files(split),
            tasks=self.c.tasks(),
            run_dir=run_dir,
            runner=self.runner,
            workspace=self.c.layout.work_dir / name,
            name=name,
            metric_dir=self.c.root,
            idle_seconds=self.c.spec.efficiency.idle_seconds,
            integrity=self.integrity_rule(),
            environments=EnvironmentStore(self.c.layout.environments_dir),
            named_environments=recipes_of(self.c.spec.environments, self.c.root),
        )

    def integrity_rule(self) -> IntegrityRule:
        """The canary test's threshold, as [integrity] sets it."""
        rule = self.c.spec.integrity
        return IntegrityRule(
            honest_lean=rule.honest_lean,
            suspect_p=rule.suspect_p,
            contrast_lean=rule.contrast_lean,
        )

    def expected_files(self, split: str) -> list[ExpectedFile]:
        """The ids every run of a split must predict: read once per sealed inputs."""
        from podium.data.prepare import split_inputs_sha256
        from podium.submission.predictions import expected_files

        key = (split, split_inputs_sha256(self.setup.manifest(), split))
        if key not in self._expected:
            self._expected[key] = expected_files(
                self.c.layout.inputs_dir(split), self.c.tasks(), self.setup.split_languages(split)
            )
        return self._expected[key]

    def _evaluate_claimed(
        self,
        submission_id: int,
        run_id: int,
        *,
        progress: Progress | None,
        repeats: int | None = None,
    ) -> RunOutcome:
        from podium.data.prepare import split_inputs_sha256
        from podium.harness.evaluate import evaluate

        with self.c.sessions() as s:
            sub = s.get_one(Submission, submission_id)
            team, stage_name, attempt = sub.team.name, sub.stage.name, sub.attempt
            split, archive_path, sha = sub.stage.split, self.c.root / sub.archive_path, sub.sha256
        outcome = Outcome(run_id, submission_id, team, stage_name, attempt)
        say = (lambda msg: progress(f"{team} #{attempt}: {msg}")) if progress else None
        try:
            if not archive_path.is_file() or sha256_file(archive_path) != sha:
                raise PlatformError(
                    "the stored archive is missing or damaged", where=str(archive_path)
                )
            inputs_sha = split_inputs_sha256(self.setup.manifest(), split)
            run_dir = self.c.layout.run_dir(run_id)
            name = f"{self._group_prefix}run{run_id}"
            job = self._job(archive_path.read_bytes(), split, run_dir, name, repeats)
            return self.record_result(outcome, evaluate(job, say), inputs_sha)
        except Exception as err:  # ours, never the team's: recorded, and the queue goes on
            return self.record_platform_fault(outcome, err)

    def outcome_of(self, run_id: int) -> Outcome:
        """What is known of a running run, to end it with (a worker's report, a lost lease)."""
        with self.c.sessions() as s:
            run = self.c.run_row(s, run_id)
            sub = run.submission
            return Outcome(run.id, sub.id, sub.team.name, sub.stage.name, sub.attempt)

    def record_platform_fault(self, outcome: Outcome, err: Exception) -> RunOutcome:
        """The attempt is released (queued again), or after MAX_PLATFORM_RETRIES faults in a
        row held for an organizer; an unexpected error's traceback goes to the run's log."""
        if isinstance(err, PodiumError):
            message = err.message
        else:
            message = f"{type(err).__name__}: {err} (a fault of the platform; see the run's log)"
        run_dir = self.c.layout.run_dir(outcome.run_id)
        tail = _log_traceback(run_dir, err)
        shutil.rmtree(run_dir / "predictions", ignore_errors=True)
        with self.c.sessions.begin() as s:
            run = s.get_one(Run, outcome.run_id)
            run.status, run.finished_at, run.error = "platform_error", utcnow(), message
            run.log_tail = tail
            if run.kind == "evaluation":
                count_platform_fault(s.get_one(Submission, outcome.submission_id))
        return outcome.ended("platform_error", message)

    def record_result(
        self, outcome: Outcome, result: EvaluationResult, inputs_sha: str
    ) -> RunOutcome:
        with self.c.sessions.begin() as s:
            run = s.get_one(Run, outcome.run_id)
            run.status, run.finished_at = result.status, utcnow()
            run.error, run.log_tail = result.error, result.log_tail
            run.inputs_sha256, run.harness_seconds = inputs_sha, result.harness_seconds
            run.enforcement = result.enforcement
            run.integrity = result.integrity if result.status == "scored" else None
            s.add_all(_measurement_rows(outcome.run_id, result))
            s.add_all(_score_rows(outcome.run_id, result))
            kind = run.kind
            if run.kind == "evaluation":
                sub = s.get_one(Submission, outcome.submission_id)
                sub.status, sub.platform_failures = result.status, 0
        try:  # the result is stored: a fault in summarising it must not undo or repeat it
            agg = self.results.run_aggregate(outcome.run_id) if result.status == "scored" else None
        except Exception as err:
            _log_traceback(self.c.layout.run_dir(outcome.run_id), err)
            agg = None
        if kind == "evaluation":
            self._announce(outcome, result.status, result.error, agg)
        if agg is not None:
            return outcome.ended(result.status, result.error, agg.duration, agg.overall)
        last = result.measurements[-1].wall_seconds if result.measurements else None
        return outcome.ended(result.status, result.error, last)

    def _announce(self, o: Outcome, status: str, error: str | None, agg: Aggregate | None) -> None:
        """The team hears of its run; everyone of a public leaderboard it changed. News that
        cannot be written is logged: it never fails the stored result."""
        from podium.report.durations import duration_text

        news = self.setup.news
        try:
            with self.c.sessions() as s:
                revealed = self.c.stage_row(s, o.stage).revealed
            hidden = self.c.spec.stage(o.stage).leaderboard == "hidden" and not revealed
            duration = duration_text(agg, self.c.spec.efficiency.metric) if agg else None
            news.run_ended(
                team=o.team, stage=o.stage, submission_id=o.submission_id, status=status,
                reason=error, score=agg.overall if agg else None, duration=duration, hidden=hidden,
            )  # fmt: skip
            if status == "scored" and not hidden:
                rows = self.results.leaderboard(o.stage).rows
                news.ranking(o.stage, [(r.place, r.team, r.overall) for r in rows])
        except Exception:
            log.exception("the news of run %d could not be written", o.run_id)


@dataclass(frozen=True)
class Outcome:
    """What is known of a run before it ends."""

    run_id: int
    submission_id: int
    team: str
    stage: str
    attempt: int

    def ended(
        self,
        status: str,
        error: str | None,
        duration: float | None = None,
        overall: float | None = None,
    ) -> RunOutcome:
        return RunOutcome(
            self.run_id, self.submission_id, self.team, self.stage, self.attempt,
            status, error, duration, overall,
        )  # fmt: skip


def _measurement_rows(run_id: int, result: EvaluationResult) -> list[Measurement]:
    return [
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
            cpu_energy_joules=m.cpu_energy_joules,
            idle_cpu_watts=m.idle_cpu_watts,
            idle_gpu_watts=m.idle_gpu_watts,
            energy_note=m.energy_note,
        )
        for i, m in enumerate(result.measurements)
    ]


def _score_rows(run_id: int, result: EvaluationResult) -> list[Score]:
    return [
        Score(
            run_id=run_id,
            task=row.task,
            language=row.language,
            metric=row.metric,
            value=row.value,
            count=row.count,
        )
        for row in result.scores
    ]


def count_platform_fault(sub: Submission) -> None:
    sub.platform_failures += 1
    sub.dispatched_at = None  # with workers: sent to the broker again
    sub.status = "attention" if sub.platform_failures >= MAX_PLATFORM_RETRIES else "queued"


def _log_traceback(run_dir: Path, err: Exception) -> str:
    """Append the error to the run's log (for organizers) and return the log's tail."""
    from podium.harness.evaluate import LOG_TAIL_BYTES, log_tail

    text = "".join(traceback.format_exception(err))
    with contextlib.suppress(OSError):
        run_dir.mkdir(parents=True, exist_ok=True)
        with (run_dir / "log.txt").open("a", encoding="utf-8", errors="backslashreplace") as log:
            log.write(f"\n[podium: the evaluation failed on the platform's side]\n{text}")
    return log_tail(run_dir / "log.txt") or text[-LOG_TAIL_BYTES:]


def _lean_record(lean: LeanReport | None) -> dict[str, object] | None:
    """What a calibration keeps of the baseline's canaries (raw counts and the advice)."""
    if lean is None:
        return None
    c = lean.counts
    return {
        "canaries": c.canaries,
        "original_wins": c.original_wins,
        "canary_wins": c.canary_wins,
        "gap": c.gap,
        "recommended_lean": lean.recommended_lean,
        "configured_lean": lean.configured_lean,
        "false_positive": lean.false_positive,
    }
