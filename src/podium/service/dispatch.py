"""Dispatch: which queued submissions and re-measurements go to the broker, on which queue,
and waiting for a run that was sent (a photo finish waits on its re-measurements)."""

from __future__ import annotations

import re
import time
from datetime import timedelta

from sqlalchemy import func, select, update

from podium.service.context import Competition
from podium.service.evaluation import RunOutcome
from podium.service.workers import Workers
from podium.store.models import Run, Stage, Submission, Worker, utcnow

_NAME = re.compile(r"[^a-z0-9-]+")


def queue_name(competition: str, hardware: str) -> str:
    """The broker queue of one competition's hardware label (brokers may be shared)."""
    slug = _NAME.sub("-", competition.lower()).strip("-")[:40] or "competition"
    return f"podium.{slug}.{_NAME.sub('-', hardware.lower()).strip('-') or 'local'}"


class Dispatch:
    """What to send (and send again), where, and the queue lengths the fleet view shows."""

    def __init__(self, competition: Competition, workers: Workers) -> None:
        self.c, self.workers = competition, workers

    @property
    def queue(self) -> str:
        return queue_name(self.c.spec.name, self.c.spec.hardware)

    def worker_queue(self, name: str) -> str:
        """One worker's own queue: a photo finish runs both teams on one machine."""
        return f"{self.queue}.{_NAME.sub('-', name.lower()).strip('-') or 'worker'}"

    def queue_lengths(self) -> dict[str, int]:
        """Submissions waiting, per hardware label (one label per competition today)."""
        with self.c.sessions() as s:
            query = self.c.scoped(
                select(func.count(Submission.id)).join(Stage).where(Submission.status == "queued")
            )
            return {self.c.spec.hardware: int(s.scalar(query) or 0)}

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
        return [(run, self.worker_queue(name)) for run, name in self.workers.runs("waiting")]

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
