"""Evaluation on other machines: the store owns the truth, workers hold leases.

A worker claims a queued submission (one atomic conditional update, so a redelivered task
or a second worker finds it taken), holds the run's lease by heartbeats, and reports the
predictions and measurements; the server validates and scores them here, where the labels
are. A report without the lease (late, duplicated, from another worker) is recorded and
ignored; a lease that expires is a platform fault, retried like any.
"""

from __future__ import annotations

import re
import secrets
import shutil
import tarfile
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update

from podium.access import Principal
from podium.errors import (
    ForbiddenError,
    NotFoundError,
    PlatformError,
    RuleError,
    SubmissionError,
)
from podium.leaderboard import compared_keys
from podium.service.context import Competition
from podium.service.evaluation import Evaluation, RunOutcome
from podium.service.leases import Lease, WorkerInfo, WorkerReport
from podium.service.setup import Setup
from podium.store.models import LateReport, Run, Stage, Submission, Worker, utcnow

if TYPE_CHECKING:
    from podium.harness.evaluate import EvaluationResult

_NAME = re.compile(r"[^a-z0-9-]+")


def queue_name(competition: str, hardware: str) -> str:
    """The broker queue of one competition's hardware label (brokers may be shared)."""
    slug = _NAME.sub("-", competition.lower()).strip("-")[:40] or "competition"
    return f"podium.{slug}.{_NAME.sub('-', hardware.lower()).strip('-') or 'local'}"


