"""`podium worker`: take a label's runs from the broker, one at a time, and for each fetch
the archive and the sealed inputs (cached by sha256), run the same harness as the server
(sandbox, cgroups, repeats) and report predictions, measurements, log and fingerprint.
Nothing here ever sees a label: the server scores. Training jobs of the label run beside,
one at a time, held while an evaluation runs (worker/training.py)."""

from __future__ import annotations

import fcntl
import hashlib
import logging
import secrets
import shutil
import socket
import tarfile
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from podium.config.spec import SandboxSpec
from podium.core.digest import sha256_file
from podium.core.errors import PlatformError, PodiumError
from podium.harness.environments import EnvironmentStore, Recipe
from podium.harness.evaluate import EvaluationResult, clean_up_interrupted, evaluate, job_for
from podium.harness.fingerprint import machine_fingerprint
from podium.harness.runners import create_runner
from podium.worker.broker import REMEASURE, TASK, TRAIN, make_app
from podium.worker.client import LeaseLost, ServerClient
from podium.worker.training import Trainer

log = logging.getLogger("podium.worker")
Say = Callable[[str], None]
MAX_PREDICTION_FILES = 1000  # the server reads at most 2000 parts of one report
PART_BYTES = 512  # a multipart part's boundary and headers, with room to spare
STOP_SECONDS = 60.0  # a stopping worker waits this long for its job to report itself
BUSY_RETRY_SECONDS = 5.0  # a wake-up a busy worker got goes back to the queue this late


class Cache:
    """Archives and sealed inputs kept by content, so a worker fetches each once."""

    def __init__(self, root: Path) -> None:
        self.root = root
        for folder in ("archives", "inputs", "runs"):
            (root / folder).mkdir(parents=True, exist_ok=True)
        self._lock = (root / "worker.lock").open("w")
        try:  # held while the worker lives: a second worker would sweep this one's runs
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            raise PodiumError(
                "another podium worker uses this cache folder",
                where=str(root),
                hint="give each worker on a machine its own --cache",
            ) from None

    @property
    def prefix(self) -> str:
        """Names this worker's control groups: two workers on one machine never sweep each
        other's runs."""
        return f"podium-worker-{hashlib.sha256(str(self.root.resolve()).encode()).hexdigest()[:8]}-"

    def archive(self, client: ServerClient, lease: dict[str, Any]) -> Path:
        sha = _hex(lease["archive_sha256"])
        target = self.root / "archives" / sha
        if not target.is_file():
            client.download(f"/api/worker/runs/{lease['run_id']}/archive", target, lease["lease"])
        if sha256_file(target) != sha:
            target.unlink()
            raise PlatformError("the downloaded archive does not match its sha256")
        return target

    def inputs(self, client: ServerClient, split: str, sha: str) -> Path:
        folder = self.root / "inputs" / _hex(sha)
        if folder.is_dir():
            return folder
        tar_path = self.root / "inputs" / f"{_hex(sha)}.tar"
        client.download(f"/api/worker/inputs/{split}", tar_path)
        unpacking = folder.with_name(folder.name + f".{secrets.token_hex(4)}")
        with tarfile.open(tar_path) as tar:
            tar.extractall(unpacking, filter="data")
        unpacking.rename(folder)
        tar_path.unlink()
        return folder


