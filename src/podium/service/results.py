"""Reading results: every shown number is derived here from raw rows of the store."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy import Row as SqlRow
from sqlalchemy.orm import Session, selectinload

from podium.config.spec import lower_is_better_tasks
from podium.core.errors import RuleError, SpecError
from podium.rules.closing import CloseReport
from podium.rules.efficiency import Noise
from podium.rules.leaderboard import (
    Aggregate,
    BoardSettings,
    Combine,
    Leaderboard,
    RunFacts,
    Timing,
    aggregate,
    build_leaderboard,
)
from podium.rules.ranking import RerankRule
from podium.service.context import Competition
from podium.service.reads import (
    CalibrationInfo,
    RunInfo,
    TeamResults,
    calibration_info,
    run_info,
    team_info,
)
from podium.service.reference import ReferenceClock
from podium.service.setup import Setup
from podium.service.submissions import queue_in, submissions_in
from podium.store.models import (
    Calibration,
    Measurement,
    Member,
    Run,
    Score,
    Stage,
    Submission,
    Team,
    TrainingJob,
)

Measures = dict[int, list[tuple[float, float, int]]]  # run -> (wall, cpu, peak rss) per repeat


log = logging.getLogger("podium.results")


class Results:
    """Leaderboards, runs and their aggregates, derived from scores and measurements."""

    def __init__(self, competition: Competition, setup: Setup) -> None:
        self.c, self.setup = competition, setup

    def facts(self, *where: ColumnElement[bool]) -> list[RunFacts]:
        """Facts of scored runs (one read snapshot)."""
        with self.c.sessions() as s:
            return self.facts_in(s, *where)

    def facts_in(self, s: Session, *where: ColumnElement[bool]) -> list[RunFacts]:
        """Facts of scored runs in `s`'s snapshot, read with plain column queries: a
        leaderboard of a thousand runs with a hundred scores each must not build a hundred
        thousand ORM objects."""
        scored = (
            Stage.competition_id == self.c.id,
            Run.status == "scored",
            Submission.review.is_distinct_from("disqualified"),  # a review took it off
        )
        scope = (*scored, Run.kind == "evaluation", *where)
        chosen = select(Run.id).join(Submission).join(Stage).where(*scope)
        remeasured = (
            select(Run.id).join(Submission).join(Stage).where(*scored, Run.kind == "remeasure")
        )
        runs = s.execute(_run_columns().where(*scope).order_by(Run.id)).all()
        scores = _scores(s, chosen)
        measures = _measures(s, chosen)
        extra = _measures(s, remeasured, by_submission=True)
        members = self._members(s)
        energy = _energies(s, chosen)
        extra_energy = _energies(s, remeasured, by_submission=True)
        remeasure_runs: dict[int, int] = {
            sub_id: count
            for sub_id, count in s.execute(
                select(Run.submission_id, func.count(Run.id))
                .where(Run.id.in_(remeasured))
                .group_by(Run.submission_id)
            )
        }
        facts = [
            _facts(row, scores.get(row[0], {}), measures.get(row[0], []),
                   extra.get(row[3], []), remeasure_runs.get(row[3], 0), members)
            for row in runs
        ]  # fmt: skip
        return [
            _with_energy(f, energy.get(f.run_id, []) + extra_energy.get(f.submission_id, []))
            for f in facts
        ]

    def run_facts(self, run_id: int) -> RunFacts | None:
        found = self.facts(Run.id == run_id)
        return found[0] if found else None

    def team(self, name: str) -> TeamResults:
        """A team's page in one read snapshot (NotFoundError for an unknown team)."""
        with self.c.sessions() as s:
            row = self.c.team_row(s, name)
            team = team_info(row)
            subs = tuple(submissions_in(self.c, s, name))
            queue = queue_in(self.c, s)
            facts = self.facts_in(s, Submission.team_id == row.id)
        metrics, combine = self.c.metrics(), self.combine()
        return TeamResults(
            team=team,
            submissions=subs,
            queue={sub.id: queue[sub.id] for sub in subs if sub.id in queue},
            aggregates={f.run_id: aggregate(f, metrics, combine=combine) for f in facts},
        )

    def run_aggregate(self, run_id: int) -> Aggregate | None:
        """A scored run's overall, task scores and duration, derived from its raw rows."""
        facts = self.run_facts(run_id)
        return None if facts is None else aggregate(facts, self.c.metrics(), combine=self.combine())

    def stage_runs(self, stage: str, *, until: datetime | None = None) -> list[RunFacts]:
        """All scored runs of a stage, oldest first (the attempt history); `until`: only
        those finished by then (the stage as it stood at that moment)."""
        with self.c.sessions() as s:
            return self.stage_runs_in(s, stage, until=until)

    def stage_runs_in(
        self, s: Session, stage: str, *, until: datetime | None = None
    ) -> list[RunFacts]:
        self.c.stage_row(s, stage)
        if until is None:
            return self.facts_in(s, Stage.name == stage)
        return self.facts_in(s, Stage.name == stage, Run.finished_at <= until)

    def leaderboard(
        self,
        stage: str | None = None,
        *,
        organizer: bool = False,
        rule: RerankRule | None = None,
        until: datetime | None = None,
    ) -> Leaderboard:
        """A stage's leaderboard; hidden stages only for organizers until revealed. Another
        `rule` replays the stored measurements under it (what-if); nothing is stored.
        `until`: the board the runs finished by then made (the huddle view's past). One read
        snapshot: the board never mixes rows from before and after a commit."""
        with self.c.sessions() as s:
            stage = stage or self.shown_stage(s)
            row = self.c.stage_row(s, stage)
            hidden = self.c.spec.stage(stage).leaderboard == "hidden" and not row.revealed
            if hidden and not organizer:
                raise RuleError(
                    f"the results of stage {stage!r} are hidden until revealed",
                    hint="the organizer reveals them with `podium final reveal`",
                )
            runs = self.stage_runs_in(s, stage, until=until)
            closing = row.close_report if until is None else None
            return self.build(s, stage, row.status, runs, rule=rule, closing=closing)

    def build(
        self,
        s: Session,
        stage: str,
        status: str,
        runs: Sequence[RunFacts],
        *,
        rule: RerankRule | None = None,
        closing: dict[str, Any] | None = None,
    ) -> Leaderboard:
        """The board these runs make, with the teams and timing read in `s`'s snapshot."""
        teams = s.scalars(self.c.scoped(select(Team.name), via=Team).order_by(Team.id))
        timing = self.timing_in(s)
        return self.board_of(stage, status, runs, list(teams), timing, rule=rule,
                             closing=closing, training=self.training_in(s))  # fmt: skip

    def board_of(
        self,
        stage: str,
        status: str,
        runs: Sequence[RunFacts],
        teams: list[str],
        timing: Timing,
        *,
        rule: RerankRule | None = None,
        closing: dict[str, Any] | None = None,
        training: Mapping[str, float] | None = None,
    ) -> Leaderboard:
        """The board from facts already read (pure: no store); `closing`: the stored report of
        what making it final did, shown on the board made final; `training`: billed training
        CPU seconds per team, where the rule shows or uses them."""
        board = build_leaderboard(
            self.settings(rule), stage=stage, status=status, runs=list(runs), teams=teams,
            timing=timing, training=training,
        )  # fmt: skip
        if closing:  # the board made final shows what its close did
            board = replace(board, closing=tuple(CloseReport.from_dict(closing).lines()))
        _check_words(board)
        return board

    def settings(self, rule: RerankRule | None = None) -> BoardSettings:
        """What every board of this competition is made with (`rule`: another one, for a
        what-if)."""
        board = self.c.spec.leaderboard
        return BoardSettings(
            self.c.spec.name, self.c.metrics(), self.c.spec.hardware, rule or self.rule(),
            self.combine(), board.references, board.columns,
        )  # fmt: skip

    def combine(self) -> Combine:
        board = self.c.spec.leaderboard
        errors = lower_is_better_tasks(self.c.spec, self.c.registry)
        return Combine(board.aggregate, board.weights, errors)

    def what_if(
        self,
        stage: str,
        *,
        gap: float | None = None,
        gain: float | None = None,
        bonus: Sequence[int] | None = None,
        confidence: float | None = None,
    ) -> tuple[Leaderboard, Leaderboard]:
        """The stage under the published rule and under one with these parameters replaced:
        the same stored measurements replayed; nothing is stored (organizers only)."""
        published = self.leaderboard(stage, organizer=True)
        base = self.rule()
        try:
            rule = RerankRule(
                bonus_places=tuple(bonus) if bonus is not None else base.bonus_places,
                max_score_gap=base.max_score_gap if gap is None else gap,
                min_efficiency_gain=base.min_efficiency_gain if gain is None else gain,
                confidence=base.confidence if confidence is None else confidence,
                higher_is_better=base.higher_is_better,
            )
        except ValueError as err:
            raise SpecError(
                f"not a rule: {err}", hint="e.g. bonus 3,2,1, gap 8, gain 0.1"
            ) from None
        return published, self.leaderboard(stage, organizer=True, rule=rule)

    def rule(self) -> RerankRule:
        """The published rule, as competition.toml states it."""
        rr, eff = self.c.spec.reranking, self.c.spec.efficiency
        return RerankRule(
            tuple(rr.bonus_places),
            rr.max_score_gap,
            rr.min_efficiency_gain,
            eff.confidence,
            higher_is_better=self.c.higher_is_better(),
            training_tiebreak=rr.training_compute == "tiebreak",
        )

    def training_in(self, s: Session) -> dict[str, float] | None:
        """Training CPU seconds billed per team, read in `s`; None (no column) when the rule
        does not use them (`[reranking] training_compute = "off"`) and no `[budget]` limits
        any team: a board without training jobs stays as it always was."""
        spec = self.c.spec
        if spec.reranking.training_compute == "off" and not spec.budget.limited:
            return None
        query = self.c.scoped(
            select(Team.name, func.coalesce(func.sum(TrainingJob.cpu_seconds), 0.0))
            .join(TrainingJob, TrainingJob.team_id == Team.id)
            .group_by(Team.name),
            via=Team,
        )
        return {name: float(seconds or 0.0) for name, seconds in s.execute(query)}

    def timing(self) -> Timing:
        """The figure compared, the noise assumed or calibrated here, and the warnings."""
        with self.c.sessions() as s:
            return self.timing_in(s)

    def timing_in(self, s: Session) -> Timing:
        eff, gain = self.c.spec.efficiency, self.c.spec.reranking.min_efficiency_gain
        calibration = self.calibration_in(s)
        warnings: tuple[str, ...] = ()
        if calibration is not None and gain < calibration.recommended_gain:
            warnings = (
                f"min_efficiency_gain {gain:.3f} is below the noise calibrated on "
                f"{calibration.hardware!r} ({calibration.created_at:%Y-%m-%d}): noise alone "
                f"crosses {gain:.1%} in more than 1% of comparisons; the calibration "
                f"recommends {calibration.recommended_gain:.3f}",
            )
        calibrated = (
            Noise(calibration.sigma, len(calibration.walls) - 1,
                  f"the calibration of {calibration.created_at:%Y-%m-%d}")
            if calibration is not None and len(calibration.walls) > 1
            else None
        )  # fmt: skip
        return Timing(
            metric=eff.metric,
            assumed=Noise(eff.noise_prior, 4, "the assumed noise (noise_prior; no calibration)"),
            calibrated=calibrated,
            photo_finish_runs=eff.photo_finish_runs,
            photo_finish_max_runs=eff.photo_finish_max_runs,
            warnings=warnings,
            reference_seconds=ReferenceClock(self.c).seconds(s),
        )

    def calibration(self) -> CalibrationInfo | None:
        """The latest stored calibration of this competition's hardware label."""
        with self.c.sessions() as s:
            return self.calibration_in(s)

    def calibration_in(self, s: Session) -> CalibrationInfo | None:
        query = self.c.scoped(
            select(Calibration).where(Calibration.hardware == self.c.spec.hardware),
            via=Calibration,
        )
        row = s.scalars(query.order_by(Calibration.id.desc())).first()
        return None if row is None else calibration_info(row)

    def run(self, run_id: int) -> RunInfo:
        """One run of this competition (never another's that shares the store)."""
        with self.c.sessions() as s:
            run = self.c.run_row(s, run_id)
            row = s.scalars(
                select(Run)
                .options(
                    selectinload(Run.measurements),
                    selectinload(Run.scores),
                    selectinload(Run.submission),
                )
                .where(Run.id == run.id)
            ).one()
            return run_info(row, scores=True)

    def shown_stage(self, s: Session) -> str:
        """The open stage, else the last one that was open, else the first."""
        latest = s.scalars(
            self.c.scoped(select(Stage).where(Stage.status != "pending")).order_by(
                Stage.position.desc()
            )
        ).first()
        return latest.name if latest else self.c.spec.stages[0].name

    def _members(self, s: Session) -> dict[int, list[str]]:
        members: dict[int, list[str]] = {}
        query = self.c.scoped(select(Member.team_id, Member.name).join(Team), via=Team)
        for team_id, name in s.execute(query.order_by(Member.id)):
            members.setdefault(team_id, []).append(name)
        return members


