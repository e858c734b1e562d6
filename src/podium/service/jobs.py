"""Training jobs and the budgets they are billed against.

A team sends a folder whose podium.toml has `[job] command`; the job queues on a hardware
label and runs in the sandbox on the public data (harness/training.py). Queued jobs are
taken fairly: per label, a team with `[jobs] max_concurrent_jobs` running is passed over,
and among the others the team that has used the least CPU time goes first (then the oldest
job). What a job used is billed once, in the transaction that ends it: a job that is
claimed again (its runner died) was never billed, and a late second ending finds it ended.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update

from podium.core.errors import NotFoundError, RuleError
from podium.service.context import Competition
from podium.store.models import Team, TrainingJob, utcnow

if TYPE_CHECKING:
    from podium.harness.runner import Runner
    from podium.harness.training import JobControl, TrainingResult

ENDED = ("done", "failed", "stopped", "cancelled")
HOUR = 3600.0
JOULES_PER_KWH = 3.6e6


@dataclass(frozen=True)
class Allowance:
    """One resource of a team's budget: None where the competition sets no limit."""

    budget: float | None
    used: float

    @property
    def left(self) -> float | None:
        return None if self.budget is None else max(0.0, self.budget - self.used)

    @property
    def spent(self) -> bool:
        return self.budget is not None and self.used >= self.budget

    def to_dict(self) -> dict[str, float | None]:
        return {"budget": self.budget, "used": self.used, "left": self.left}


@dataclass(frozen=True)
class TeamBudget:
    """A team's training budget: CPU and GPU hours, energy in kWh."""

    team: str
    cpu_hours: Allowance
    gpu_hours: Allowance
    energy_kwh: Allowance

    @property
    def spent(self) -> str | None:
        """The first resource used up, or None."""
        for name in ("cpu_hours", "gpu_hours", "energy_kwh"):
            if getattr(self, name).spent:
                return name
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "team": self.team,
            "cpu_hours": self.cpu_hours.to_dict(),
            "gpu_hours": self.gpu_hours.to_dict(),
            "energy_kwh": self.energy_kwh.to_dict(),
        }


@dataclass(frozen=True)
class JobInfo:
    """A job as the team sees it: state, where it ran, what it was billed."""

    id: int
    team: str
    hardware: str
    status: str
    message: str | None
    created_at: str
    finished_at: str | None
    cpu_seconds: float | None
    gpu_seconds: float | None
    energy_joules: float | None
    wall_seconds: float | None
    artifact_bytes: int | None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _info(job: TrainingJob) -> JobInfo:
    return JobInfo(
        id=job.id,
        team=job.team.name,
        hardware=job.hardware,
        status=job.status,
        message=job.message,
        created_at=job.created_at.isoformat(),
        finished_at=job.finished_at.isoformat() if job.finished_at else None,
        cpu_seconds=job.cpu_seconds,
        gpu_seconds=job.gpu_seconds,
        energy_joules=job.energy_joules,
        wall_seconds=job.wall_seconds,
        artifact_bytes=job.artifact_bytes,
    )


