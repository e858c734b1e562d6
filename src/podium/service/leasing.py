"""Leases: a worker claims a queued submission (one atomic conditional update, so a
redelivered task or a second worker finds it taken), holds the run by heartbeats, fetches
what the run needs, and a lease that expires is a platform fault, retried like any. Who may
fetch what is checked in the web layer (`podium.rules.access`); here a lease is only valid or not."""

from __future__ import annotations

import secrets
import tarfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update

from podium.core.errors import NotFoundError, PlatformError, RuleError
from podium.rules.access import Principal
from podium.service.context import Competition
from podium.service.evaluation import Evaluation, RunOutcome
from podium.service.exchange import Lease
from podium.service.setup import Setup
from podium.service.workers import Workers, aware
from podium.store.models import Run, Stage, Submission, Worker, utcnow


class Leases:
    """Claims, heartbeats, a held run's archive and inputs, and the reaper."""

    def __init__(
        self, competition: Competition, setup: Setup, evaluation: Evaluation, workers: Workers
    ) -> None:
        self.c, self.setup, self.evaluation, self.workers = competition, setup, evaluation, workers

    def claim(self, who: Principal, submission_id: int) -> Lease | None:
        """The submission's run for this worker, or None when it is not waiting any more
        (scored, running elsewhere: a redelivered or duplicate task is simply dropped)."""
        worker = self.workers.row(who)
        if worker.hardware != self.c.spec.hardware:  # a training-only machine never evaluates
            return None
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

    def claim_run(self, who: Principal, run_id: int) -> Lease | None:
        """A re-measurement run waiting for this worker (photo finish), or None."""
        worker = self.workers.row(who)
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

    def renew(self, who: Principal, run_id: int, lease: str) -> datetime:
        """A heartbeat: the lease runs on; RuleError when it was lost (the run is over)."""
        expires = utcnow() + timedelta(seconds=self.c.spec.workers.lease_seconds)
        with self.c.sessions.begin() as s:
            run = self.held(s, who, run_id, lease)
            run.lease_expires_at = expires
            s.execute(update(Worker).where(Worker.token_id == who.token_id)
                      .values(last_heartbeat=utcnow()))  # fmt: skip
        return expires

    def archive(self, who: Principal, run_id: int, lease: str) -> Path:
        """The stored archive of a run this worker holds."""
        with self.c.sessions() as s:
            run = self.held(s, who, run_id, lease)
            path = self.c.root / run.submission.archive_path
        if not path.is_file():
            raise NotFoundError("the stored archive is missing", where=str(path))
        return path

    def holds_split(self, who: Principal, split: str) -> bool:
        """Whether this worker runs a run of `split` now (the fact `access.SealedInputs`
        decides on: sealed inputs go only to such a worker)."""
        worker = self.workers.row(who)
        with self.c.sessions() as s:
            held = s.scalar(
                self.c.scoped(select(func.count(Run.id)).join(Submission).join(Stage)).where(
                    Run.worker_id == worker.id, Run.status == "running", Stage.split == split
                )
            )
        return bool(held)

    def inputs(self, split: str) -> Path:
        """The sealed inputs of a split (no labels) as one tar, built once per content."""
        from podium.data.prepare import split_inputs_sha256

        manifest = self.setup.manifest()
        if split not in {stage.split for stage in self.c.spec.stages}:
            raise NotFoundError(f"no split {split!r}")
        sha = split_inputs_sha256(manifest, split)
        target = self.c.layout.artifacts_dir / "inputs" / f"{split}-{sha}.tar"
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(f".{secrets.token_hex(4)}.part")
            with tarfile.open(partial, "w") as tar:
                tar.add(self.c.layout.inputs_dir(split), arcname=".")
            partial.rename(target)
        return target

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
            for run_id, name in self.workers.runs(status, overdue):
                err = PlatformError(f"worker {name!r} {why}")
                outcome = self.evaluation.outcome_of(run_id)
                ended.append(self.evaluation.record_platform_fault(outcome, err))
                self.workers.released(run_id)
        return ended

    def held(self, s: Any, who: Principal, run_id: int, lease: str) -> Run:
        """The run, when this worker holds it by this lease now; RuleError otherwise."""
        run = self.c.run_row(s, run_id)
        worker_id = self.workers.id_of(s, who)
        if run.status != "running" or run.worker_id != worker_id or run.lease is None:
            raise RuleError(f"run {run_id} is not held by this worker (it is {run.status})")
        if not secrets.compare_digest(run.lease, lease):
            raise RuleError(f"the lease of run {run_id} is another one (a late or duplicate task)")
        if run.lease_expires_at is not None and aware(run.lease_expires_at) < utcnow():
            raise RuleError(f"the lease of run {run_id} expired; the run is retried")
        return run
