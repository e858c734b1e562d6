"""Photo finish: every unsure timing comparison that could change a place or a bonus (an
undecided move, two equal scores, an efficiency place: the board's `contests`) is
re-measured, both teams interleaved on this evaluator (A, B, A, B, ... so drift hits both),
until it is sure or the budget (`[efficiency] photo_finish_runs` per team; "auto": sized to
the measured noise when the close starts, `podium.rules.efficiency.photo_finish_budget`) is spent;
what stays unsure is decided by the rule's timing-free order. The rule looks after every
pair of runs through an always-valid sequential interval, so it stops as soon as a
comparison is sure without raising the chance that noise decides it."""

from __future__ import annotations

from sqlalchemy import func, select

from podium.rules.leaderboard import Leaderboard
from podium.service.context import Competition
from podium.service.dispatch import Dispatch
from podium.service.evaluation import Evaluation, Progress, RunOutcome
from podium.service.results import Results
from podium.service.workers import Workers
from podium.store.models import Run, Stage, Submission


class PhotoFinish:
    """Re-measurement of contested comparisons; costs no attempt, changes no submission."""

    def __init__(
        self,
        competition: Competition,
        results: Results,
        evaluation: Evaluation,
        workers: Workers,
        dispatch: Dispatch,
    ) -> None:
        self.c, self.results, self.evaluation = competition, results, evaluation
        self.workers, self.dispatch = workers, dispatch

    def run(self, stage: str, *, progress: Progress | None = None) -> list[RunOutcome]:
        """Re-measure until every contested comparison of the stage is sure or out of budget."""
        first = self.results.leaderboard(stage, organizer=True)
        budget = first.photo_finish_runs  # fixed for the whole close
        outcomes: list[RunOutcome] = []
        if budget == 0:
            return outcomes
        if progress and first.contests:
            progress(f"photo finish budget: {budget} runs per team ({first.photo_finish_budget})")
        if self.c.broker:
            return self._on_a_worker(stage, budget, progress)
        with self.evaluation.locked():
            while pair := self._next_pair(self.results.leaderboard(stage, organizer=True), budget):
                for submission_id in pair:
                    if self._remeasured(submission_id) < budget:
                        outcomes.append(
                            self.evaluation.remeasure_once(submission_id, progress=progress)
                        )
        return outcomes

    def _on_a_worker(self, stage: str, budget: int, progress: Progress | None) -> list[RunOutcome]:
        """With a broker: every re-measurement of the stage on one worker of the label, which
        takes them in order from its own queue (A, B, A, B), each awaited before the next."""
        outcomes: list[RunOutcome] = []
        worker = self.workers.pick_worker()
        if worker is None:
            if progress:
                progress("no worker alike its label has said hello: nothing re-measured")
            return outcomes
        while pair := self._next_pair(self.results.leaderboard(stage, organizer=True), budget):
            for submission_id in pair:
                if self._remeasured(submission_id) < budget:
                    run_id = self.dispatch.request_remeasure(submission_id, worker)
                    outcomes.append(self.dispatch.wait(run_id))
        return outcomes

    def _next_pair(self, board: Leaderboard, budget: int) -> tuple[int, int] | None:
        """The submissions (ahead, behind) of the first contested comparison with budget left."""
        by_team = {row.team: row.submission_id for row in board.rows}
        for contest in board.contests:
            pair = (by_team[contest.ahead], by_team[contest.behind])
            if any(self._remeasured(sub) < budget for sub in pair):
                return pair
        return None

    def _remeasured(self, submission_id: int) -> int:
        """Re-measurement runs a submission had (failed ones included: they spend budget)."""
        with self.c.sessions() as s:
            query = self.c.scoped(
                select(func.count(Run.id))
                .join(Submission)
                .join(Stage)
                .where(Run.submission_id == submission_id, Run.kind == "remeasure")
            )
            return int(s.scalar(query) or 0)
