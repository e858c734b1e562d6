"""Training jobs on `podium worker` machines, by the same means as evaluation runs: a wake-up
goes to the label's Celery queue, an idle worker claims the next job fairly (the queue's order
is the server's, `Jobs.claim_next`: least-used team first, `max_concurrent_jobs` across every
machine), holds it by a lease it renews, streams the log as it grows, and reports what the job
used with its output folder. A lease that expires (the machine died) puts the job back in the
queue, unbilled: only the attempt that ends is billed, in the transaction that ends it.
"""

from __future__ import annotations

import hashlib
import json
import math
import secrets
import shutil
import tarfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from podium.core.errors import NotFoundError, PodiumError, RuleError
from podium.rules.access import Principal
from podium.service.context import Competition
from podium.service.jobs import ENDED, HOUR, Jobs
from podium.service.workers import Workers, aware
from podium.store.models import Team, TrainingJob, utcnow

if TYPE_CHECKING:
    from podium.harness.training import TrainingResult

MAX_CHUNK = 48 * 1024  # log bytes per heartbeat: a small body (web/middleware.py)
REPORTED = (*ENDED, "interrupted")


@dataclass(frozen=True)
class JobLease:
    """What a worker needs to run one claimed job (never a sealed file)."""

    job_id: int
    lease: str
    expires_at: datetime
    archive_sha256: str
    public_sha256: str
    command: str
    cpu_seconds_left: float | None
    heartbeat_seconds: float
    sandbox: dict[str, Any]
    jobs: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "expires_at": self.expires_at.isoformat()}


