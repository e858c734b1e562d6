"""The worker registry: who evaluates for this competition, on what machine, and whether
its machine matches its label's reference (the first worker of the label)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update

from podium.core.errors import RuleError
from podium.rules.access import Principal
from podium.rules.leaderboard import compared_keys
from podium.service.context import Competition
from podium.service.exchange import WorkerInfo
from podium.store.models import Run, Stage, Submission, Worker, utcnow


class Workers:
    """Hello, the fleet as shown, the worker a photo finish uses, and a worker's runs."""

    def __init__(self, competition: Competition) -> None:
        self.c = competition

    def hello(self, who: Principal, hardware: str, fingerprint: Mapping[str, Any]) -> WorkerInfo:
        """A worker starts: it is recorded with its fingerprint; the first of a label sets
        the label's reference, and one that differs is marked (its runs are not compared)."""
        training_only = self.c.spec.jobs.hardware  # labels of machines that run jobs only
        if hardware != self.c.spec.hardware and hardware not in training_only:
            also = f" (training jobs also on {', '.join(training_only)})" if training_only else ""
            raise RuleError(
                f"this competition evaluates on hardware {self.c.spec.hardware!r}, "
                f"not {hardware!r}{also}",
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

    def fleet(self) -> list[WorkerInfo]:
        """Every worker of the competition, as `podium workers` and the organizer page show it."""
        with self.c.sessions() as s:
            rows = s.scalars(self.c.scoped(select(Worker), via=Worker).order_by(Worker.id)).all()
            return [_info(w, self._reference(s, w.hardware)) for w in rows]

    def pick_worker(self) -> int | None:
        """The worker a photo finish uses for all its runs: alike, heard from most recently."""
        with self.c.sessions() as s:
            query = self.c.scoped(select(Worker.id), via=Worker).where(
                Worker.hardware == self.c.spec.hardware, Worker.alike.is_(True)
            )
            found: int | None = s.scalar(query.order_by(Worker.last_heartbeat.desc()).limit(1))
            return found

    def row(self, who: Principal) -> Worker:
        """The worker a token belongs to (detached); RuleError before its hello."""
        with self.c.sessions() as s:
            worker = s.scalar(self.c.scoped(select(Worker), via=Worker).where(
                Worker.token_id == who.token_id))  # fmt: skip
            if worker is None:
                raise RuleError("this worker has not said hello", hint="restart `podium worker`")
            s.expunge(worker)
            return worker

    def id_of(self, s: Any, who: Principal) -> int | None:
        query = self.c.scoped(select(Worker.id), via=Worker).where(Worker.token_id == who.token_id)
        found: int | None = s.scalar(query)
        return found

    def runs(self, status: str, *where: Any) -> list[tuple[int, str]]:
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

    def done(self, who: Principal) -> None:
        """A worker's run ended: it is free again and has one more run done."""
        with self.c.sessions.begin() as s:
            s.execute(update(Worker).where(Worker.token_id == who.token_id)
                      .values(current_run_id=None, runs_done=Worker.runs_done + 1,
                              last_heartbeat=utcnow()))  # fmt: skip

    def released(self, run_id: int) -> None:
        """A run ended without its worker (reaped): the worker holds nothing any more."""
        with self.c.sessions.begin() as s:
            s.execute(update(Worker).where(Worker.current_run_id == run_id)
                      .values(current_run_id=None))  # fmt: skip

    def _reference(self, s: Any, hardware: str) -> Mapping[str, Any]:
        first = s.scalar(
            self.c.scoped(select(Worker), via=Worker)
            .where(Worker.hardware == hardware)
            .order_by(Worker.id)
            .limit(1)
        )
        return dict(first.fingerprint) if first is not None else {}


def _differs(reference: Mapping[str, Any], fingerprint: Mapping[str, Any]) -> tuple[str, ...]:
    if not reference:
        return ()
    return tuple(k for k in compared_keys(reference, fingerprint)
                 if reference.get(k) != fingerprint.get(k))  # fmt: skip


def _info(worker: Worker, reference: Mapping[str, Any]) -> WorkerInfo:
    return WorkerInfo(worker.id, worker.name, worker.hardware, dict(worker.fingerprint),
                      worker.alike, _differs(reference, worker.fingerprint),
                      aware(worker.last_heartbeat), worker.current_run_id,
                      worker.runs_done)  # fmt: skip


def aware(moment: datetime) -> datetime:
    """SQLite gives naive datetimes back; they were stored in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
