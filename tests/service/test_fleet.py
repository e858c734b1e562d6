"""The server's side of the workers, through the real service: claims are exclusive, a
report is scored here with the labels, a report without the lease is recorded and ignored,
a silent worker's run is retried, and a worker unlike its label's first is not compared.
The worker's part is the real harness, run without labels as `podium worker` runs it."""

from __future__ import annotations

import json
import tarfile
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from podium.core.errors import ForbiddenError, RuleError
from podium.harness.evaluate import evaluate, job_for
from podium.harness.fingerprint import EXTRA, machine_fingerprint
from podium.harness.runners import create_runner
from podium.rules.access import Principal, SealedInputs, ensure
from podium.service import Podium
from podium.service.dispatch import queue_name
from podium.service.exchange import Lease, WorkerReport
from podium.store.models import LateReport, Run, Submission, utcnow

from ..conftest import CONSTANT_PREDICT, RUN_LIMIT, SMALL_SPEC, write_submission


@pytest.fixture
def cup(tmp_path: Path) -> Podium:
    root = tmp_path / "cup"
    root.mkdir()
    spec = SMALL_SPEC.format(timeout=RUN_LIMIT) + 'runner = "subprocess"\n'
    (root / "competition.toml").write_text(spec)
    podium = Podium.open(root)
    podium.setup.prepare_data()
    for team in ("Ada", "Bo"):
        podium.setup.add_team(team)
    podium.setup.open_stage("evaluation")
    return podium


def _worker(podium: Podium, name: str, **extra: object) -> Principal:
    token = podium.tokens.create("worker", label=name)
    who = podium.tokens.authenticate(token)
    assert who is not None and who.is_worker
    facts = {**machine_fingerprint(podium.competition.spec_hash), **extra}
    podium.workers.hello(who, "local", facts)
    return who


def _submit(podium: Podium, tmp_path: Path, team: str, predict: str = CONSTANT_PREDICT) -> int:
    folder = write_submission(tmp_path / f"sub-{team}", predict)
    return podium.submissions.submit(folder, team=team).submission_id


def _work(podium: Podium, lease: Lease, tmp_path: Path) -> tuple[WorkerReport, dict[str, Path]]:
    """What `podium worker` does with a lease: the harness without labels."""
    run_dir = tmp_path / f"worker-run{lease.run_id}"
    archive = podium.leases.archive(_holder(podium, lease), lease.run_id, lease.lease)
    job = job_for(podium.competition.spec.sandbox, repeats=lease.repeats,
                  archive=archive.read_bytes(), inputs_dir=_inputs(podium, lease, tmp_path),
                  labels_dir=None, expected=[], tasks={}, run_dir=run_dir,
                  runner=create_runner("subprocess"))  # fmt: skip
    result = evaluate(job)
    assert result.status == "scored" and not result.scores  # nothing scored without labels
    folder = run_dir / "predictions"
    files = {p.relative_to(folder).as_posix(): p for p in folder.rglob("*.jsonl")}
    report = WorkerReport("produced", None, result.log_tail, result.harness_seconds,
                          result.enforcement, [m.__dict__ for m in result.measurements],
                          run_dir / "log.txt")  # fmt: skip
    return report, files


def _holder(podium: Podium, lease: Lease) -> Principal:
    with podium.competition.sessions() as s:
        worker_id = s.get_one(Run, lease.run_id).worker_id
    [who] = [
        p
        for t in podium.tokens.find()
        if (p := podium.tokens.principal_by_id(t.id)) is not None and p.is_worker
        if _worker_id(podium, p) == worker_id
    ]
    return who


def _worker_id(podium: Podium, who: Principal) -> int | None:
    return next((w.id for w in podium.workers.fleet() if w.name == who.label), None)


def _fetch_inputs(podium: Podium, who: Principal, split: str) -> Path:
    """What the route `/api/worker/inputs/{split}` does: the access rule, then the tar."""
    ensure(who, "fetch", SealedInputs(split, held=podium.leases.holds_split(who, split)))
    return podium.leases.inputs(split)


def _inputs(podium: Podium, lease: Lease, tmp_path: Path) -> Path:
    folder = tmp_path / f"inputs-{lease.inputs_sha256[:8]}"
    if not folder.is_dir():
        with tarfile.open(_fetch_inputs(podium, _holder(podium, lease), lease.split)) as tar:
            tar.extractall(folder, filter="data")
    return folder