RunColumns = Select[int, str, dict[str, Any], int, int, datetime, int, str]


def _run_columns() -> RunColumns:
    return (
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
    )


def _scores(s: Session, runs: Select[int]) -> dict[int, dict[tuple[str, str, str], float]]:
    scores: dict[int, dict[tuple[str, str, str], float]] = {}
    query = select(Score.run_id, Score.task, Score.language, Score.metric, Score.value)
    for run_id, task, lang, metric, value in s.execute(query.where(Score.run_id.in_(runs))):
        scores.setdefault(run_id, {})[(task, lang, metric)] = value
    return scores


def _measures(s: Session, runs: Select[int], *, by_submission: bool = False) -> Measures:
    """(wall, cpu, peak memory) of every repeat, by run (or by submission: re-measurements)."""
    measures: Measures = {}
    key = Run.submission_id if by_submission else Measurement.run_id
    query = (
        select(
            key,
            Measurement.wall_seconds,
            Measurement.cpu_user_seconds + Measurement.cpu_system_seconds,
            Measurement.peak_rss_bytes,
        )
        .join(Run, Measurement.run_id == Run.id)
        .where(Measurement.run_id.in_(runs))
        .order_by(Measurement.run_id, Measurement.repeat)
    )
    for owner, wall, cpu, rss in s.execute(query):
        measures.setdefault(owner, []).append((wall, cpu, rss))
    return measures


