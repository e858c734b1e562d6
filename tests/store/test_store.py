"""The store on the backend under test keeps what the services write (byte counts past 2 GiB,
where PostgreSQL's INTEGER is 32-bit; times as UTC instants; JSON as written) and lets writers
take turns (one evaluator's claim at a time)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from podium.service import Podium
from podium.store.models import LateReport, Measurement, Run, utcnow

from ..conftest import CONSTANT_PREDICT, write_submission
from ..patience import HANG

BIG = 80 * 2**30  # the peak memory of a large model, in bytes


def test_byte_counts_times_and_json_come_back_as_written(
    competition_dir: Path, tmp_path: Path
) -> None:
    podium = Podium.open(competition_dir)
    try:
        podium.setup.add_team("Alpha")
        podium.setup.open_stage("evaluation")
        folder = write_submission(tmp_path / "const", CONSTANT_PREDICT)
        receipt = podium.submissions.submit(folder, team="Alpha")
        finished = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
        with podium.competition.sessions.begin() as s:
            run = Run(submission_id=receipt.submission_id, status="scored", finished_at=finished,
                      fingerprint={"cpu": "é", "cores": [0, 1]}, enforcement={"memory": "cgroup"})  # fmt: skip
            s.add(run)
            s.flush()
            s.add(Measurement(run_id=run.id, repeat=0, wall_seconds=1.5, cpu_user_seconds=1.0,
                              cpu_system_seconds=0.1, peak_rss_bytes=BIG, bytes_written=BIG + 1,
                              gpu_peak_memory_bytes=BIG + 2))  # fmt: skip
            run_id = run.id
        stored = podium.results.run(run_id)
        m = stored.measurements[0]
        assert (m.peak_rss_bytes, m.bytes_written, m.gpu_peak_memory_bytes) == (
            BIG, BIG + 1, BIG + 2,
        )  # fmt: skip
        assert stored.fingerprint == {"cpu": "é", "cores": [0, 1]}
        assert stored.enforcement == {"memory": "cgroup"}
        assert stored.finished_at is not None
        # SQLite hands back the UTC wall time without a zone, PostgreSQL the instant in UTC
        assert stored.finished_at.replace(tzinfo=UTC) == finished
        assert stored.started_at.replace(tzinfo=UTC) <= utcnow()
    finally:
        podium.close()


def test_concurrent_claims_never_take_one_submission_twice(
    competition_dir: Path, tmp_path: Path
) -> None:
    """Six evaluators' claims (each its own connection, released at one barrier) on three
    queued submissions: each submission is claimed once (writers take turns on both backends)."""
    setup = Podium.open(competition_dir)
    setup.setup.add_team("Alpha")
    setup.setup.open_stage("evaluation")
    folder = write_submission(tmp_path / "const", CONSTANT_PREDICT)
    queued = {setup.submissions.submit(folder, team="Alpha").submission_id for _ in range(3)}
    setup.close()
    evaluators = [Podium.open(competition_dir) for _ in range(6)]
    barrier = threading.Barrier(len(evaluators))

    def claim(evaluator: Podium) -> int | None:
        barrier.wait(timeout=HANG)
        claimed = evaluator.evaluation.claim_next()
        return None if claimed is None else claimed[0]

    try:
        with ThreadPoolExecutor(max_workers=len(evaluators)) as pool:
            claims = list(pool.map(claim, evaluators))
    finally:
        for evaluator in evaluators:
            evaluator.close()
    taken = [c for c in claims if c is not None]
    assert sorted(taken) == sorted(queued) and claims.count(None) == 3


def test_text_no_store_can_hold_is_stored_escaped(competition_dir: Path, tmp_path: Path) -> None:
    """A NUL (PostgreSQL refuses it) and a lone surrogate (no UTF-8 for it) in what a run
    produced: kept, escaped, in every column a submission's text reaches."""
    podium = Podium.open(competition_dir)
    try:
        podium.setup.add_team("Alpha")
        podium.setup.open_stage("evaluation")
        folder = write_submission(tmp_path / "const", CONSTANT_PREDICT)
        receipt = podium.submissions.submit(folder, team="Alpha")
        hostile = "out\x00put \udcff\ud800 end"
        with podium.competition.sessions.begin() as s:
            run = Run(submission_id=receipt.submission_id, status="failed", error=hostile,
                      log_tail=hostile)  # fmt: skip
            s.add(run)
            s.flush()
            s.add(LateReport(run_id=run.id, reason=hostile))
            run_id = run.id
        stored = podium.results.run(run_id)
        assert stored.error == stored.log_tail == "out\\x00put \\xff\\ud800 end"
        with podium.competition.sessions() as s:
            assert s.scalars(select(LateReport.reason)).one() == stored.error
    finally:
        podium.close()
