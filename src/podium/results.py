"""Reading results: every shown number is derived here from raw rows of the store."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from podium.core import CompetitionCore
from podium.errors import NotFoundError, RuleError
from podium.leaderboard import Leaderboard, RunFacts, build_leaderboard
from podium.ranking import RerankRule
from podium.store.models import (
    Run,
    Stage,
    Submission,
    Team,
)


class Results(CompetitionCore):
    """Leaderboards, runs and submissions, derived from scores and measurements."""

    def _facts_query(self) -> Select[Run]:
        return (
            select(Run)
            .join(Submission)
            .join(Stage)
            .options(
                selectinload(Run.scores),
                selectinload(Run.measurements),
                selectinload(Run.submission)
                .selectinload(Submission.team)
                .selectinload(Team.members),
            )
            .where(Stage.competition_id == self._competition_id, Run.status == "scored")
        )

    @staticmethod
    def _to_facts(run: Run) -> RunFacts:
        sub = run.submission
        return RunFacts(
            team=sub.team.name,
            members=tuple(m.name for m in sub.team.members),
            submission_id=sub.id,
            attempt=sub.attempt,
            run_id=run.id,
            submitted_at=sub.created_at,
            scores={(sc.task, sc.language, sc.metric): sc.value for sc in run.scores},
            walls=[m.wall_seconds for m in run.measurements],
            cpu_seconds=sum(m.cpu_user_seconds + m.cpu_system_seconds for m in run.measurements)
            / max(1, len(run.measurements)),
            peak_rss_bytes=max((m.peak_rss_bytes for m in run.measurements), default=0),
            hardware=run.hardware,
            fingerprint=run.fingerprint,
        )

    def _run_facts(self, run_id: int) -> RunFacts | None:
        with self.sessions() as s:
            run = s.scalar(self._facts_query().where(Run.id == run_id))
            return None if run is None else self._to_facts(run)

    def stage_runs(self, stage: str) -> list[RunFacts]:
        """All scored runs of a stage, oldest first (the attempt history)."""
        with self.sessions() as s:
            self._stage(s, stage)
            runs = s.scalars(self._facts_query().where(Stage.name == stage).order_by(Run.id))
            return [self._to_facts(r) for r in runs]

    def leaderboard(self, stage: str | None = None, *, organizer: bool = False) -> Leaderboard:
        """A stage's leaderboard; hidden stages only for organizers until revealed."""
        with self.sessions() as s:
            if stage is None:
                open_or_last = s.scalars(
                    select(Stage)
                    .where(Stage.competition_id == self._competition_id, Stage.status != "pending")
                    .order_by(Stage.position.desc())
                ).first()
                stage = open_or_last.name if open_or_last else self.spec.stages[0].name
            row = self._stage(s, stage)
            status, revealed = row.status, row.revealed
        if self.spec.stage(stage).leaderboard == "hidden" and not revealed and not organizer:
            raise RuleError(
                f"the results of stage {stage!r} are hidden until revealed",
                hint="the organizer reveals them with `podium final reveal`",
            )
        rr = self.spec.reranking
        return build_leaderboard(
            competition=self.spec.name,
            stage=stage,
            status=status,
            runs=self.stage_runs(stage),
            teams=[t.name for t in self.teams()],
            metrics=self.metrics(),
            rule=RerankRule(tuple(rr.bonus_places), rr.max_score_gap, rr.min_efficiency_gain),
            hardware=self.spec.hardware,
        )

    def submissions(self, team: str | None = None) -> list[Submission]:
        with self.sessions() as s:
            query = (
                select(Submission)
                .join(Stage)
                .join(Team)
                .options(
                    selectinload(Submission.runs).selectinload(Run.measurements),
                    selectinload(Submission.team),
                    selectinload(Submission.stage),
                )
                .where(Stage.competition_id == self._competition_id)
                .order_by(Submission.id)
            )
            if team is not None:
                query = query.where(Team.name == team)
            return list(s.scalars(query))

    def run(self, run_id: int) -> Run:
        with self.sessions() as s:
            run = s.scalar(
                select(Run)
                .options(
                    selectinload(Run.measurements),
                    selectinload(Run.scores),
                    selectinload(Run.submission),
                )
                .where(Run.id == run_id)
            )
            if run is None:
                raise NotFoundError(f"no run {run_id}")
            return run
