"""The evaluation queue: faults of the submission vs the platform."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from podium.service import Podium
from podium.store.models import Submission

from ..conftest import CONSTANT_PREDICT, SMALL_SPEC, write_submission
from ..patience import scaled
from .conftest import constant

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
    p.submissions.submit(constant(tmp_path), team="Alpha")
    bad, good = p.evaluation.evaluate_pending()
    assert bad.status == "failed"
    assert EXPECTED_MESSAGES[case] in (bad.error or "")
    assert good.status == "scored", good.error
    p.close()


def test_hanging_submission_is_killed(tmp_path: Path) -> None:

    root = tmp_path / "cup"
    root.mkdir()
    limit = scaled(1.0)  # an honest submission runs after the hanging one
    (root / "competition.toml").write_text(SMALL_SPEC.format(timeout=limit))
    p = Podium.open(root)
    p.setup.prepare_data()
    p.setup.add_team("Alpha")
    p.setup.open_stage("evaluation")
    p.submissions.submit(write_submission(tmp_path / "hang", "while True: pass"), team="Alpha")
    p.submissions.submit(constant(tmp_path), team="Alpha")
    hang, good = p.evaluation.evaluate_pending()
    assert hang.status == "failed" and f"timed out after {limit:g} s" in (hang.error or "")
    assert good.status == "scored"
    p.close()


def test_platform_fault_releases_the_attempt_and_is_retried(podium: Podium, tmp_path: Path) -> None:
    receipt = podium.submissions.submit(constant(tmp_path), team="Alpha")
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
    podium.submissions.submit(constant(tmp_path), team="Alpha")
    claimed = podium.evaluation.claim_next(None)  # an evaluator that then dies
    assert claimed is not None
    [outcome] = podium.evaluation.evaluate_pending()
    assert outcome.status == "scored"
    assert podium.results.run(claimed[1]).status == "platform_error"