def test_a_claim_is_exclusive_and_a_report_is_scored_on_the_server(
    cup: Podium, tmp_path: Path
) -> None:
    one, two = _worker(cup, "gpu-01"), _worker(cup, "gpu-02")
    sub = _submit(cup, tmp_path, "Ada")
    assert cup.dispatch.undispatched() == [sub]
    lease = cup.leases.claim(one, sub)
    assert lease is not None and lease.split == "eval"
    assert cup.leases.claim(two, sub) is None  # a redelivered task finds it taken
    assert cup.leases.claim(one, sub) is None
    assert "labels" not in json.dumps(lease.to_dict())
    with pytest.raises(ForbiddenError, match="only to a worker running"):
        _fetch_inputs(cup, two, "eval")  # it holds no run of that split
    with pytest.raises(ForbiddenError):
        _fetch_inputs(cup, one, "final")
    with pytest.raises(ForbiddenError, match="only worker tokens"):
        ensure(Principal(token_id=0, role="organizer", team=None), "fetch",
               SealedInputs("eval", held=True))  # fmt: skip
    with tarfile.open(_fetch_inputs(cup, one, "eval")) as tar:
        names = tar.getnames()
    assert names and not any("label" in n for n in names)
    with pytest.raises(RuleError, match="not held by this worker"):
        cup.leases.renew(two, lease.run_id, lease.lease)
    cup.leases.renew(one, lease.run_id, lease.lease)
    report, files = _work(cup, lease, tmp_path)
    ended = cup.reports.report(one, lease.run_id, lease.lease, report, files)
    assert ended.status == "scored" and ended.overall is not None
    board = cup.results.leaderboard("evaluation")
    assert [r.team for r in board.rows] == ["Ada"]
    assert board.rows[0].aggregate.overall == pytest.approx(ended.overall)
    run = cup.results.run(lease.run_id)
    assert (
        run.worker_id is not None and (cup.competition.layout.run_dir(run.id) / "log.txt").is_file()
    )
    [w1, w2] = cup.workers.fleet()
    assert (w1.runs_done, w1.current_run_id, w2.runs_done) == (1, None, 0)
    # a second report of the same run (Celery redelivered, the worker retried) is ignored
    with pytest.raises(RuleError):
        cup.reports.report(one, lease.run_id, lease.lease, report, files)
    with cup.competition.sessions() as s:
        assert len(s.scalars(select(LateReport)).all()) == 1
    assert len(cup.results.run(lease.run_id).scores) > 0


def test_a_silent_worker_loses_its_run_which_is_retried_and_its_late_report_ignored(
    cup: Podium, tmp_path: Path
) -> None:
    one, two = _worker(cup, "gpu-01"), _worker(cup, "gpu-02")
    sub = _submit(cup, tmp_path, "Bo")
    lease = cup.leases.claim(one, sub)
    assert lease is not None
    cup.dispatch.dispatched(sub)
    report, files = _work(cup, lease, tmp_path)
    with cup.competition.sessions.begin() as s:  # the machine went quiet past its lease
        s.execute(update(Run).where(Run.id == lease.run_id).values(lease_expires_at=utcnow()))
    [lost] = cup.leases.reap()
    assert lost.status == "platform_error" and "gpu-01" in (lost.error or "")
    assert cup.submissions.attempts_left("Bo") == {
        "evaluation": 2
    }  # kept: the attempt is still this one
    assert cup.dispatch.undispatched() == [sub]  # sent again
    cup.dispatch.dispatched(sub)
    assert cup.dispatch.undispatched() == []
    with cup.competition.sessions.begin() as s:  # its message was lost (a broker restart)
        s.execute(update(Submission).values(dispatched_at=utcnow() - timedelta(hours=1)))
    assert cup.dispatch.undispatched() == [sub]
    with pytest.raises(RuleError, match="not held"):
        cup.reports.report(one, lease.run_id, lease.lease, report, files)
    again = cup.leases.claim(two, sub)
    assert again is not None and again.run_id != lease.run_id
    report, files = _work(cup, again, tmp_path)
    assert cup.reports.report(two, again.run_id, again.lease, report, files).status == "scored"
    statuses = [r.status for s in cup.submissions.find() for r in s.runs]
    assert statuses == ["platform_error", "scored"]  # scored exactly once


