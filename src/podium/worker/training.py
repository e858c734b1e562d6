"""Training jobs on a `podium worker`: at most one at a time, in a thread beside the Celery
task loop, so evaluation tasks keep coming while a job runs; each evaluation holds the job
(every process of its control group stopped) until it ends. A wake-up from the broker claims
the next job of the label from the server (fairly, there), and the job runs in the same
sandbox as on the server, on the public data only, metered from its cgroup against what the
team had left. Its lease is renewed with the log's next bytes, so `podium job logs --follow`
on the server sees the log grow; the ending is reported with the output folder."""

from __future__ import annotations

import logging
import secrets
import shutil
import tarfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from podium.config.spec import JobsSpec, SandboxSpec
from podium.core.digest import sha256_file
from podium.core.errors import PlatformError, PodiumError
from podium.harness.runners import create_runner
from podium.harness.training import JobControl, TrainingResult, run_training, training_request
from podium.worker.client import LeaseLost, ServerClient

log = logging.getLogger("podium.worker")
Say = Callable[[str], None]
CHUNK = 48 * 1024  # log bytes per heartbeat (the server's small-body limit is 64 KiB)


class Trainer:
    """The worker's one training slot and the control every evaluation holds it by."""

    def __init__(self, client: ServerClient, root: Path, prefix: str, say: Say) -> None:
        self.client, self.root, self.prefix, self.say = client, root, prefix, say
        self.control = JobControl()
        self._slot = threading.Lock()
        self._thread: threading.Thread | None = None

    def wake(self) -> bool:
        """A job waits on this label: claim the next one and start it; False when one runs
        here already (the wake-up goes back to the queue, for another machine)."""
        if not self._slot.acquire(blocking=False):
            return False
        try:
            lease = self.client.claim_job()
        except BaseException:
            self._slot.release()
            raise
        if lease is None:
            self._slot.release()
            self.say("no training job may start now (taken, or its team runs its limit)")
            return True
        self.control.cancelled.clear()
        self._thread = threading.Thread(
            target=self._run, args=(lease,), name="podium-training", daemon=True
        )
        self._thread.start()
        return True

    def stop(self, wait: float) -> None:
        """The worker stops: a running job ends as interrupted (queued again, unbilled)."""
        self.control.shutdown.set()
        if self._thread is not None:
            self._thread.join(wait)

    def _run(self, lease: dict[str, Any]) -> None:
        try:
            self.say(f"training job {lease['job_id']}")
            status = run_job(self.client, self.root, self.prefix, lease, self.control)
            self.say(f"training job {lease['job_id']}: {status}")
        except LeaseLost as err:
            self.say(f"training job {lease['job_id']}: {err.message}")
        except PodiumError as err:  # the server is away: its reaper queues the job again
            self.say(f"training job {lease['job_id']}: {err.message}")
        except Exception:
            log.exception("training job %s failed", lease.get("job_id"))
        finally:
            self._slot.release()


def run_job(
    client: ServerClient, root: Path, prefix: str, lease: dict[str, Any], control: JobControl
) -> str:
    """Run one claimed job here and report it; the status the server recorded."""
    job_id, token = int(lease["job_id"]), str(lease["lease"])
    folder = root / "jobs" / str(job_id)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    log_path, artifact = folder / "log.txt", folder / "output.tar.gz"
    log_path.write_bytes(b"")
    try:
        with LogStream(client, job_id, token, log_path, float(lease["heartbeat_seconds"]),
                       control):  # fmt: skip
            try:
                report = _train(client, root, prefix, lease, folder, control)
            except Exception as err:  # the machine's fault: the job runs again, unbilled
                message = (
                    err.message if isinstance(err, PodiumError) else f"{type(err).__name__}: {err}"
                )
                report = {"status": "interrupted", "message": f"the worker failed: {message}"}
        sendable = artifact.is_file() and artifact.stat().st_size <= _upload_limit(lease)
        if artifact.is_file() and not sendable:
            report |= {"status": "failed", "message": "its output folder is larger than the "
                       "server accepts ([sandbox] max_upload_bytes)"}  # fmt: skip
        answer = client.job_report(job_id, token, report, log_path, artifact if sendable else None)
        return str(answer.get("status"))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _upload_limit(lease: dict[str, Any]) -> int:
    return int(SandboxSpec.model_validate(lease["sandbox"]).max_upload_bytes)


