"""Training jobs: billed from the cgroup, stopped at the budget, blind to sealed files, and
never ahead of an evaluation. Real sandbox, real cgroups, real store."""

from __future__ import annotations

import json
import tarfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from podium.core.digest import sha256_file
from podium.core.errors import RuleError, SubmissionError
from podium.harness.training import JobControl
from podium.rules.access import Principal
from podium.service import Podium
from podium.submission.archive import pack_folder

from ..patience import wait_until
from .conftest import constant

BUDGETS = """
[reranking]
training_compute = "tiebreak"
[jobs]
max_concurrent_jobs = 1
[budget]
cpu_hours = 0.01
[budget.teams.Beta]
cpu_hours = 0.0002
"""
BETA_SECONDS = 0.0002 * 3600  # 0.72 CPU seconds

BURN = """
import os, pathlib, time
print("started", flush=True)
target = float(os.environ.get("BURN", "1e9"))
while time.process_time() < target:
    pass
out = pathlib.Path(os.environ["PODIUM_OUTPUT_DIR"])
(out / "cpu.txt").write_text(repr(time.process_time()))
"""

HUNT = """
import hashlib, json, os, pathlib, sys
root, sealed = sys.argv[1], set(sys.argv[2].split(","))
SKIP = {"proc", "sys", "dev", "usr", "lib", "lib32", "lib64", "libx32", "bin", "sbin"}
found, readable, public = [], [], []
for folder, dirs, files in os.walk("/"):
    dirs[:] = [d for d in dirs if not (folder == "/" and d in SKIP)]
    for name in files:
        path = os.path.join(folder, name)
        if path.startswith(os.environ["PODIUM_INPUT_DIR"]):
            public.append(path)
        if name.endswith(".jsonl"):
            try:
                digest = hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()
            except OSError:
                continue
            if digest in sealed:
                found.append(path)
for guess in (root + "/sealed/labels", root + "/sealed/inputs", root, "/data/sealed"):
    if os.path.exists(guess):
        readable.append(guess)
out = pathlib.Path(os.environ["PODIUM_OUTPUT_DIR"])
(out / "hunt.json").write_text(json.dumps({"found": found, "readable": readable, "public": public}))
"""


@pytest.fixture
def jobs_podium(competition_dir: Path) -> Iterator[Podium]:
    spec = competition_dir / "competition.toml"
    spec.write_text(spec.read_text() + BUDGETS)
    p = Podium.open(competition_dir)
    p.setup.add_team("Alpha", ["Ann"])
    p.setup.add_team("Beta", ["Cy"])
    p.setup.open_stage("evaluation")
    yield p
    p.close()


def job_archive(tmp_path: Path, name: str, script: str, command: str) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "podium.toml").write_text(f"[job]\ncommand = {json.dumps(command)}\n")
    (folder / "train.py").write_text(textwrap.dedent(script))
    archive = tmp_path / f"{name}.tar.gz"
    archive.write_bytes(pack_folder(folder))
    return archive


def run_one(p: Podium) -> None:
    assert p.jobs.run_next(p.evaluation.runner, JobControl()) is not None


def artifact(p: Podium, job_id: int, name: str) -> str:
    with tarfile.open(p.jobs.artifact_path(job_id)) as tar:
        member = tar.extractfile(f"./{name}")
        assert member is not None
        return member.read().decode()


def test_a_job_is_billed_the_cpu_time_it_burns(jobs_podium: Podium, tmp_path: Path) -> None:
    p = jobs_podium
    archive = job_archive(tmp_path, "burn", BURN, "BURN=2.0 python train.py")
    job_id = p.jobs.submit("Alpha", archive)
    run_one(p)
    job = p.jobs.get(job_id)
    assert job.status == "done", job.message
    burnt = float(artifact(p, job_id, "cpu.txt"))  # what the process counted for itself
    assert job.cpu_seconds is not None
    # the bill holds the whole burn, plus what the shell and the sandbox around it used: CPU
    # time, which load barely stretches (0.22 s over a 2 s burn on a machine at load 6)
    assert 0.99 * burnt <= job.cpu_seconds <= 1.5 * burnt, (job.cpu_seconds, burnt)
    budget = p.jobs.budget("Alpha")
    assert budget.cpu_hours.used * 3600 == pytest.approx(job.cpu_seconds)
    assert budget.cpu_hours.left == pytest.approx(0.01 - job.cpu_seconds / 3600)
    assert "started" in p.jobs.log_path(job_id).read_text()
    # billed once: a second ending of the same job changes nothing
    assert p.jobs.finish(job_id, _result()) is False
    assert p.jobs.get(job_id).cpu_seconds == job.cpu_seconds


def _result() -> object:
    from podium.harness.training import TrainingResult

    return TrainingResult("done", None, 99.0, 1.0, None, None, 0, "")


