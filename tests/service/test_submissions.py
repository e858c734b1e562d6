"""Submitting: checks before an attempt is spent, atomic reservations, nothing stored on refusal."""

from __future__ import annotations

import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from podium.core.errors import RuleError, SubmissionError
from podium.service import Podium
from podium.submission.archive import pack_folder

from ..archives import zeros_zip
from ..conftest import write_submission
from ..patience import HANG
from .conftest import constant


def test_attempts_are_limited_and_failed_runs_count(podium: Podium, tmp_path: Path) -> None:
    crash = write_submission(tmp_path / "crash", "raise SystemExit('boom: no model')")
    for _ in range(3):
        podium.submissions.submit(crash, team="Alpha")
    with pytest.raises(RuleError, match="used all 3 attempt"):
        podium.submissions.submit(crash, team="Alpha")
    outcomes = podium.evaluation.evaluate_pending()
    assert [o.status for o in outcomes] == ["failed"] * 3
    assert "exited with code 1" in (outcomes[0].error or "")
    assert "boom: no model" in podium.results.run(outcomes[0].run_id).log_tail
    with pytest.raises(RuleError):
        podium.submissions.submit(constant(tmp_path), team="Alpha")
    podium.submissions.submit(constant(tmp_path), team="Beta")  # other teams are unaffected


def test_two_concurrent_submits_for_the_last_attempt(podium: Podium, tmp_path: Path) -> None:
    folder = constant(tmp_path)
    podium.submissions.submit(folder, team="Alpha")
    podium.submissions.submit(folder, team="Alpha")
    command = [sys.executable, "-m", "podium", "submit", str(folder), "--team", "Alpha",
               "-c", str(podium.competition.root)]  # fmt: skip
    for _ in range(2):  # the second round finds no attempt left at all
        procs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(2)]  # fmt: skip
        codes = sorted(p.wait(timeout=HANG) for p in procs)
        refused = [p.stderr.read() for p in procs if p.returncode != 0]  # type: ignore[union-attr]
        assert codes in ([0, 2], [2, 2])
        assert all("used all 3 attempt" in err for err in refused)
        assert len(podium.submissions.find("Alpha")) == 3
    assert sorted(s.attempt for s in podium.submissions.find("Alpha")) == [1, 2, 3]


def test_submission_without_manifest_is_refused_and_nothing_is_stored(
    podium: Podium, tmp_path: Path
) -> None:
    folder = tmp_path / "nomanifest"
    folder.mkdir()
    (folder / "predict.py").write_text("print('hi')")
    with pytest.raises(SubmissionError, match="no podium.toml"):
        podium.submissions.submit(folder, team="Alpha")
    assert podium.submissions.find() == []


def test_closed_stage_refuses_submissions(podium: Podium, tmp_path: Path) -> None:
    podium.finals.close_stage("evaluation")
    with pytest.raises(RuleError, match="no stage is open"):
        podium.submissions.submit(constant(tmp_path), team="Alpha")


@pytest.mark.parametrize("kind", ["dotdot", "symlink", "bomb"])
def test_hostile_archives_are_refused_and_nothing_is_stored(
    podium: Podium, tmp_path: Path, kind: str
) -> None:
    import io
    import tarfile
    import zipfile

    path = tmp_path / ("sub.tar.gz" if kind == "symlink" else "sub.zip")
    if kind == "symlink":
        with tarfile.open(path, "w:gz") as tar:
            info = tarfile.TarInfo("labels")
            info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
            tar.addfile(info)
    elif kind == "bomb":  # 3.75 GiB of zeros in 3.8 MB, with a podium.toml
        path.write_bytes(zeros_zip(3840, manifest=True))
    else:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("podium.toml", '[submission]\ncommand = "python predict.py"\n')
            z.writestr("../../escape.py", "print('out')")
        path.write_bytes(buf.getvalue())
    with pytest.raises(SubmissionError):
        podium.submissions.submit(path, team="Alpha")
    assert podium.submissions.find() == []
    assert not (tmp_path.parent / "escape.py").exists()
    assert _files(podium.competition.layout.artifacts_dir) == []
    assert (
        podium.submissions.submit(constant(tmp_path), team="Alpha").attempt == 1
    )  # the next one is fine


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_a_refusal_for_attempts_stores_nothing(podium: Podium, tmp_path: Path) -> None:
    folder = constant(tmp_path)
    for _ in range(3):
        podium.submissions.submit(folder, team="Alpha")
    stored = _files(podium.competition.layout.artifacts_dir)
    with pytest.raises(RuleError, match="used all 3 attempt"):
        podium.submissions.submit(folder, team="Alpha")
    assert _files(podium.competition.layout.artifacts_dir) == stored and len(stored) == 3
    with pytest.raises(RuleError, match="used all 3 attempt"):
        podium.submissions.check_can_submit(
            "Alpha"
        )  # what the web app asks before reading an upload
    with pytest.raises(RuleError, match="used all 3 attempt"):  # asked before reading the path
        podium.submissions.submit(tmp_path / "not there yet", team="Alpha")


