"""The competition loop through the service layer, on real stores and real subprocesses."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import select

from podium.errors import RuleError, SubmissionError
from podium.leaderboard import aggregate
from podium.metrics import mean
from podium.service import Podium
from podium.store.models import Run, Score, Submission
from podium.submission.archive import pack_folder

from .archives import zeros_zip
from .conftest import CONSTANT_PREDICT, write_submission


@pytest.fixture
def podium(competition_dir: Path) -> Iterator[Podium]:
    p = Podium.open(competition_dir)
    p.setup.add_team("Alpha", ["Ann", "Bo"])
    p.setup.add_team("Beta", ["Cy"])
    p.setup.open_stage("evaluation")
    yield p
    p.close()


def _constant(tmp_path: Path, name: str = "const") -> Path:
    return write_submission(tmp_path / name, CONSTANT_PREDICT)


def test_submit_evaluate_and_rank(podium: Podium, tmp_path: Path) -> None:
    receipt = podium.submissions.submit(_constant(tmp_path), team="Alpha")
    assert (receipt.attempt, receipt.attempts, receipt.queue_position) == (1, 3, 1)
    [outcome] = podium.evaluation.evaluate_pending()
    assert outcome.status == "scored", outcome.error
    board = podium.results.leaderboard("evaluation")
    [row] = board.rows
    assert row.team == "Alpha" and row.place == 1
    assert set(row.tasks) == {"xnli", "pawsx", "udpos", "panx"}
    assert row.languages["panx"].keys() == {"en", "ja"}
    assert 0 < row.overall < 100
    assert board.unranked == (("Beta", "no scored submission yet"),)
    # every shown number is recomputable from the stored raw rows
    with podium.competition.sessions() as s:
        scores = s.scalars(select(Score).where(Score.run_id == row.run_id)).all()
        run = s.get_one(Run, row.run_id)
        assert run.fingerprint["spec_hash"] == podium.competition.spec_hash
        assert len(run.inputs_sha256) == 64 and run.submission_sha256 == receipt.sha256
    metrics = podium.competition.metrics()
    task_means = {
        t: mean(s.value for s in scores if s.task == t and s.metric == metrics[t]) for t in metrics
    }
    assert row.overall == pytest.approx(mean(task_means.values()))
    assert row.duration == pytest.approx(
        podium.results.run(row.run_id).measurements[0].wall_seconds
    )
    facts = podium.results.stage_runs("evaluation")[0]
    assert aggregate(facts, metrics).overall == pytest.approx(row.overall)


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
        podium.submissions.submit(_constant(tmp_path), team="Alpha")
    podium.submissions.submit(_constant(tmp_path), team="Beta")  # other teams are unaffected


def test_two_concurrent_submits_for_the_last_attempt(podium: Podium, tmp_path: Path) -> None:
    folder = _constant(tmp_path)
    podium.submissions.submit(folder, team="Alpha")
    podium.submissions.submit(folder, team="Alpha")
    command = [sys.executable, "-m", "podium", "submit", str(folder), "--team", "Alpha",
               "-c", str(podium.competition.root)]  # fmt: skip
    for _ in range(2):  # the second round finds no attempt left at all
        procs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(2)]  # fmt: skip
        codes = sorted(p.wait(timeout=120) for p in procs)
        refused = [p.stderr.read() for p in procs if p.returncode != 0]  # type: ignore[union-attr]
        assert codes in ([0, 2], [2, 2])
        assert all("used all 3 attempt" in err for err in refused)
        assert len(podium.submissions.find("Alpha")) == 3
    assert sorted(s.attempt for s in podium.submissions.find("Alpha")) == [1, 2, 3]


BAD_PREDICTIONS = {
    "missing file": CONSTANT_PREDICT + "\nimport shutil; shutil.rmtree(dst / 'pawsx')\n",
    "extra file": CONSTANT_PREDICT + "\n(dst / 'notes.txt').write_text('hi')\n",
    "bad label": CONSTANT_PREDICT.replace('"xnli": "entailment"', '"xnli": "maybe"'),
    "tag count": CONSTANT_PREDICT.replace('* len(r["tokens"])', '* (len(r["tokens"]) + 1)'),
    "duplicate id": CONSTANT_PREDICT.replace(
        'fout.write(json.dumps(out) + "\\n")',
        'fout.write(json.dumps(out) + "\\n") ; fout.write(json.dumps(out) + "\\n")',
    ),
    "not json": CONSTANT_PREDICT + "\nopen(dst / 'xnli' / 'en.jsonl', 'a').write('{oops\\n')\n",
}
EXPECTED_MESSAGES = {
    "missing file": "missing predictions file",
    "extra file": "unexpected file",
    "bad label": "is not one of",
    "tag count": "tags for",
    "duplicate id": "predicted twice",
    "not json": "not valid JSON",
}


@pytest.mark.parametrize("case", sorted(BAD_PREDICTIONS))
def test_invalid_predictions_fail_clearly_and_the_next_one_scores(
    competition_dir: Path, tmp_path: Path, case: str
) -> None:
    p = Podium.open(competition_dir)
    p.setup.add_team("Alpha")
    p.setup.open_stage("evaluation")
    p.submissions.submit(write_submission(tmp_path / "bad", BAD_PREDICTIONS[case]), team="Alpha")
    p.submissions.submit(_constant(tmp_path), team="Alpha")
    bad, good = p.evaluation.evaluate_pending()
    assert bad.status == "failed"
    assert EXPECTED_MESSAGES[case] in (bad.error or "")
    assert good.status == "scored", good.error
    p.close()


def test_hanging_submission_is_killed(tmp_path: Path) -> None:
    from .conftest import SMALL_SPEC

    root = tmp_path / "cup"
    root.mkdir()
    (root / "competition.toml").write_text(SMALL_SPEC.format(timeout=1.0))
    p = Podium.open(root)
    p.setup.prepare_data()
    p.setup.add_team("Alpha")
    p.setup.open_stage("evaluation")
    p.submissions.submit(write_submission(tmp_path / "hang", "while True: pass"), team="Alpha")
    p.submissions.submit(_constant(tmp_path), team="Alpha")
    hang, good = p.evaluation.evaluate_pending()
    assert hang.status == "failed" and "timed out after 1 s" in (hang.error or "")
    assert good.status == "scored"
    p.close()


def test_submission_without_manifest_is_refused_and_nothing_is_stored(
    podium: Podium, tmp_path: Path
) -> None:
    folder = tmp_path / "nomanifest"
    folder.mkdir()
    (folder / "predict.py").write_text("print('hi')")
    with pytest.raises(SubmissionError, match="no podium.toml"):
        podium.submissions.submit(folder, team="Alpha")
    assert podium.submissions.find() == []


def test_platform_fault_releases_the_attempt_and_is_retried(podium: Podium, tmp_path: Path) -> None:
    receipt = podium.submissions.submit(_constant(tmp_path), team="Alpha")
    archive = podium.competition.root / podium.submissions.find()[0].archive_path
    saved = archive.read_bytes()
    archive.write_bytes(b"damaged")
    outcomes = podium.evaluation.evaluate_pending()
    assert [o.status for o in outcomes] == ["platform_error"] * 3
    # three faults in a row: held for an organizer, never retried again on its own, and the
    # attempt is still reserved rather than consumed
    [held] = podium.submissions.find()
    assert held.status == "attention" and held.platform_failures == 3
    assert podium.evaluation.evaluate_pending() == []
    assert podium.submissions.attempts_left("Alpha")["evaluation"] == 2
    archive.write_bytes(saved)
    podium.evaluation.retry_run(outcomes[-1].run_id)
    [retry] = podium.evaluation.evaluate_pending()
    assert retry.status == "scored" and retry.submission_id == receipt.submission_id
    assert podium.submissions.find()[0].platform_failures == 0
    with podium.competition.sessions() as s:
        assert len(s.scalars(select(Submission)).all()) == 1


def test_interrupted_run_is_requeued(podium: Podium, tmp_path: Path) -> None:
    podium.submissions.submit(_constant(tmp_path), team="Alpha")
    claimed = podium.evaluation.claim_next(None)  # an evaluator that then dies
    assert claimed is not None
    [outcome] = podium.evaluation.evaluate_pending()
    assert outcome.status == "scored"
    assert podium.results.run(claimed[1]).status == "platform_error"


def test_final_hidden_until_revealed_then_hall_of_fame(podium: Podium, tmp_path: Path) -> None:
    podium.submissions.submit(_constant(tmp_path), team="Alpha")
    podium.submissions.submit(
        write_submission(tmp_path / "crash", "raise SystemExit(1)"), team="Beta"
    )
    podium.submissions.submit(_constant(tmp_path, "c2"), team="Beta")
    podium.evaluation.evaluate_pending()
    with pytest.raises(RuleError, match="still open"):
        podium.finals.run()
    with pytest.raises(RuleError, match="only once closed"):
        podium.finals.export_code("evaluation", tmp_path / "code")
    [winner] = podium.finals.close_stage("evaluation")
    assert winner.stage_name == "evaluation" and winner.place == 1
    exported = podium.finals.export_code("evaluation", tmp_path / "code")
    assert len(exported) == 3 and all((e / "podium.toml").is_file() for e in exported)
    candidates = podium.finals.candidates()
    assert set(candidates) == {"Alpha", "Beta"}
    outcomes = podium.finals.run()
    assert sorted(o.team for o in outcomes) == ["Alpha", "Beta"]
    assert all(o.status == "scored" for o in outcomes)
    with pytest.raises(RuleError, match="hidden until revealed"):
        podium.results.leaderboard("final")
    with pytest.raises(RuleError, match="already run"):
        podium.finals.run()
    entries = podium.finals.reveal()
    assert [e.place for e in entries] == [1, 2]
    assert len(podium.results.leaderboard("final").rows) == 2
    fame = podium.finals.hall_of_fame()
    assert [(e.stage_name, e.place) for e in fame] == [
        ("evaluation", 1),
        ("final", 1),
        ("final", 2),
    ]


def test_teams_need_unique_names(podium: Podium) -> None:
    with pytest.raises(RuleError, match="already exists"):
        podium.setup.add_team("alpha")
    with pytest.raises(Exception, match="needs a name"):
        podium.setup.add_team("  ")


def test_closed_stage_refuses_submissions(podium: Podium, tmp_path: Path) -> None:
    podium.finals.close_stage("evaluation")
    with pytest.raises(RuleError, match="no stage is open"):
        podium.submissions.submit(_constant(tmp_path), team="Alpha")


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
        podium.submissions.submit(_constant(tmp_path), team="Alpha").attempt == 1
    )  # the next one is fine


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_a_refusal_for_attempts_stores_nothing(podium: Podium, tmp_path: Path) -> None:
    folder = _constant(tmp_path)
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
    data = pack_folder(_constant(tmp_path))
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


def test_team_and_member_names_are_checked_where_they_are_made(podium: Podium) -> None:
    from podium.errors import PodiumError

    bad = {
        "Slash/Team": "holds a '/'",
        " Padded": "starts or ends with a space",
        "Tab\tTeam": "control or invisible character U+0009",
        "Bidi\u202eTeam": "control or invisible character U+202E",
        "x" * 61: "61 characters; at most 60",
        "..": "only dots",
    }
    for name, needle in bad.items():
        with pytest.raises(PodiumError, match=re.escape(needle)):
            podium.setup.add_team(name)
        with pytest.raises(PodiumError, match=re.escape(needle)):
            podium.setup.add_team("Fine", [name])
    assert [t.name for t in podium.setup.teams()] == ["Alpha", "Beta"]
    for name in ["Q&A #1?", "100% \"quoted\" 'team'", "Équipe café 名前", "x" * 60]:
        podium.setup.add_team(name, ["Zoë Ölçer"])
    with pytest.raises(RuleError, match="already exists"):
        podium.setup.add_team("ÉQUIPE CAFÉ 名前")
