"""A worker's report of a run: scored here, where the labels are (they never leave). A
report without the lease (late, duplicated, from another worker) is recorded and refused."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from podium.core.errors import RuleError, SubmissionError
from podium.rules.access import Principal
from podium.service.context import Competition
from podium.service.evaluation import Evaluation, RunOutcome
from podium.service.exchange import WorkerReport
from podium.service.leasing import Leases
from podium.service.setup import Setup
from podium.service.workers import Workers
from podium.store.models import LateReport

if TYPE_CHECKING:
    from podium.harness.evaluate import EvaluationResult


class Reports:
    """Takes a worker's result: validated, scored and recorded, or refused without a lease."""

    def __init__(
        self,
        competition: Competition,
        setup: Setup,
        evaluation: Evaluation,
        leases: Leases,
        workers: Workers,
    ) -> None:
        self.c, self.setup, self.evaluation = competition, setup, evaluation
        self.leases, self.workers = leases, workers

    def report(
        self,
        who: Principal,
        run_id: int,
        lease: str,
        facts: WorkerReport,
        predictions: Mapping[str, Path],
    ) -> RunOutcome:
        """A worker's result: scored here (the labels never leave), or a failure of the
        submission; a report without the lease is recorded and refused."""
        from podium.data.prepare import split_inputs_sha256

        try:
            with self.c.sessions.begin() as s:
                run = self.leases.held(s, who, run_id, lease)
                run.lease_expires_at = None  # nobody renews or reaps it from here on
                split = run.submission.stage.split
        except RuleError as err:
            with self.c.sessions.begin() as s:
                s.add(LateReport(run_id=self.c.run_row(s, run_id).id,
                                 worker_id=self.workers.id_of(s, who), reason=err.message))  # fmt: skip
            raise
        outcome = self.evaluation.outcome_of(run_id)
        run_dir = self.c.layout.run_dir(run_id)
        try:
            result = facts.result()
            if facts.log is not None:
                run_dir.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(facts.log, run_dir / "log.txt")
            if result.status == "scored":
                result = self._score(result, split, predictions, run_dir)
            inputs_sha = split_inputs_sha256(self.setup.manifest(), split)
            ended = self.evaluation.record_result(outcome, result, inputs_sha)
        except Exception as err:  # ours (or the worker's): the attempt is kept and retried
            ended = self.evaluation.record_platform_fault(outcome, err)
        self.workers.done(who)
        return ended

    def _score(
        self, result: EvaluationResult, split: str, predictions: Mapping[str, Path], run_dir: Path
    ) -> EvaluationResult:
        from podium.harness.evaluate import validate_score_and_judge
        from podium.rules.integrity import verdict

        expected = self.evaluation.expected_files(split)
        known = {f.relpath for f in expected}
        unknown = sorted(set(predictions) - known)
        folder = run_dir / "predictions"
        shutil.rmtree(folder, ignore_errors=True)
        try:
            if unknown:
                raise SubmissionError(
                    f"the output folder holds {len(unknown)} unexpected file(s): "
                    + ", ".join(unknown[:5]),
                    hint="write only {task}/{lang}.jsonl for the inputs given",
                )
            for name, path in predictions.items():
                (folder / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, folder / name)
            result.scores, result.canaries = validate_score_and_judge(
                folder,
                expected,
                self.c.layout.labels_dir(split),
                self.c.tasks(),
                metric_dir=self.c.root,
            )
            result.integrity = verdict(result.canaries, self.evaluation.integrity_rule())
        except SubmissionError as err:
            shutil.rmtree(folder, ignore_errors=True)
            result.status, result.error, result.scores = "failed", err.message, []
        return result