def test_a_job_is_stopped_at_the_budget(jobs_podium: Podium, tmp_path: Path) -> None:
    p = jobs_podium
    archive = job_archive(tmp_path, "forever", BURN, "python train.py")
    job_id = p.jobs.submit("Beta", archive)
    run_one(p)
    job = p.jobs.get(job_id)
    assert job.status == "stopped"
    assert job.message is not None and "budget" in job.message
    assert job.cpu_seconds is not None
    assert BETA_SECONDS <= job.cpu_seconds <= BETA_SECONDS * 1.25  # one poll's overshoot
    budget = p.jobs.budget("Beta")
    assert budget.cpu_hours.left == 0.0 and budget.spent == "cpu_hours"
    with pytest.raises(RuleError, match="spent its training budget"):
        p.jobs.submit("Beta", archive)
    assert p.jobs.budget("Alpha").spent is None  # the other team keeps its own


def test_a_job_hunting_for_sealed_files_finds_none(jobs_podium: Podium, tmp_path: Path) -> None:
    p = jobs_podium
    root = str(p.competition.root)
    sealed = {sha256_file(f) for f in (p.competition.root / "sealed").rglob("*.jsonl")}
    assert sealed  # what the hunt looks for: every sealed input and label, by content
    command = f"python train.py {root} {','.join(sorted(sealed))}"
    archive = job_archive(tmp_path, "hunt", HUNT, command)
    job_id = p.jobs.submit("Alpha", archive)
    run_one(p)
    assert p.jobs.get(job_id).status == "done", p.jobs.get(job_id).message
    hunt = json.loads(artifact(p, job_id, "hunt.json"))
    assert hunt["found"] == [] and hunt["readable"] == []
    assert any(path.endswith(".tsv") for path in hunt["public"])  # the public data is there
    # the next honest job runs as ever
    honest = p.jobs.submit("Alpha", job_archive(tmp_path, "b", BURN, "BURN=0.1 python train.py"))
    run_one(p)
    assert p.jobs.get(honest).status == "done"


def test_evaluation_is_not_delayed_behind_a_job(jobs_podium: Podium, tmp_path: Path) -> None:
    from podium.web.evaluator import Evaluator

    p = jobs_podium
    job_id = p.jobs.submit("Alpha", job_archive(tmp_path, "long", BURN, "python train.py"))
    evaluator = Evaluator(p.competition.root, poll=0.2)
    evaluator.start()
    try:
        log = p.jobs.log_path(job_id)
        wait_until(lambda: log.is_file() and "started" in log.read_text(), "the job runs")
        receipt = p.submissions.submit(constant(tmp_path), team="Beta", stage="evaluation")
        evaluator.notify()
        scored = wait_until(
            lambda: p.submissions.get(receipt.submission_id).status in ("scored", "failed"),
            "the evaluation ends",
        )
        assert scored
        assert p.submissions.get(receipt.submission_id).status == "scored"
        assert p.jobs.get(job_id).status == "running"  # the job waited, not the evaluation
        p.jobs.cancel(job_id, "Alpha")  # the team stops it: billed for what it used
        wait_until(lambda: p.jobs.get(job_id).status == "cancelled", "the job is cancelled")
        assert (p.jobs.get(job_id).cpu_seconds or 0) > 0
        second = p.jobs.submit("Alpha", job_archive(tmp_path, "again", BURN, "python train.py"))
        evaluator.notify()
        log = p.jobs.log_path(second)
        wait_until(lambda: log.is_file() and "started" in log.read_text(), "the next job runs")
    finally:
        evaluator.stop()  # the server stops mid-job: queued again, nothing billed
    assert p.jobs.get(second).status == "queued" and p.jobs.get(second).cpu_seconds is None


def test_jobs_are_shared_fairly_and_a_lost_one_is_billed_once(
    jobs_podium: Podium, tmp_path: Path
) -> None:
    p = jobs_podium
    archive = job_archive(tmp_path, "quick", BURN, "BURN=0.05 python train.py")
    first = p.jobs.submit("Alpha", archive)
    run_one(p)  # Alpha has used some CPU time now, Beta none
    alpha = [p.jobs.submit("Alpha", archive) for _ in range(2)]
    beta = p.jobs.submit("Beta", archive)
    assert p.jobs.claim_next("local") == beta  # the least-used team first, though later
    assert p.jobs.claim_next("local") == alpha[0]
    assert p.jobs.claim_next("local") is None  # max_concurrent_jobs = 1 for each team
    assert p.jobs.claim_next("gpu") is None  # a label of its own queue
    # the server stopped while both ran: they queue again, nothing billed for the loss
    assert sorted(p.jobs.recover_interrupted()) == sorted([beta, alpha[0]])
    assert {p.jobs.get(j).status for j in (beta, alpha[0])} == {"queued"}
    assert p.jobs.get(beta).cpu_seconds is None
    used = p.jobs.budget("Alpha").cpu_hours.used
    assert used * 3600 == pytest.approx(p.jobs.get(first).cpu_seconds or 0)