def _train(
    client: ServerClient, root: Path, prefix: str, lease: dict[str, Any], folder: Path,
    control: JobControl,
) -> dict[str, Any]:  # fmt: skip
    from podium.submission.archive import unpack

    job_id = int(lease["job_id"])
    archive = _fetch_archive(client, root, lease)
    public = _fetch_public(client, root, str(lease["public_sha256"]))
    unpacked = unpack(archive, folder / "unpacked")
    (folder / "unpacked").chmod(0o755)
    sandbox = SandboxSpec.model_validate(lease["sandbox"])
    name = f"{prefix}job{job_id}-{secrets.token_hex(3)}"
    left = lease.get("cpu_seconds_left")
    request = training_request(
        sandbox,
        JobsSpec.model_validate(lease["jobs"]),
        name=name,
        command=str(lease["command"]),
        folder=unpacked,
        public_dir=public,
        log_path=folder / "log.txt",
        artifact_path=folder / "output.tar.gz",
        workspace=root / "work" / name,
        cpu_seconds_left=None if left is None else float(left),
    )
    while control.paused.is_set() and not control.shutdown.is_set():  # no start mid-evaluation
        control.shutdown.wait(0.05)
    return _facts(run_training(request, create_runner(sandbox.runner), control))


def _facts(result: TrainingResult) -> dict[str, Any]:
    return {
        "status": result.status,
        "message": result.message,
        "cpu_seconds": result.cpu_seconds,
        "wall_seconds": result.wall_seconds,
        "gpu_seconds": result.gpu_seconds,
        "energy_joules": result.energy_joules,
    }


def _hex(value: str) -> str:
    if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
        raise PlatformError(f"the server sent a malformed sha256 {value[:80]!r}")
    return value


def _fetch_archive(client: ServerClient, root: Path, lease: dict[str, Any]) -> Path:
    sha = _hex(str(lease["archive_sha256"]))
    target = root / "archives" / sha
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.is_file():
        path = f"/api/worker/jobs/{lease['job_id']}/archive"
        client.download(path, target, str(lease["lease"]))
    if sha256_file(target) != sha:
        target.unlink()
        raise PlatformError("the downloaded job archive does not match its sha256")
    return target


def _fetch_public(client: ServerClient, root: Path, stamp: str) -> Path:
    """The public data, unpacked once per content (its stamp names the folder)."""
    folder = root / "public" / _hex(stamp)
    if folder.is_dir():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    tar_path = folder.with_suffix(".tar")
    client.download("/api/worker/public", tar_path)
    unpacking = folder.with_name(f"{folder.name}.{secrets.token_hex(4)}")
    with tarfile.open(tar_path) as tar:
        tar.extractall(unpacking, filter="data")
    unpacking.chmod(0o755)
    unpacking.rename(folder)
    tar_path.unlink()
    return folder


class LogStream:
    """Beside a running job: every `every` seconds, renew the lease and send the log's next
    bytes; stop the job when the team cancelled it, or when the lease was lost."""

    def __init__(
        self, client: ServerClient, job_id: int, lease: str, log_path: Path, every: float,
        control: JobControl,
    ) -> None:  # fmt: skip
        self.client, self.job_id, self.lease = client, job_id, lease
        self.log_path, self.every, self.control = log_path, every, control
        self.offset = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="podium-job-log", daemon=True)

    def __enter__(self) -> LogStream:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=self.every + 5)

    def _beat(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self._send()
            except LeaseLost as err:  # reaped: whatever runs is another attempt's now
                log.warning("job %s: %s", self.job_id, err.message)
                self.control.cancelled.set()
                return
            except PodiumError as err:  # the server is away: keep trying until the lease ends
                log.warning("job %s: heartbeat failed: %s", self.job_id, err.message)

    def _send(self) -> None:
        with self.log_path.open("rb") as handle:
            handle.seek(self.offset)
            chunk = handle.read(CHUNK)
        answer = self.client.job_heartbeat(self.job_id, self.lease, self.offset, chunk)
        self.offset = int(answer.get("log_offset", self.offset))
        if answer.get("cancel"):
            self.control.cancelled.set()