def test_concurrent_submits_of_one_new_archive_do_not_share_a_file(
    competition_dir: Path, tmp_path: Path
) -> None:
    """The issue saw 12 of 240 calls fail: every copy went through one `.tmp{pid}` name."""
    first = Podium.open(competition_dir)
    teams = [f"Team {i}" for i in range(8)]
    for team in teams:
        first.setup.add_team(team)
    first.setup.open_stage("evaluation")
    first.close()
    data = pack_folder(constant(tmp_path))
    podium = Podium.open(competition_dir)
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            calls = [
                pool.submit(
                    podium.submissions.submit_data,
                    data,
                    team=team,
                    label="same.zip",
                    where=Path("same.zip"),
                )
                for team in teams
                for _ in range(3)
            ]
            receipts = [c.result() for c in calls]
        assert sorted(r.attempt for r in receipts) == sorted([1, 2, 3] * 8)
        archives = {podium.competition.root / s.archive_path for s in podium.submissions.find()}
        assert len(archives) == 24 and all(a.read_bytes() == data for a in archives)
        assert {a.stat().st_mode & 0o777 for a in archives} == {0o644}
        assert _files(podium.competition.layout.incoming_dir) == []
    finally:
        podium.close()


def test_concurrent_submits_take_exactly_the_attempts_left(
    competition_dir: Path, tmp_path: Path
) -> None:
    """Eight writers, each with its own store connection, released together at one barrier,
    for a team with two attempts left: exactly two win (attempts 2 and 3), six are told that no
    attempt is left, and the refused leave no row and no file (the unique (team, stage,
    attempt) alone would refuse a writer that lost a race for attempt 2 while 3 was free)."""
    setup = Podium.open(competition_dir)
    setup.setup.add_team("Alpha")
    setup.setup.open_stage("evaluation")
    setup.submissions.submit(constant(tmp_path), team="Alpha")
    setup.close()
    data = pack_folder(constant(tmp_path))
    writers = [Podium.open(competition_dir) for _ in range(8)]
    barrier = threading.Barrier(len(writers))

    def submit(writer: Podium) -> int | str:
        barrier.wait(timeout=HANG)
        try:
            return writer.submissions.submit_data(
                data, team="Alpha", label="last.zip", where=Path("last.zip")
            ).attempt
        except RuleError as refused:
            return str(refused)

    try:
        with ThreadPoolExecutor(max_workers=len(writers)) as pool:
            outcomes = list(pool.map(submit, writers))
    finally:
        for writer in writers:
            writer.close()
    assert sorted(o for o in outcomes if isinstance(o, int)) == [2, 3]
    refusals = [o for o in outcomes if isinstance(o, str)]
    assert len(refusals) == 6 and all("used all 3 attempt" in r for r in refusals)
    podium = Podium.open(competition_dir)
    try:
        stored = podium.submissions.find("Alpha")
        assert sorted(s.attempt for s in stored) == [1, 2, 3]
        archives = sorted(podium.competition.layout.submissions_dir.iterdir())
        assert archives == sorted(podium.competition.root / s.archive_path for s in stored)
        assert _files(podium.competition.layout.incoming_dir) == []
    finally:
        podium.close()