class Fleet:
    """The server's side of the workers: claims, leases, reports, the reaper, the fleet."""

    def __init__(self, competition: Competition, setup: Setup, evaluation: Evaluation) -> None:
        self.c, self.setup, self.evaluation = competition, setup, evaluation

    @property
    def queue(self) -> str:
        return queue_name(self.c.spec.name, self.c.spec.hardware)

    # -- workers ---------------------------------------------------------------------------

    def hello(self, who: Principal, hardware: str, fingerprint: Mapping[str, Any]) -> WorkerInfo:
        """A worker starts: it is recorded with its fingerprint; the first of a label sets
        the label's reference, and one that differs is marked (its runs are not compared)."""
        if hardware != self.c.spec.hardware:
            raise RuleError(
                f"this competition evaluates on hardware {self.c.spec.hardware!r}, "
                f"not {hardware!r}",
                hint=f"start the worker with --hardware {self.c.spec.hardware}",
            )
        with self.c.sessions.begin() as s:
            worker = s.scalar(self.c.scoped(select(Worker), via=Worker).where(
                Worker.token_id == who.token_id))  # fmt: skip
            if worker is None:
                worker = Worker(competition_id=self.c.id, name=who.label or f"worker-{who.token_id}",
                                token_id=who.token_id, hardware=hardware)  # fmt: skip
                s.add(worker)
            worker.fingerprint, worker.last_heartbeat = dict(fingerprint), utcnow()
            s.flush()
            reference = self._reference(s, hardware)
            worker.alike = not _differs(reference, worker.fingerprint)
            s.flush()
            return _info(worker, reference)

    def workers(self) -> list[WorkerInfo]:
        with self.c.sessions() as s:
            rows = s.scalars(self.c.scoped(select(Worker), via=Worker).order_by(Worker.id)).all()
            return [_info(w, self._reference(s, w.hardware)) for w in rows]

    def queue_lengths(self) -> dict[str, int]:
        """Submissions waiting, per hardware label (one label per competition today)."""
        with self.c.sessions() as s:
            query = self.c.scoped(
                select(func.count(Submission.id)).join(Stage).where(Submission.status == "queued")
            )
            return {self.c.spec.hardware: int(s.scalar(query) or 0)}

    def _reference(self, s: Any, hardware: str) -> Mapping[str, Any]:
        first = s.scalar(
            self.c.scoped(select(Worker), via=Worker)
            .where(Worker.hardware == hardware)
            .order_by(Worker.id)
            .limit(1)
        )
        return dict(first.fingerprint) if first is not None else {}

    # -- dispatch --------------------------------------------------------------------------

    def undispatched(self) -> list[int]:
        """Queued submissions whose task has not gone to the broker since they were queued,
        or went long ago and was never claimed (a lost message: sent again)."""
        stale = utcnow() - timedelta(seconds=self.c.spec.workers.redispatch_seconds)
        with self.c.sessions() as s:
            query = self.c.scoped(
                select(Submission.id)
                .join(Stage)
                .where(
                    Submission.status == "queued",
                    Submission.dispatched_at.is_(None) | (Submission.dispatched_at < stale),
                )
                .order_by(Submission.id)
            )
            return list(s.scalars(query))

    def dispatched(self, submission_id: int) -> None:
        with self.c.sessions.begin() as s:
            s.execute(update(Submission).where(Submission.id == submission_id)
                      .values(dispatched_at=utcnow()))  # fmt: skip

    # -- one run ---------------------------------------------------------------------------

    def claim(self, who: Principal, submission_id: int) -> Lease | None:
        """The submission's run for this worker, or None when it is not waiting any more
        (scored, running elsewhere: a redelivered or duplicate task is simply dropped)."""
        worker = self._worker(who)
        lease = secrets.token_hex(16)
        expires = utcnow() + timedelta(seconds=self.c.spec.workers.lease_seconds)
        with self.c.sessions.begin() as s:
            sub = self.c.submission_row(s, submission_id)
            taken = s.execute(
                update(Submission)
                .where(Submission.id == sub.id, Submission.status == "queued")
                .values(status="running")
            )
            if taken.rowcount != 1:  # type: ignore[attr-defined]
                return None
            run = Run(submission_id=sub.id, status="running", hardware=worker.hardware,
                      submission_sha256=sub.sha256, fingerprint=dict(worker.fingerprint),
                      worker_id=worker.id, lease=lease, lease_expires_at=expires)  # fmt: skip
            s.add(run)
            s.flush()
            s.execute(update(Worker).where(Worker.id == worker.id)
                      .values(current_run_id=run.id, last_heartbeat=utcnow()))  # fmt: skip
            split, sha, run_id = sub.stage.split, sub.sha256, run.id
        return self._lease(run_id, submission_id, lease, expires, split, sha)

    def _lease(
        self, run_id: int, submission_id: int, lease: str, expires: datetime, split: str, sha: str
    ) -> Lease:
        from podium.data.prepare import split_inputs_sha256
        from podium.harness.environments import recipes_of

        spec = self.c.spec
        recipes = recipes_of(spec.environments, self.c.root)
        return Lease(
            run_id=run_id,
            submission_id=submission_id,
            lease=lease,
            expires_at=expires,
            split=split,
            archive_sha256=sha,
            inputs_sha256=split_inputs_sha256(self.setup.manifest(), split),
            repeats=spec.efficiency.repeats,
            sandbox=spec.sandbox.model_dump(mode="json"),
            idle_seconds=spec.efficiency.idle_seconds,
            heartbeat_seconds=spec.workers.heartbeat_seconds,
            environments={
                n: {"requirements": r.requirements, "python": r.python} for n, r in recipes.items()
            },
        )

    def claim_run(self, who: Principal, run_id: int) -> Lease | None:
        """A re-measurement run waiting for this worker (photo finish), or None."""
        worker = self._worker(who)
        lease = secrets.token_hex(16)
        expires = utcnow() + timedelta(seconds=self.c.spec.workers.lease_seconds)
        with self.c.sessions.begin() as s:
            run = self.c.run_row(s, run_id)
            taken = s.execute(
                update(Run)
                .where(Run.id == run.id, Run.status == "waiting", Run.worker_id == worker.id)
                .values(status="running", lease=lease, lease_expires_at=expires,
                        started_at=utcnow())
            )  # fmt: skip
            if taken.rowcount != 1:  # type: ignore[attr-defined]
                return None
            s.execute(update(Worker).where(Worker.id == worker.id)
                      .values(current_run_id=run.id, last_heartbeat=utcnow()))  # fmt: skip
            sub = run.submission
            return self._lease(run.id, sub.id, lease, expires, sub.stage.split, sub.sha256)

    def pick_worker(self) -> int | None:
        """The worker a photo finish uses for all its runs: alike, heard from most recently."""
        with self.c.sessions() as s:
            query = self.c.scoped(select(Worker.id), via=Worker).where(
                Worker.hardware == self.c.spec.hardware, Worker.alike.is_(True)
            )
            found: int | None = s.scalar(query.order_by(Worker.last_heartbeat.desc()).limit(1))
            return found

    def request_remeasure(self, submission_id: int, worker_id: int) -> int:
        """A re-measurement run waiting for one worker; the dispatcher sends it there."""
        with self.c.sessions.begin() as s:
            sub = self.c.submission_row(s, submission_id)
            worker = s.get_one(Worker, worker_id)
            run = Run(submission_id=sub.id, status="waiting", kind="remeasure",
                      hardware=worker.hardware, fingerprint=dict(worker.fingerprint),
                      submission_sha256=sub.sha256, worker_id=worker.id)  # fmt: skip
            s.add(run)
            s.flush()
            return run.id

    def waiting_runs(self) -> list[tuple[int, str]]:
        """Re-measurement runs not yet taken, with the queue of the worker they are for."""
        return [(run, self.worker_queue(name)) for run, name in self._worker_runs("waiting")]

    def worker_queue(self, name: str) -> str:
        """One worker's own queue: a photo finish runs both teams on one machine."""
        return f"{self.queue}.{_NAME.sub('-', name.lower()).strip('-') or 'worker'}"

    def wait(self, run_id: int, *, poll: float = 0.2) -> RunOutcome:
        """Until a run ends (a worker reports it, or the reaper ends it)."""
        while True:
            with self.c.sessions() as s:
                run = self.c.run_row(s, run_id)
                if run.status not in ("waiting", "running"):
                    sub = run.submission
                    return RunOutcome(run.id, sub.id, sub.team.name, sub.stage.name,
                                      sub.attempt, run.status, run.error, None, None)  # fmt: skip
            time.sleep(poll)

    def renew(self, who: Principal, run_id: int, lease: str) -> datetime:
        """A heartbeat: the lease runs on; RuleError when it was lost (the run is over)."""
        expires = utcnow() + timedelta(seconds=self.c.spec.workers.lease_seconds)
        with self.c.sessions.begin() as s:
            run = self._held(s, who, run_id, lease)
            run.lease_expires_at = expires
            s.execute(update(Worker).where(Worker.token_id == who.token_id)
                      .values(last_heartbeat=utcnow()))  # fmt: skip
        return expires

    def archive(self, who: Principal, run_id: int, lease: str) -> Path:
        """The stored archive of a run this worker holds."""
        with self.c.sessions() as s:
            run = self._held(s, who, run_id, lease)
            path = self.c.root / run.submission.archive_path
        if not path.is_file():
            raise NotFoundError("the stored archive is missing", where=str(path))
        return path

    def inputs(self, who: Principal, split: str) -> Path:
        """The sealed inputs of a split (no labels) as one tar, built once per content; only
        for a worker that holds a run of that split."""
        from podium.data.prepare import split_inputs_sha256

        worker = self._worker(who)
        manifest = self.setup.manifest()
        if split not in {stage.split for stage in self.c.spec.stages}:
            raise NotFoundError(f"no split {split!r}")
        with self.c.sessions() as s:
            held = s.scalar(
                self.c.scoped(select(func.count(Run.id)).join(Submission).join(Stage)).where(
                    Run.worker_id == worker.id, Run.status == "running", Stage.split == split
                )
            )
        if not held:
            raise ForbiddenError(
                f"the sealed inputs of {split!r} go only to a worker running a run of that split"
            )
        sha = split_inputs_sha256(manifest, split)
        target = self.c.layout.artifacts_dir / "inputs" / f"{split}-{sha}.tar"
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(f".{secrets.token_hex(4)}.part")
            with tarfile.open(partial, "w") as tar:
                tar.add(self.c.layout.inputs_dir(split), arcname=".")
            partial.rename(target)
        return target

    def report(
        self,
        who: Principal,
        run_id: int,
        lease: str,
        facts: WorkerReport,
        predictions: Mapping[str, Path],
    ) -> RunOutcome:
        """A worker's result: scored here (the labels never leave), or a failure of the
        submission; a report without the lease is recorded and refused."""
        from podium.data.prepare import split_inputs_sha256

        try:
            with self.c.sessions.begin() as s:
                run = self._held(s, who, run_id, lease)
                run.lease_expires_at = None  # nobody renews or reaps it from here on
                split = run.submission.stage.split
        except RuleError as err:
            with self.c.sessions.begin() as s:
                s.add(LateReport(run_id=self.c.run_row(s, run_id).id,
                                 worker_id=self._worker_id(s, who), reason=err.message))  # fmt: skip
            raise
        outcome = self.evaluation.outcome_of(run_id)
        run_dir = self.c.layout.run_dir(run_id)
        try:
            result = facts.result()
            if facts.log is not None:
                run_dir.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(facts.log, run_dir / "log.txt")
            if result.status == "scored":
                result = self._score(result, split, predictions, run_dir)
            inputs_sha = split_inputs_sha256(self.setup.manifest(), split)
            ended = self.evaluation.record_result(outcome, result, inputs_sha)
        except Exception as err:  # ours (or the worker's): the attempt is kept and retried
            ended = self.evaluation.record_platform_fault(outcome, err)
        self._done(who)
        return ended

    def _score(
        self, result: EvaluationResult, split: str, predictions: Mapping[str, Path], run_dir: Path
    ) -> EvaluationResult:
        from podium.harness.evaluate import validate_and_score

        expected = self.evaluation.expected_files(split)
        known = {f.relpath for f in expected}
        unknown = sorted(set(predictions) - known)
        folder = run_dir / "predictions"
        shutil.rmtree(folder, ignore_errors=True)
        try:
            if unknown:
                raise SubmissionError(
                    f"the output folder holds {len(unknown)} unexpected file(s): "
                    + ", ".join(unknown[:5]),
                    hint="write only {task}/{lang}.jsonl for the inputs given",
                )
            for name, path in predictions.items():
                (folder / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, folder / name)
            result.scores = validate_and_score(
                folder,
                expected,
                self.c.layout.labels_dir(split),
                self.c.tasks(),
                metric_dir=self.c.root,
            )
        except SubmissionError as err:
            shutil.rmtree(folder, ignore_errors=True)
            result.status, result.error, result.scores = "failed", err.message, []
        return result

    def reap(self) -> list[RunOutcome]:
        """Runs whose worker went silent, and re-measurements no worker took in time:
        platform faults (an attempt is kept and queued again)."""
        now = utcnow()
        give_up = now - timedelta(seconds=max(60.0, 20 * self.c.spec.workers.lease_seconds))
        stale = {
            "running": (Run.lease_expires_at < now, "stopped answering (its lease expired); "
                        "the run is retried"),
            "waiting": (Run.started_at < give_up, "did not take this re-measurement in time"),
        }  # fmt: skip
        ended = []
        for status, (overdue, why) in stale.items():
            for run_id, name in self._worker_runs(status, overdue):
                err = PlatformError(f"worker {name!r} {why}")
                outcome = self.evaluation.outcome_of(run_id)
                ended.append(self.evaluation.record_platform_fault(outcome, err))
                with self.c.sessions.begin() as s:
                    s.execute(update(Worker).where(Worker.current_run_id == run_id)
                              .values(current_run_id=None))  # fmt: skip
        return ended

    def _worker_runs(self, status: str, *where: Any) -> list[tuple[int, str]]:
        """(run, worker name) of this competition's worker-held runs in `status`."""
        with self.c.sessions() as s:
            query = self.c.scoped(
                select(Run.id, Worker.name)
                .join(Submission, Run.submission_id == Submission.id)
                .join(Stage)
                .join(Worker, Run.worker_id == Worker.id)
                .where(Run.status == status, *where)
                .order_by(Run.id)
            )
            return [(row[0], row[1]) for row in s.execute(query)]

    # -- helpers ---------------------------------------------------------------------------

    def _worker(self, who: Principal) -> Worker:
        with self.c.sessions() as s:
            worker = s.scalar(self.c.scoped(select(Worker), via=Worker).where(
                Worker.token_id == who.token_id))  # fmt: skip
            if worker is None:
                raise RuleError("this worker has not said hello", hint="restart `podium worker`")
            s.expunge(worker)
            return worker

    def _worker_id(self, s: Any, who: Principal) -> int | None:
        query = self.c.scoped(select(Worker.id), via=Worker).where(Worker.token_id == who.token_id)
        found: int | None = s.scalar(query)
        return found

    def _held(self, s: Any, who: Principal, run_id: int, lease: str) -> Run:
        run = self.c.run_row(s, run_id)
        worker_id = self._worker_id(s, who)
        if run.status != "running" or run.worker_id != worker_id or run.lease is None:
            raise RuleError(f"run {run_id} is not held by this worker (it is {run.status})")
        if not secrets.compare_digest(run.lease, lease):
            raise RuleError(f"the lease of run {run_id} is another one (a late or duplicate task)")
        if run.lease_expires_at is not None and _aware(run.lease_expires_at) < utcnow():
            raise RuleError(f"the lease of run {run_id} expired; the run is retried")
        return run

    def _done(self, who: Principal) -> None:
        with self.c.sessions.begin() as s:
            s.execute(update(Worker).where(Worker.token_id == who.token_id)
                      .values(current_run_id=None, runs_done=Worker.runs_done + 1,
                              last_heartbeat=utcnow()))  # fmt: skip


def _differs(reference: Mapping[str, Any], fingerprint: Mapping[str, Any]) -> tuple[str, ...]:
    if not reference:
        return ()
    return tuple(k for k in compared_keys(reference, fingerprint)
                 if reference.get(k) != fingerprint.get(k))  # fmt: skip


def _info(worker: Worker, reference: Mapping[str, Any]) -> WorkerInfo:
    return WorkerInfo(worker.id, worker.name, worker.hardware, dict(worker.fingerprint),
                      worker.alike, _differs(reference, worker.fingerprint),
                      _aware(worker.last_heartbeat), worker.current_run_id,
                      worker.runs_done)  # fmt: skip


def _aware(moment: datetime) -> datetime:
    """SQLite gives naive datetimes back; they were stored in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