class Jobs:
    """Submit, queue fairly, run, bill, list, and the budgets."""

    def __init__(self, competition: Competition) -> None:
        self.c = competition

    # -- paths ---------------------------------------------------------------------------
    def folder(self, job_id: int) -> Path:
        return self.c.layout.artifacts_dir / "jobs" / str(job_id)

    def log_path(self, job_id: int) -> Path:
        return self.folder(job_id) / "log.txt"

    def artifact_path(self, job_id: int) -> Path:
        return self.folder(job_id) / "output.tar.gz"

    @property
    def labels(self) -> list[str]:
        """The hardware labels jobs may queue on: the competition's, and with a broker the
        `[jobs] hardware` labels of training-only workers."""
        extra = self.c.spec.jobs.hardware if self.c.broker else []
        return [self.c.spec.hardware, *(x for x in extra if x != self.c.spec.hardware)]

    # -- submit --------------------------------------------------------------------------
    def submit(
        self, team: str, archive: Path, *, hardware: str | None = None, member: str | None = None
    ) -> int:
        """Check the folder's archive and its `[job] command`, refuse a spent budget, queue."""
        from podium.submission.archive import unpack
        from podium.submission.manifest import load_job_command

        label = hardware or self.c.spec.hardware
        if label not in self.labels:
            raise RuleError(
                f"no machine here runs training jobs on hardware {label!r}",
                hint=f"use --hardware {' or '.join(map(repr, self.labels))}, or leave it out",
            )
        budget = self.budget(team)
        if budget.spent:
            unit = budget.spent.replace("_", " ")
            raise RuleError(
                f"team {team!r} has spent its training budget (all its "
                f"{getattr(budget, budget.spent).budget:g} {unit} are used); no job can start",
                hint="ask the organizers for more, or keep to what your earlier jobs produced",
            )
        scratch = self.c.layout.incoming_dir / f"job-{secrets.token_hex(6)}"
        try:
            command = load_job_command(unpack(archive, scratch), where=archive.name)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        sha = hashlib.sha256(archive.read_bytes()).hexdigest()
        with self.c.sessions.begin() as s:
            row = self.c.team_row(s, team)
            job = TrainingJob(team_id=row.id, hardware=label, command=command, sha256=sha,
                              archive_path="", status="queued", member=member)  # fmt: skip
            s.add(job)
            s.flush()
            target = self.folder(job.id) / "job.archive"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(archive, target)
            job.archive_path = str(target.relative_to(self.c.root))
            return job.id

    # -- reads ---------------------------------------------------------------------------
    def find(self, team: str | None = None) -> list[JobInfo]:
        with self.c.sessions() as s:
            query = self.c.scoped(select(TrainingJob).join(Team), via=Team)
            if team is not None:
                query = query.where(Team.name == team)
            return [_info(j) for j in s.scalars(query.order_by(TrainingJob.id))]

    def get(self, job_id: int) -> JobInfo:
        with self.c.sessions() as s:
            return _info(self._row(s, job_id))

    def _row(self, s: Any, job_id: int) -> TrainingJob:
        job = s.scalar(
            self.c.scoped(select(TrainingJob).join(Team), via=Team).where(TrainingJob.id == job_id)
        )
        if job is None:
            raise NotFoundError(f"no training job {job_id}", hint="podium job list shows yours")
        return job  # type: ignore[no-any-return]

    def _used(self, s: Any) -> dict[str, tuple[float, float, float]]:
        """Billed use per team name: CPU seconds, GPU seconds, joules."""
        query = self.c.scoped(
            select(
                Team.name,
                func.coalesce(func.sum(TrainingJob.cpu_seconds), 0.0),
                func.coalesce(func.sum(TrainingJob.gpu_seconds), 0.0),
                func.coalesce(func.sum(TrainingJob.energy_joules), 0.0),
            )
            .select_from(Team)
            .join(TrainingJob, TrainingJob.team_id == Team.id, isouter=True)
            .group_by(Team.name),
            via=Team,
        )
        return {name: (float(c), float(g), float(e)) for name, c, g, e in s.execute(query)}

    def budgets(self) -> list[TeamBudget]:
        """Every team's budget, used and left."""
        with self.c.sessions() as s:
            used = self._used(s)
        return [self._budget(team, *used[team]) for team in sorted(used)]

    def budget(self, team: str) -> TeamBudget:
        with self.c.sessions() as s:
            self.c.team_row(s, team)
            used = self._used(s).get(team, (0.0, 0.0, 0.0))
        return self._budget(team, *used)

    def _budget(self, team: str, cpu: float, gpu: float, joules: float) -> TeamBudget:
        spec = self.c.spec.budget.for_team(team)
        return TeamBudget(
            team=team,
            cpu_hours=Allowance(spec.cpu_hours, cpu / HOUR),
            gpu_hours=Allowance(spec.gpu_hours, gpu / HOUR),
            energy_kwh=Allowance(spec.energy_kwh, joules / JOULES_PER_KWH),
        )

    # -- the queue -----------------------------------------------------------------------
    def claim_next(
        self, hardware: str, *, worker_id: int | None = None, expires: datetime | None = None
    ) -> int | None:
        """The next job of this label, fairly (see the module's docstring), marked running
        (held by a worker's lease until `expires`); None when no team may start one now."""
        limit = self.c.spec.jobs.max_concurrent_jobs
        with self.c.sessions.begin() as s:
            used = self._used(s)
            running = dict(
                s.execute(
                    self.c.scoped(
                        select(Team.name, func.count(TrainingJob.id)).join(Team), via=Team
                    )
                    .where(TrainingJob.status == "running")
                    .group_by(Team.name)
                ).all()
            )
            queued = s.scalars(
                self.c.scoped(select(TrainingJob).join(Team), via=Team)
                .where(TrainingJob.status == "queued", TrainingJob.hardware == hardware)
                .order_by(TrainingJob.id)
            ).all()
            eligible = [j for j in queued if running.get(j.team.name, 0) < limit]
            eligible.sort(key=lambda j: (used.get(j.team.name, (0.0,))[0], j.id))
            for job in eligible:
                taken = s.execute(
                    update(TrainingJob)
                    .where(TrainingJob.id == job.id, TrainingJob.status == "queued")
                    .values(status="running", started_at=utcnow(), worker_id=worker_id,
                            lease=secrets.token_hex(16), lease_expires_at=expires)
                )  # fmt: skip
                if taken.rowcount == 1:  # type: ignore[attr-defined]
                    return job.id
        return None

    def cancel(self, job_id: int, team: str | None = None) -> JobInfo:
        """A queued job ends at once; a running one is stopped by its runner."""
        with self.c.sessions.begin() as s:
            job = self._row(s, job_id)
            if team is not None and job.team.name != team:
                raise NotFoundError(f"no training job {job_id}")
            if job.status == "queued":
                job.status, job.finished_at, job.message = "cancelled", utcnow(), "cancelled"
            elif job.status == "running":
                job.message = "cancelling"
            return _info(job)

    def cancelling(self, job_id: int) -> bool:
        with self.c.sessions() as s:
            job = self._row(s, job_id)
            return job.status == "running" and job.message == "cancelling"

    def requeue(self, job_id: int, why: str) -> None:
        """Its runner died: the job runs again from the start, nothing billed for the loss
        (one the team was cancelling ends cancelled instead, unbilled)."""
        running = (TrainingJob.id == job_id, TrainingJob.status == "running")
        with self.c.sessions.begin() as s:
            s.execute(
                update(TrainingJob)
                .where(*running, TrainingJob.message == "cancelling")
                .values(status="cancelled", finished_at=utcnow(), lease=None,
                        message="cancelled by the team (its runner stopped first: nothing "
                        "billed)", lease_expires_at=None)
            )  # fmt: skip
            s.execute(
                update(TrainingJob)
                .where(TrainingJob.id == job_id, TrainingJob.status == "running")
                .values(status="queued", worker_id=None, lease=None, message=why,
                        dispatched_at=None, lease_expires_at=None)
            )  # fmt: skip

    def finish(self, job_id: int, result: TrainingResult) -> bool:
        """Bill the job and end it, once; False when it had ended (or was requeued) already."""
        with self.c.sessions.begin() as s:
            ended = s.execute(
                update(TrainingJob)
                .where(TrainingJob.id == job_id, TrainingJob.status == "running")
                .values(status=result.status, message=result.message, finished_at=utcnow(),
                        cpu_seconds=result.cpu_seconds, gpu_seconds=result.gpu_seconds,
                        energy_joules=result.energy_joules, wall_seconds=result.wall_seconds,
                        artifact_bytes=result.artifact_bytes, lease=None)
            )  # fmt: skip
            return bool(ended.rowcount == 1)  # type: ignore[attr-defined]

    # -- running here --------------------------------------------------------------------
    @property
    def _group_prefix(self) -> str:
        digest = hashlib.sha256(str(self.c.root).encode()).hexdigest()[:10]
        return f"podiumjob-{digest}-"

    def recover_interrupted(self) -> list[int]:
        """What a stopped server left: its jobs' sandboxes are killed and the jobs queued
        again (never billed for the lost run: billing happens only when a job ends)."""
        from podium.harness.evaluate import clean_up_interrupted

        clean_up_interrupted(self.c.layout.artifacts_dir / "jobwork", self._group_prefix)
        with self.c.sessions() as s:
            lost = list(
                s.scalars(
                    self.c.scoped(select(TrainingJob.id).join(Team), via=Team).where(
                        TrainingJob.status == "running", TrainingJob.worker_id.is_(None)
                    )
                )
            )
        for job_id in lost:
            self.requeue(job_id, "the server stopped during this job; it runs again")
        return lost

    def run_next(self, runner: Runner, control: JobControl) -> JobInfo | None:
        """Take the next job of the server's own label and run it here, to its end."""
        job_id = self.claim_next(self.c.spec.hardware)
        if job_id is None:
            return None
        self.run_claimed(job_id, runner, control)
        return self.get(job_id)

    def run_claimed(self, job_id: int, runner: Runner, control: JobControl) -> None:
        from podium.harness.training import run_training

        with self._unpacked(job_id) as (folder, command):
            budget = self.budget(self.get(job_id).team)
            left = budget.cpu_hours.left
            request = self._request(job_id, folder, command, None if left is None else left * HOUR)
            try:
                result = run_training(
                    request, runner, control, cancelled=lambda: self.cancelling(job_id)
                )
            except Exception as err:  # the platform's fault: nothing billed, it runs again
                self.requeue(job_id, f"the runner failed ({type(err).__name__}: {err}); retried")
                raise
        if result.status == "interrupted":  # the server stops: the job runs again, unbilled
            self.requeue(job_id, result.message or "interrupted")
            return
        self.finish(job_id, result)

    @contextmanager
    def _unpacked(self, job_id: int) -> Iterator[tuple[Path, str]]:
        from podium.submission.archive import unpack
        from podium.submission.manifest import load_job_command

        scratch = self.folder(job_id) / "unpacked"
        shutil.rmtree(scratch, ignore_errors=True)
        try:
            folder = unpack(self.folder(job_id) / "job.archive", scratch)
            os.chmod(scratch, 0o755)
            yield folder, load_job_command(folder)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def _request(self, job_id: int, folder: Path, command: str, cpu_left: float | None) -> Any:
        from podium.harness.training import training_request

        return training_request(
            self.c.spec.sandbox,
            self.c.spec.jobs,
            name=f"{self._group_prefix}{job_id}",
            command=command,
            folder=folder,
            public_dir=self.c.layout.public_dir,
            log_path=self.log_path(job_id),
            artifact_path=self.artifact_path(job_id),
            workspace=self.c.layout.artifacts_dir / "jobwork" / str(job_id),
            cpu_seconds_left=cpu_left,
        )