def test_predictions_named_outside_the_contract_fail_the_run_and_write_nothing_outside(
    cup: Podium, tmp_path: Path
) -> None:
    one = _worker(cup, "gpu-01")
    sub = _submit(cup, tmp_path, "Ada")
    lease = cup.leases.claim(one, sub)
    assert lease is not None
    report, files = _work(cup, lease, tmp_path)
    evil = tmp_path / "evil.jsonl"
    evil.write_text("{}\n")
    files["../../../escaped.jsonl"] = evil
    ended = cup.reports.report(one, lease.run_id, lease.lease, report, files)
    assert ended.status == "failed" and "unexpected file" in (ended.error or "")
    assert not any(cup.competition.root.parent.rglob("escaped.jsonl"))
    # a worker's own fault is the platform's: the attempt is kept and the run retried
    honest = _submit(cup, tmp_path, "Bo")
    lease = cup.leases.claim(one, honest)
    assert lease is not None
    broken = WorkerReport("platform_error", "bubblewrap is missing", "", 0.0, {}, [])
    assert cup.reports.report(one, lease.run_id, lease.lease, broken, {}).status == "platform_error"
    lease = cup.leases.claim(one, honest)
    assert lease is not None
    report, files = _work(cup, lease, tmp_path)
    assert cup.reports.report(one, lease.run_id, lease.lease, report, files).status == "scored"


def test_a_worker_unlike_the_first_of_its_label_is_marked_and_not_compared(
    cup: Podium, tmp_path: Path
) -> None:
    first = _worker(cup, "gpu-01")
    other = _worker(cup, "gpu-07", gpu="another card")
    [a, b] = cup.workers.fleet()
    assert a.alike and not b.alike and b.differs == ("gpu",)
    for who, team in ((first, "Ada"), (other, "Bo")):
        lease = cup.leases.claim(who, _submit(cup, tmp_path, team))
        assert lease is not None
        report, files = _work(cup, lease, tmp_path)
        assert cup.reports.report(who, lease.run_id, lease.lease, report, files).status == "scored"
    board = cup.results.leaderboard("evaluation")
    assert any("different gpu" in note for note in board.notes) and not board.decisions
    with pytest.raises(RuleError, match="evaluates on hardware 'local'"):
        cup.workers.hello(first, "gpu", {})


def test_fingerprint_extra_and_queue_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(EXTRA, '{"gpu_clock": "locked"}')
    assert machine_fingerprint("x")["gpu_clock"] == "locked"
    monkeypatch.setenv(EXTRA, "[1]")
    with pytest.raises(ValueError, match="JSON object"):
        machine_fingerprint("x")
    assert (
        queue_name("XTREME four-task challenge", "A100 x8")
        == "podium.xtreme-four-task-challenge.a100-x8"
    )


def test_a_malformed_report_is_a_platform_fault_and_the_next_honest_one_scores(
    cup: Podium, tmp_path: Path
) -> None:
    one = _worker(cup, "gpu-01")
    sub = _submit(cup, tmp_path, "Ada")
    for bad in ({"wall_seconds": "fast"}, {"cpu_system_seconds": float("nan")},
                {"exit_code": True}, {"peak_rss_bytes": 2**70}, {"free_lunch": 1}):  # fmt: skip
        lease = cup.leases.claim(one, sub)
        assert lease is not None
        report, files = _work(cup, lease, tmp_path)
        forged = WorkerReport(report.status, None, "", 0.0, {},
                              [{**report.measurements[0], **bad}])  # fmt: skip
        ended = cup.reports.report(one, lease.run_id, lease.lease, forged, files)
        assert ended.status == "platform_error" and "a worker reported" in (ended.error or "")
        with cup.competition.sessions.begin() as s:  # an organizer lets it run again
            s.execute(update(Submission).values(status="queued", platform_failures=0))
    lease = cup.leases.claim(one, sub)
    assert lease is not None
    report, files = _work(cup, lease, tmp_path)
    assert cup.reports.report(one, lease.run_id, lease.lease, report, files).status == "scored"
    assert cup.results.leaderboard("evaluation").rows[0].team == "Ada"