def test_a_bad_job_folder_is_refused_and_nothing_stored(
    jobs_podium: Podium, tmp_path: Path
) -> None:
    p = jobs_podium
    folder = tmp_path / "nojob"
    folder.mkdir()
    (folder / "podium.toml").write_text('[submission]\ncommand = "python predict.py"\n')
    (tmp_path / "nojob.tar.gz").write_bytes(pack_folder(folder))
    with pytest.raises(SubmissionError, match=r"no \[job\] table"):
        p.jobs.submit("Alpha", tmp_path / "nojob.tar.gz")
    (folder / "podium.toml").write_text('[job]\ncommand = "echo \\u0007 hidden"\n')
    (tmp_path / "bell.tar.gz").write_bytes(pack_folder(folder))
    with pytest.raises(SubmissionError, match="control character"):
        p.jobs.submit("Alpha", tmp_path / "bell.tar.gz")
    fine = job_archive(tmp_path, "fine", BURN, "BURN=0 python train.py")
    with pytest.raises(RuleError, match="hardware 'gpu'"):
        p.jobs.submit("Alpha", fine, hardware="gpu")
    assert p.jobs.find() == []  # nothing queued, nothing stored
    assert not (p.competition.layout.artifacts_dir / "jobs").exists()
    assert p.jobs.get(p.jobs.submit("Alpha", fine)).status == "queued"  # the next one is taken


def test_equal_scores_are_ordered_by_training_compute(jobs_podium: Podium, tmp_path: Path) -> None:
    p = jobs_podium
    p.jobs.submit("Alpha", job_archive(tmp_path, "burn", BURN, "BURN=1.5 python train.py"))
    run_one(p)
    billed = p.jobs.find("Alpha")[0].cpu_seconds or 0.0
    for team in ("Alpha", "Beta"):  # the same code: equal scores
        p.submissions.submit(constant(tmp_path, team), team=team, stage="evaluation")
    p.evaluation.evaluate_pending()
    board = p.results.leaderboard("evaluation", organizer=True)
    rows = {r.team: r for r in board.rows}
    assert rows["Alpha"].overall == rows["Beta"].overall
    assert rows["Alpha"].training_seconds == pytest.approx(billed)
    assert rows["Beta"].training_seconds == 0.0
    assert rows["Beta"].performance_place == 1
    assert any("less training compute" in why for why in rows["Beta"].reasons)