class JobLeases:
    """Claims, heartbeats with the log, a held job's archive, the public data, the report,
    the reaper, and what the dispatcher sends."""

    def __init__(self, competition: Competition, jobs: Jobs, workers: Workers) -> None:
        self.c, self.jobs, self.workers = competition, jobs, workers

    # -- what goes to the broker ---------------------------------------------------------
    def undispatched(self) -> list[tuple[int, str]]:
        """(job, label) of queued jobs no wake-up went out for since they were queued, or
        long ago (a lost message, or one a busy worker let go)."""
        stale = utcnow() - timedelta(seconds=self.c.spec.workers.redispatch_seconds)
        with self.c.sessions() as s:
            query = self.c.scoped(
                select(TrainingJob.id, TrainingJob.hardware).join(Team), via=Team
            ).where(
                TrainingJob.status == "queued",
                TrainingJob.dispatched_at.is_(None) | (TrainingJob.dispatched_at < stale),
            )
            return [(row[0], row[1]) for row in s.execute(query.order_by(TrainingJob.id))]

    def dispatched(self, job_id: int) -> None:
        with self.c.sessions.begin() as s:
            s.execute(update(TrainingJob).where(TrainingJob.id == job_id)
                      .values(dispatched_at=utcnow()))  # fmt: skip

    def _wake_queued(self, s: Any, hardware: str) -> None:
        """A job ended or was lost: the queued ones of its label are sent again now (a
        wake-up a busy worker let go is not lost)."""
        ids = select(TrainingJob.id).join(Team).where(Team.competition_id == self.c.id)
        s.execute(update(TrainingJob)
                  .where(TrainingJob.status == "queued", TrainingJob.hardware == hardware,
                         TrainingJob.id.in_(ids))
                  .values(dispatched_at=None))  # fmt: skip

    # -- a worker's side -----------------------------------------------------------------
    def claim(self, who: Principal) -> JobLease | None:
        """The next job of this worker's label, fairly, or None when no team may start one."""
        worker = self.workers.row(who)
        expires = utcnow() + timedelta(seconds=self.c.spec.workers.lease_seconds)
        job_id = self.jobs.claim_next(worker.hardware, worker_id=worker.id, expires=expires)
        if job_id is None:
            return None
        with self.c.sessions() as s:
            job = s.get_one(TrainingJob, job_id)
            lease, sha, command, team = job.lease or "", job.sha256, job.command, job.team.name
        self._open_log(job_id, lease)
        left = self.jobs.budget(team).cpu_hours.left
        spec = self.c.spec
        return JobLease(
            job_id=job_id,
            lease=lease,
            expires_at=expires,
            archive_sha256=sha,
            public_sha256=self.public()[1],
            command=command,
            cpu_seconds_left=None if left is None else left * HOUR,
            heartbeat_seconds=spec.workers.heartbeat_seconds,
            sandbox=spec.sandbox.model_dump(mode="json"),
            jobs=spec.jobs.model_dump(mode="json"),
        )

    def renew(
        self, who: Principal, job_id: int, lease: str, offset: int, chunk: bytes
    ) -> dict[str, Any]:
        """A heartbeat, with the log's next bytes (from `offset` of this attempt's log):
        the lease runs on; the answer says whether the team cancelled and which byte the
        server wants next. RuleError when the lease was lost."""
        expires = utcnow() + timedelta(seconds=self.c.spec.workers.lease_seconds)
        with self.c.sessions.begin() as s:
            job = self._held(s, who, job_id, lease)
            job.lease_expires_at = expires
            cancelling = job.message == "cancelling"
        wanted = self._append_log(job_id, lease, offset, chunk[:MAX_CHUNK])
        return {"expires_at": expires.isoformat(), "cancel": cancelling, "log_offset": wanted}

    def archive(self, who: Principal, job_id: int, lease: str) -> Path:
        with self.c.sessions() as s:
            self._held(s, who, job_id, lease)
        path = self.jobs.folder(job_id) / "job.archive"
        if not path.is_file():
            raise NotFoundError("the stored job archive is missing", where=str(path))
        return path

    def public(self) -> tuple[Path, str]:
        """The public training data as one tar, built once per content (a stamp of names,
        sizes and times: the folder is only ever replaced whole), and its name."""
        folder = self.c.layout.public_dir
        files = sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []
        stamp = hashlib.sha256()
        for path in files:
            info = path.stat()
            stamp.update(
                f"{path.relative_to(folder)}\0{info.st_size}\0{info.st_mtime_ns}\n".encode()
            )
        sha = stamp.hexdigest()
        target = self.c.layout.artifacts_dir / "public" / f"{sha}.tar"
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(f".{secrets.token_hex(4)}.part")
            with tarfile.open(partial, "w") as tar:
                for path in files:
                    tar.add(path, arcname=str(path.relative_to(folder)))
            partial.rename(target)
        return target, sha

    def report(
        self, who: Principal, job_id: int, lease: str, facts: dict[str, Any],
        log: Path | None, artifact: Path | None,
    ) -> str:  # fmt: skip
        """The end of an attempt: billed and ended once, or (the worker stopping) queued
        again unbilled. RuleError without the lease (a late report changes nothing)."""
        result = _result(facts)
        with self.c.sessions() as s:
            self._held(s, who, job_id, lease)
        if log is not None:
            self._close_log(job_id, lease, log)
        if result.status == "interrupted":
            self._requeue(job_id, result.message or "its worker stopped; it runs again")
            return "queued"
        if artifact is not None:
            shutil.move(artifact, self.jobs.artifact_path(job_id))
            result.artifact_bytes = self.jobs.artifact_path(job_id).stat().st_size
        with self.c.sessions.begin() as s:
            ended = s.execute(
                update(TrainingJob)
                .where(TrainingJob.id == job_id, TrainingJob.status == "running",
                       TrainingJob.lease == lease)
                .values(status=result.status, message=result.message, finished_at=utcnow(),
                        cpu_seconds=result.cpu_seconds, gpu_seconds=result.gpu_seconds,
                        energy_joules=result.energy_joules, wall_seconds=result.wall_seconds,
                        artifact_bytes=result.artifact_bytes, lease=None)
            )  # fmt: skip
            if ended.rowcount != 1:  # type: ignore[attr-defined]
                raise RuleError(f"job {job_id} ended already; this report is not billed")
            self._wake_queued(s, s.get_one(TrainingJob, job_id).hardware)
        return result.status

    def reap(self) -> list[int]:
        """Jobs whose worker went silent (its lease expired): queued again, unbilled."""
        with self.c.sessions() as s:
            lost = list(s.scalars(
                self.c.scoped(select(TrainingJob.id).join(Team), via=Team).where(
                    TrainingJob.status == "running", TrainingJob.worker_id.is_not(None),
                    TrainingJob.lease_expires_at < utcnow())
            ))  # fmt: skip
        for job_id in lost:
            self._requeue(job_id, "its worker stopped answering (the lease expired); it runs again")
        return lost

    # -- inside --------------------------------------------------------------------------
    def _requeue(self, job_id: int, why: str) -> None:
        self.jobs.requeue(job_id, why)
        with self.c.sessions.begin() as s:
            self._wake_queued(s, s.get_one(TrainingJob, job_id).hardware)

    def _held(self, s: Any, who: Principal, job_id: int, lease: str) -> TrainingJob:
        job = s.get(TrainingJob, job_id)
        worker_id = self.workers.id_of(s, who)
        if job is None or job.team.competition_id != self.c.id:
            raise NotFoundError(f"no training job {job_id}")
        if job.status != "running" or job.worker_id != worker_id or job.lease is None:
            raise RuleError(f"job {job_id} is not held by this worker (it is {job.status})")
        if not secrets.compare_digest(job.lease, lease):
            raise RuleError(f"the lease of job {job_id} is another one (a late attempt)")
        if job.lease_expires_at is not None and aware(job.lease_expires_at) < utcnow():
            raise RuleError(f"the lease of job {job_id} expired; the job runs again")
        return job  # type: ignore[no-any-return]

    # -- the log: one file, each attempt after the last --------------------------------------
    def _attempt(self, job_id: int) -> Path:
        return self.jobs.folder(job_id) / "attempt.json"

    def _open_log(self, job_id: int, lease: str) -> None:
        """A new attempt writes after what the lost ones wrote, under a line saying so."""
        path = self.jobs.log_path(job_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_file() and path.stat().st_size:
            with path.open("ab") as out:
                out.write(
                    b"\n--- podium: the job's worker was lost or stopped; it runs again from the start ---\n"
                )
        else:
            path.write_bytes(b"")
        base = path.stat().st_size
        self._attempt(job_id).write_text(json.dumps({"lease": lease, "base": base}))

    def _base(self, job_id: int, lease: str) -> int | None:
        try:
            attempt = json.loads(self._attempt(job_id).read_text())
        except (OSError, ValueError):
            return None
        return int(attempt["base"]) if attempt.get("lease") == lease else None

    def _append_log(self, job_id: int, lease: str, offset: int, chunk: bytes) -> int:
        """Append the bytes that come next (a repeated or early chunk is not written);
        the offset in this attempt's log the server wants next."""
        base, path = self._base(job_id, lease), self.jobs.log_path(job_id)
        if base is None:
            return 0
        have = path.stat().st_size - base
        limit = self.c.spec.sandbox.max_log_bytes
        if offset == have and chunk and have < limit:
            with path.open("ab") as out:
                out.write(chunk[: limit - have])
            have = path.stat().st_size - base
        return have

    def _close_log(self, job_id: int, lease: str, log: Path) -> None:
        """The attempt's whole log, as the worker kept it, in place of the streamed one."""
        base, path = self._base(job_id, lease), self.jobs.log_path(job_id)
        if base is None:
            return
        with path.open("r+b") as out, log.open("rb") as src:
            out.seek(base)
            out.truncate()
            out.write(src.read(self.c.spec.sandbox.max_log_bytes))


def _result(facts: dict[str, Any]) -> TrainingResult:
    """A worker's report, checked: a known ending, finite figures, a bounded message."""
    from podium.harness.training import TrainingResult

    status = facts.get("status")
    if status not in REPORTED:
        raise PodiumError(f"a worker reported job status {str(status)[:40]!r}")

    def number(name: str, optional: bool = True) -> float | None:
        value = facts.get(name)
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise PodiumError(f"a worker reported {name} = {str(value)[:80]!r}")
        if not math.isfinite(value) or not 0 <= value < 1e12:
            raise PodiumError(f"a worker reported {name} = {value!r}")
        return float(value)

    message = facts.get("message")
    return TrainingResult(
        status=str(status),
        message=str(message)[:2000] if message is not None else None,
        cpu_seconds=number("cpu_seconds", optional=False) or 0.0,
        wall_seconds=number("wall_seconds", optional=False) or 0.0,
        gpu_seconds=number("gpu_seconds"),
        energy_joules=number("energy_joules"),
        artifact_bytes=0,
        log_tail=str(facts.get("log_tail", ""))[-8000:],
    )
