"""Reading results: every shown number is derived here from raw rows of the store."""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import selectinload

from podium.core import CompetitionCore
from podium.errors import NotFoundError, RuleError
from podium.leaderboard import Leaderboard, RunFacts, build_leaderboard
from podium.ranking import RerankRule
from podium.store.models import (
    Measurement,
    Member,
    Run,
    Score,
    Stage,
    Submission,
    Team,
)


class Results(CompetitionCore):
    """Leaderboards, runs and submissions, derived from scores and measurements."""

    def _facts(self, *where: ColumnElement[bool]) -> list[RunFacts]:
        """Facts of scored runs, read with plain column queries: a leaderboard of a thousand
        runs with a hundred scores each must not build a hundred thousand ORM objects."""
        scope = (
            Stage.competition_id == self._competition_id,
            Run.status == "scored",
            *where,
        )
        base = select(Run.id).join(Submission).join(Stage).where(*scope)
        with self.sessions() as s:
            runs = s.execute(
                select(
                    Run.id,
                    Run.hardware,
                    Run.fingerprint,
                    Submission.id,
                    Submission.attempt,
                    Submission.created_at,
                    Team.id,
                    Team.name,
                )
                .join(Submission, Run.submission_id == Submission.id)
                .join(Stage, Submission.stage_id == Stage.id)
                .join(Team, Submission.team_id == Team.id)
                .where(*scope)
                .order_by(Run.id)
            ).all()
            scores: dict[int, dict[tuple[str, str, str], float]] = {}
            for run_id, task, lang, metric, value in s.execute(
                select(Score.run_id, Score.task, Score.language, Score.metric, Score.value).where(
                    Score.run_id.in_(base)
                )
            ):
                scores.setdefault(run_id, {})[(task, lang, metric)] = value
            measures: dict[int, list[tuple[float, float, int]]] = {}
            for run_id, wall, user, system, rss in s.execute(
                select(
                    Measurement.run_id,
                    Measurement.wall_seconds,
                    Measurement.cpu_user_seconds,
                    Measurement.cpu_system_seconds,
                    Measurement.peak_rss_bytes,
                )
                .where(Measurement.run_id.in_(base))
                .order_by(Measurement.run_id, Measurement.repeat)
            ):
                measures.setdefault(run_id, []).append((wall, user + system, rss))
            members: dict[int, list[str]] = {}
            for team_id, name in s.execute(
                select(Member.team_id, Member.name)
                .join(Team)
                .where(Team.competition_id == self._competition_id)
                .order_by(Member.id)
            ):
                members.setdefault(team_id, []).append(name)
        facts = []
        for run_id, hardware, fingerprint, sub_id, attempt, created, team_id, team in runs:
            m = measures.get(run_id, [])
            facts.append(
                RunFacts(
                    team=team,
                    members=tuple(members.get(team_id, ())),
                    submission_id=sub_id,
                    attempt=attempt,
                    run_id=run_id,
                    submitted_at=created,
                    scores=scores.get(run_id, {}),
                    walls=[w for w, _, _ in m],
                    cpu_seconds=sum(c for _, c, _ in m) / max(1, len(m)),
                    peak_rss_bytes=max((r for _, _, r in m), default=0),
                    hardware=hardware,
                    fingerprint=fingerprint,
                )
            )
        return facts

    def _run_facts(self, run_id: int) -> RunFacts | None:
        found = self._facts(Run.id == run_id)
        return found[0] if found else None

    def stage_runs(self, stage: str) -> list[RunFacts]:
        """All scored runs of a stage, oldest first (the attempt history)."""
        with self.sessions() as s:
            self._stage(s, stage)
        return self._facts(Stage.name == stage)

    def results_version(self) -> tuple[object, ...]:
        """Changes whenever anything a leaderboard shows may have changed (for caches)."""
        with self.sessions() as s:
            runs = s.execute(
                select(func.count(Run.id), func.max(Run.id), func.max(Run.finished_at))
                .join(Submission)
                .join(Stage)
                .where(Stage.competition_id == self._competition_id)
            ).one()
            stages = s.execute(
                select(Stage.name, Stage.status, Stage.revealed).where(
                    Stage.competition_id == self._competition_id
                )
            ).all()
            people = s.execute(
                select(func.count(Team.id.distinct()), func.count(Member.id))
                .select_from(Team)
                .outerjoin(Member)
                .where(Team.competition_id == self._competition_id)
            ).one()
        return (tuple(runs), tuple(map(tuple, stages)), tuple(people))

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