def test_jobs_on_workers_are_leased_fairly_and_a_lost_one_is_billed_once(
    jobs_podium: Podium, tmp_path: Path
) -> None:
    """The server's side of jobs on workers (service/job_leases.py); the worker's side runs
    end to end in tests/worker/test_jobs_on_workers.py."""
    from datetime import timedelta

    from sqlalchemy import update

    from podium.core.errors import PodiumError
    from podium.store.models import TrainingJob, utcnow

    p = jobs_podium
    leases = p.job_leases
    w1, w2 = (_worker(p, name) for name in ("w1", "w2"))
    archive = job_archive(tmp_path, "quick", BURN, "BURN=0.05 python train.py")
    a1, a2 = (p.jobs.submit("Alpha", archive) for _ in range(2))
    beta = p.jobs.submit("Beta", archive)
    assert [j for j, _ in leases.undispatched()] == [a1, a2, beta]
    first = leases.claim(w1)
    assert first is not None and first.job_id == a1  # equal use: the oldest
    second = leases.claim(w2)
    assert second is not None and second.job_id == beta  # Alpha runs its one already
    assert leases.claim(w1) is None  # max_concurrent_jobs holds across the machines
    assert first.cpu_seconds_left == pytest.approx(0.01 * 3600)
    # the log grows by heartbeats: a repeated chunk is not written twice
    assert leases.renew(w1, a1, first.lease, 0, b"hello ")["log_offset"] == 6
    assert leases.renew(w1, a1, first.lease, 0, b"hello ")["log_offset"] == 6
    assert leases.renew(w1, a1, first.lease, 6, b"world")["log_offset"] == 11
    for who, lease in ((w2, first.lease), (w1, second.lease)):
        with pytest.raises(RuleError):
            leases.renew(who, a1, lease, 11, b"")
    # w1 dies: its lease expires, the job queues again, nothing billed
    with p.competition.sessions.begin() as s:
        s.execute(update(TrainingJob).where(TrainingJob.id == a1)
                  .values(lease_expires_at=utcnow() - timedelta(seconds=1)))  # fmt: skip
    assert leases.reap() == [a1]
    assert p.jobs.get(a1).status == "queued" and p.jobs.get(a1).cpu_seconds is None
    with pytest.raises(RuleError):
        leases.report(w1, a1, first.lease, {"status": "done", "cpu_seconds": 9.0,
                                            "wall_seconds": 9.0}, None, None)  # fmt: skip
    done = {"status": "done", "cpu_seconds": 1.5, "wall_seconds": 2.0}
    assert leases.report(w2, beta, second.lease, done, None, None) == "done"
    with pytest.raises(RuleError):  # billed once: a second report is refused
        leases.report(w2, beta, second.lease, done, None, None)
    again = leases.claim(w2)  # the least-used team (Alpha) first, its oldest job
    assert again is not None and again.job_id == a1 and again.lease != first.lease
    log = p.jobs.log_path(a1).read_text()
    assert log.startswith("hello world") and "worker was lost" in log
    for bad in ({"status": "done", "cpu_seconds": float("nan"), "wall_seconds": 1.0},
                {"status": "scored", "cpu_seconds": 1.0, "wall_seconds": 1.0},
                {"status": "done", "cpu_seconds": -1.0, "wall_seconds": 1.0}):  # fmt: skip
        with pytest.raises(PodiumError):
            leases.report(w2, a1, again.lease, bad, None, None)
    assert p.jobs.get(a1).status == "running"  # a bad report changes nothing
    assert leases.report(w2, a1, again.lease, {**done, "cpu_seconds": 0.5}, None, None) == "done"
    assert p.jobs.budget("Alpha").cpu_hours.used * 3600 == pytest.approx(0.5)
    assert p.jobs.budget("Beta").cpu_hours.used * 3600 == pytest.approx(1.5)
    # an interrupted attempt (the worker stopped) queues again at once, unbilled
    third = leases.claim(w1)
    assert third is not None and third.job_id == a2
    stopped = {"status": "interrupted", "cpu_seconds": 0.3, "wall_seconds": 0.4}
    assert leases.report(w1, a2, third.lease, stopped, None, None) == "queued"
    assert p.jobs.get(a2).cpu_seconds is None
    assert p.jobs.budget("Alpha").cpu_hours.used * 3600 == pytest.approx(0.5)
    # a job the team cancels while its worker is lost ends cancelled, never runs again
    fourth = leases.claim(w1)
    assert fourth is not None and fourth.job_id == a2
    p.jobs.cancel(a2, "Alpha")
    assert leases.renew(w1, a2, fourth.lease, 0, b"")["cancel"] is True
    with p.competition.sessions.begin() as s:
        s.execute(update(TrainingJob).where(TrainingJob.id == a2)
                  .values(lease_expires_at=utcnow() - timedelta(seconds=1)))  # fmt: skip
    assert leases.reap() == [a2]
    assert p.jobs.get(a2).status == "cancelled" and p.jobs.get(a2).cpu_seconds is None
    assert leases.claim(w1) is None


def _worker(p: Podium, name: str) -> Principal:
    from podium.harness.fingerprint import machine_fingerprint

    token = p.tokens.create("worker", label=name)
    who = p.tokens.authenticate(token)
    assert who is not None
    p.workers.hello(who, "local", machine_fingerprint(p.competition.spec_hash))
    return who


def test_a_training_only_label_needs_a_broker_and_never_evaluates(
    competition_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = competition_dir / "competition.toml"
    spec.write_text(spec.read_text() + '[jobs]\nhardware = ["a100"]\n')
    with Podium.open(competition_dir) as p:
        p.setup.add_team("Alpha", ["Ann"])
        p.setup.open_stage("evaluation")
        fine = job_archive(tmp_path, "fine", BURN, "BURN=0 python train.py")
        with pytest.raises(RuleError, match="hardware 'a100'"):  # no broker: nothing runs it
            p.jobs.submit("Alpha", fine, hardware="a100")
        token = p.tokens.create("worker", label="big")
        who = p.tokens.authenticate(token)
        assert who is not None
        with pytest.raises(RuleError, match="not 'h100'"):
            p.workers.hello(who, "h100", {})
        p.workers.hello(who, "a100", {})  # a training-only machine says hello
    monkeypatch.setenv("PODIUM_BROKER", "redis://127.0.0.1:1/0")  # read, never reached here
    with Podium.open(competition_dir) as p:
        job_id = p.jobs.submit("Alpha", fine, hardware="a100")
        assert p.job_leases.undispatched() == [(job_id, "a100")]
        sub = p.submissions.submit(constant(tmp_path), team="Alpha", stage="evaluation")
        assert p.leases.claim(who, sub.submission_id) is None  # never an evaluation
        lease = p.job_leases.claim(who)
        assert lease is not None and lease.job_id == job_id