class Heartbeat:
    """Renews a run's lease every `every` seconds while the harness works."""

    def __init__(self, client: ServerClient, run_id: int, lease: str, every: float) -> None:
        self.client, self.run_id, self.lease, self.every = client, run_id, lease, every
        self.lost: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="podium-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=self.every + 5)

    def _beat(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.client.heartbeat(self.run_id, self.lease)
            except LeaseLost as err:
                self.lost = err.message
                log.warning("run %s: %s", self.run_id, err.message)
                return
            except PodiumError as err:  # the server is away: keep trying until the lease ends
                log.warning("run %s: heartbeat failed: %s", self.run_id, err.message)


def evaluate_claimed(
    client: ServerClient, cache: Cache, lease: dict[str, Any], say: Say
) -> dict[str, Any]:
    """Run one claimed submission here and report it; the server's answer."""
    run_id, token = int(lease["run_id"]), str(lease["lease"])
    run_dir = cache.root / "runs" / str(run_id)
    shutil.rmtree(run_dir, ignore_errors=True)
    try:
        with Heartbeat(client, run_id, token, float(lease["heartbeat_seconds"])):
            report, predictions = _run(client, cache, lease, run_dir, say)
        try:
            return client.report(run_id, token, report, run_dir / "log.txt", predictions)
        except (LeaseLost, PlatformError):
            raise  # lost, or the server is away: its reaper ends the run
        except PodiumError as err:  # refused: say so now rather than be reaped as lost
            return client.report(run_id, token, _platform_report(err), None, {})
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


def _run(
    client: ServerClient, cache: Cache, lease: dict[str, Any], run_dir: Path, say: Say
) -> tuple[dict[str, Any], dict[str, Path]]:
    try:
        archive = cache.archive(client, lease)
        inputs = cache.inputs(client, str(lease["split"]), str(lease["inputs_sha256"]))
        sandbox = SandboxSpec.model_validate(lease["sandbox"])
        name = f"{cache.prefix}run{lease['run_id']}-{secrets.token_hex(3)}"
        job = job_for(
            sandbox,
            repeats=int(lease["repeats"]),
            archive=archive.read_bytes(),
            inputs_dir=inputs,
            labels_dir=None,
            expected=[],
            tasks={},
            run_dir=run_dir,
            runner=create_runner(sandbox.runner),
            workspace=cache.root / "work" / name,
            name=name,
            idle_seconds=float(lease["idle_seconds"]),
            environments=EnvironmentStore(cache.root / "environments"),
            named_environments={
                str(name): Recipe(str(r["requirements"]), r.get("python"), f"environment {name!r}")
                for name, r in dict(lease.get("environments") or {}).items()
            },
        )
        result = evaluate(job, say)
    except Exception as err:  # the machine's fault, never the team's: the server retries
        return _platform_report(err), {}
    folder = run_dir / "predictions"
    predictions = (
        {p.relative_to(folder).as_posix(): p for p in folder.rglob("*") if p.is_file()}
        if result.status == "scored"
        else {}
    )
    too_much = _unsendable(predictions, run_dir / "log.txt", sandbox.max_upload_bytes)
    if too_much:  # the team's outputs: its failure, never a report the server refuses
        result = replace(result, status="failed", error=too_much)
        predictions = {}
    return _report(result), predictions


def _unsendable(predictions: dict[str, Path], log: Path, max_bytes: int) -> str | None:
    """Why these predictions cannot reach the server in one report (its upload limit,
    its count of parts), or None."""
    if len(predictions) > MAX_PREDICTION_FILES:
        return (
            f"the output folder holds {len(predictions)} files; a worker sends at most "
            f"{MAX_PREDICTION_FILES} (one {{task}}/{{lang}}.jsonl per input file)"
        )
    size = sum(p.stat().st_size + PART_BYTES + len(n) for n, p in predictions.items())
    log_size = log.stat().st_size if log.is_file() else 0
    if predictions and size + log_size + 64 * 1024 > max_bytes:
        return (
            f"the predictions take {size / 2**20:.1f} MiB; a worker's report holds at most "
            f"{(max_bytes - log_size) / 2**20:.1f} MiB of them ([sandbox] max_upload_bytes)"
        )
    return None


def _report(result: EvaluationResult) -> dict[str, Any]:
    return {
        "status": "produced" if result.status == "scored" else "failed",
        "error": result.error,
        "log_tail": result.log_tail,
        "harness_seconds": result.harness_seconds,
        "enforcement": result.enforcement,
        "measurements": [m.__dict__ for m in result.measurements],
    }


def _platform_report(err: Exception) -> dict[str, Any]:
    message = err.message if isinstance(err, PodiumError) else f"{type(err).__name__}: {err}"
    return {"status": "platform_error", "error": message, "log_tail": "", "harness_seconds": 0.0,
            "enforcement": {}, "measurements": []}  # fmt: skip


def _hex(value: str) -> str:
    """A sha256 from the server used as a file name: hex only, or refused."""
    if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
        raise PlatformError(f"the server sent a malformed sha256 {value[:80]!r}")
    return value


def start_worker(
    server: str, token: str, hardware: str, *, broker: str | None, cache_dir: Path, say: Say
) -> None:
    """Say hello (fingerprint, label), then consume the label's queue until stopped."""
    client = ServerClient(server, token)
    hello = client.hello(hardware, machine_fingerprint(""))
    worker, queue, own = hello["worker"], str(hello["queue"]), str(hello["own_queue"])
    broker = broker or hello.get("broker")
    if not broker:
        raise PodiumError("no broker: the server has none configured", hint="--broker redis://…")
    if not worker["alike"]:
        say(f"this machine differs from the first worker of {hardware!r} in "
            f"{', '.join(worker['differs'])}: its runs will not be compared")  # fmt: skip
    cache = Cache(cache_dir)
    for left in clean_up_interrupted(cache.root / "work", cache.prefix):
        say(f"cleaned up after an interrupted run: {left}")
    app = make_app(broker)
    trainer = Trainer(client, cache.root, cache.prefix, say)  # jobs beside, held by evaluation

    def run(lease: dict[str, Any] | None, what: str) -> None:
        if lease is None:
            say(f"{what} is no longer waiting (done or taken): skipped")
            return
        say(f"run {lease['run_id']} of submission {lease['submission_id']}")
        try:
            with trainer.control.hold():  # evaluation keeps priority over a training job
                answer = evaluate_claimed(client, cache, lease, say)
        except LeaseLost as err:  # reaped meanwhile: the server ignores this result
            say(f"run {lease['run_id']}: {err.message}")
            return
        say(f"run {lease['run_id']}: {answer.get('status')}")

    @app.task(name=TASK, acks_late=True, bind=True, max_retries=None)  # type: ignore[untyped-decorator]
    def evaluate_task(task: Any, submission_id: int) -> None:
        run(claim(task, submission_id=int(submission_id)), f"submission {submission_id}")

    @app.task(name=REMEASURE, acks_late=True, bind=True, max_retries=None)  # type: ignore[untyped-decorator]
    def remeasure_task(task: Any, run_id: int) -> None:
        run(claim(task, run_id=int(run_id)), f"re-measurement run {run_id}")

    @app.task(name=TRAIN, acks_late=True, bind=True, max_retries=None)  # type: ignore[untyped-decorator]
    def train_task(task: Any, job_id: int) -> None:
        try:
            taken = trainer.wake()
        except PodiumError as err:  # the server away, or refusing: it sends the job again
            say(f"cannot claim a training job: {err.message}")
            return
        if not taken:  # busy with one: back to the queue, where an idle machine may take it
            raise task.retry(countdown=BUSY_RETRY_SECONDS)

    def claim(task: Any, **which: int) -> dict[str, Any] | None:
        """The server away is no reason to drop a task: it goes back to the broker."""
        try:
            return client.claim(**which)
        except PlatformError as err:
            say(f"cannot claim {which}: {err.message}; trying again in 10 s")
            raise task.retry(countdown=10) from None

    say(f"worker {worker['name']!r} ({hardware}) consumes {queue} on {_redacted(broker)}")
    node = f"{worker['name']}-{hashlib.sha256(socket.gethostname().encode()).hexdigest()[:6]}"
    try:
        app.Worker(
            queues=[queue, own], pool="solo", concurrency=1, hostname=f"{node}@%h",
            loglevel="WARNING", without_gossip=True, without_mingle=True, without_heartbeat=True,
            quiet=True,
        ).start()  # fmt: skip
    finally:  # a running job reports itself interrupted: queued again at once, unbilled
        trainer.stop(wait=STOP_SECONDS)


def _redacted(url: str) -> str:
    """A broker URL without its password, for logs."""
    if "@" not in url:
        return url
    scheme, _, rest = url.partition("://")
    return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"
