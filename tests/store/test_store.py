"""The store on the backend under test keeps what the services write: byte counts past 2 GiB
(PostgreSQL's INTEGER is 32-bit), times as UTC instants, JSON as written."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from podium.service import Podium
from podium.store.models import Measurement, Run, utcnow

from ..conftest import CONSTANT_PREDICT, write_submission

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
