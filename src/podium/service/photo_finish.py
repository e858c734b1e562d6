"""Photo finish: every unsure timing comparison that could change a place or a bonus (an
undecided move, two equal scores, an efficiency place: the board's `contests`) is
re-measured, both teams interleaved on this evaluator (A, B, A, B, ... so drift hits both),
up to the next planned look of the pair (`podium.rules.looks`: the budget,
`[efficiency] photo_finish_runs` per team, looked at after 1/5, 2/5, ... of it; "auto":
sized to the stored noise when the close starts), then the board is read again: a pair
stops once sure, once surely less than the design gain apart (futility: near twins stop
early), or once its budget is spent; what stays unsure is decided by the rule's timing-free
order. Two submissions of one archive (the same sha256) are never re-measured against each
other: the same program, their timings differ by noise alone, so re-measuring could only
spend budget or, by chance, call one surely faster; the close report says so.
`[efficiency] photo_finish_minutes` caps the wall time: past it, no further pair is started
and the close report says so."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

from sqlalchemy import func, select

from podium.rules.leaderboard import Leaderboard
from podium.rules.looks import Plan
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
        self.capped = ""  # what the time cap left unsure in the last run, if it bound
        self.same = ""  # the pairs of one archive the last run left alone, if any

    def run(self, stage: str, *, progress: Progress | None = None) -> list[RunOutcome]:
        """Re-measure until every contested comparison of the stage is settled, out of
        budget, or out of time (`capped` then says what the time cap left unsure)."""
        first = self.results.leaderboard(stage, organizer=True)
        budget = first.photo_finish_runs  # fixed for the whole close
        self.capped = ""
        outcomes: list[RunOutcome] = []
        if budget == 0:
            return outcomes
        self.same = _said(self._same_archive(first))  # the close report says it
        if progress and first.contests:
            progress(f"photo finish budget: {budget} runs per team ({first.photo_finish_budget})")
        plan = Plan(budget)
        deadline = time.monotonic() + self.c.spec.efficiency.photo_finish_minutes * 60
        worker = self.workers.pick_worker() if self.c.broker else None
        if self.c.broker and worker is None:
            if progress:
                progress("no worker alike its label has said hello: nothing re-measured")
            return outcomes
        with self.evaluation.locked() if not self.c.broker else _nothing():
            while step := self._next_step(self.results.leaderboard(stage, organizer=True), plan):
                if time.monotonic() > deadline:
                    self._cap(stage, plan, progress)
                    break
                for submission_id in step:
                    if worker is not None:  # with a broker: on one worker, in order
                        run_id = self.dispatch.request_remeasure(submission_id, worker)
                        outcomes.append(self.dispatch.wait(run_id))
                    else:
                        outcomes.append(
                            self.evaluation.remeasure_once(submission_id, progress=progress)
                        )
        return outcomes

    def _cap(self, stage: str, plan: Plan, progress: Progress | None) -> None:
        board = self.results.leaderboard(stage, organizer=True)
        left = list(dict.fromkeys(  # a pair may be contested twice (an order and a move)
            f"{c.ahead} / {c.behind}" for c in board.contests if min(c.remeasures) < plan.runs
        ))  # fmt: skip
        minutes = self.c.spec.efficiency.photo_finish_minutes
        self.capped = (
            f"the time cap bound (photo_finish_minutes = {minutes:g}): "
            f"{len(left)} pair{'s' if len(left) != 1 else ''} left before the budget "
            f"({', '.join(left)}); the timing-free rule decides them"
        )
        if progress:
            progress(self.capped)

    def _next_step(self, board: Leaderboard, plan: Plan) -> list[int]:
        """The runs, interleaved (A, B, A, B, ...), that take a contested pair with budget
        left to its next planned look (a team already there is not run): the pair at the
        earliest look first (breadth first: a team measured for one pair settles others).
        Pairs of one archive are left alone."""
        by_team = {row.team: row.submission_id for row in board.rows}
        same = set(self._same_archive(board))
        pairs = [
            (by_team[c.ahead], by_team[c.behind])
            for c in board.contests
            if (c.ahead, c.behind) not in same
        ]
        done = {sub: self._remeasured(sub) for pair in pairs for sub in pair}
        open_ = [pair for pair in pairs if min(done[sub] for sub in pair) < plan.runs]
        if not open_:
            return []
        pair = min(open_, key=lambda p: plan.reached(min(done[sub] for sub in p)))
        start = min(done[sub] for sub in pair)
        target = plan.runs_at(plan.reached(start) + 1)
        steps: list[int] = []
        for i in range(target - start):
            steps += [sub for sub in pair if done[sub] + i < target]
        return steps

    def _same_archive(self, board: Leaderboard) -> list[tuple[str, str]]:
        """The contested pairs (ahead, behind) whose submissions are one archive."""
        by_team = {row.team: row.submission_id for row in board.rows}
        ids = {by_team[t] for c in board.contests for t in (c.ahead, c.behind)}
        if not ids:
            return []
        with self.c.sessions() as s:
            query = self.c.scoped(
                select(Submission.id, Submission.sha256).join(Stage).where(Submission.id.in_(ids))
            )
            sha = {int(i): str(h) for i, h in s.execute(query)}
        pairs = [(c.ahead, c.behind) for c in board.contests]
        return list(dict.fromkeys(
            (a, b) for a, b in pairs if sha[by_team[a]] == sha[by_team[b]]
        ))  # fmt: skip

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


def _said(pairs: list[tuple[str, str]]) -> str:
    if not pairs:
        return ""
    names = "; ".join(f"{a} and {b}" for a, b in pairs)
    return (
        f"not re-measured, one archive on both sides: {names} (the same program: timing "
        "cannot tell them apart; the timing-free rule decides)"
    )


@contextlib.contextmanager
def _nothing() -> Iterator[None]:
    yield