def _facts(
    row: SqlRow[int, str, dict[str, Any], int, int, datetime, int, str],
    scores: dict[tuple[str, str, str], float],
    measured: list[tuple[float, float, int]],
    remeasured: list[tuple[float, float, int]],
    remeasure_runs: int,
    members: dict[int, list[str]],
) -> RunFacts:
    """A run's facts; its submission's re-measurements join its samples (never its walls)."""
    run_id, hardware, fingerprint, sub_id, attempt, created, team_id, team = row
    both = measured + remeasured
    return RunFacts(
        team=team,
        members=tuple(members.get(team_id, ())),
        submission_id=sub_id,
        attempt=attempt,
        run_id=run_id,
        submitted_at=created,
        scores=scores,
        walls=[w for w, _, _ in measured],
        cpu_seconds=sum(c for _, c, _ in measured) / max(1, len(measured)),
        peak_rss_bytes=max((r for _, _, r in measured), default=0),
        hardware=hardware,
        fingerprint=fingerprint,
        samples={"wall_time": [w for w, _, _ in both], "cpu_time": [c for _, c, _ in both]},
        remeasures=remeasure_runs,
    )


Energies = dict[int, list[tuple[float | None, float | None]]]  # owner -> (cpu, gpu) joules


def _energies(s: Session, runs: Select[int], *, by_submission: bool = False) -> Energies:
    """Net CPU and GPU joules of every repeat, by run (or by submission: re-measurements)."""
    energies: Energies = {}
    key = Run.submission_id if by_submission else Measurement.run_id
    query = (
        select(key, Measurement.cpu_energy_joules, Measurement.gpu_energy_joules)
        .join(Run, Measurement.run_id == Run.id)
        .where(Measurement.run_id.in_(runs))
        .order_by(Measurement.run_id, Measurement.repeat)
    )
    for owner, cpu, gpu in s.execute(query):
        energies.setdefault(owner, []).append((cpu, gpu))
    return energies


def _energy_samples(repeats: list[tuple[float | None, float | None]]) -> list[float] | None:
    """CPU + GPU joules per repeat, or None unless every repeat read at least one counter
    (a figure missing for one repeat is not a zero)."""
    if not repeats or any(cpu is None and gpu is None for cpu, gpu in repeats):
        return None
    return [(cpu or 0.0) + (gpu or 0.0) for cpu, gpu in repeats]


def _with_energy(facts: RunFacts, repeats: list[tuple[float | None, float | None]]) -> RunFacts:
    """The run's facts with its energy samples, where every repeat measured energy."""
    samples = _energy_samples(repeats)
    if samples is None:
        return facts
    return replace(facts, samples={**facts.samples, "energy": samples})


def _check_words(board: Leaderboard) -> None:
    """A sentence that disagrees with its numbers is a bug: logged, and fatal where
    PODIUM_STRICT_WORDS is set (the test suite sets it for every board it builds)."""
    if not board.word_mismatches:
        return
    log.error("leaderboard %s: %s", board.stage, "; ".join(board.word_mismatches))
    if os.environ.get("PODIUM_STRICT_WORDS"):
        raise AssertionError("; ".join(board.word_mismatches))
