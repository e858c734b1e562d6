"""What the service answers with: frozen read models, made inside the read snapshot that
found them. No ORM object crosses the service boundary, so a front end never follows a
relationship a query did not load, and a board never mixes two moments."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from podium.rules.access import StageFacts
from podium.rules.leaderboard import Aggregate
from podium.service.context import Competition
from podium.store.models import (
    Calibration,
    HallOfFameEntry,
    OutboxMessage,
    Run,
    Stage,
    Submission,
    Team,
)


@dataclass(frozen=True)
class StageState:
    """A stage as it stood in a snapshot, with what the access rules need of it."""

    name: str
    status: str
    split: str
    revealed: bool
    facts: StageFacts


@dataclass(frozen=True)
class TeamInfo:
    name: str
    members: tuple[str, ...]


@dataclass(frozen=True)
class MeasurementInfo:
    """Raw numbers of one timed repeat (a fresh process) of a run's test phase."""

    repeat: int
    wall_seconds: float
    cpu_user_seconds: float
    cpu_system_seconds: float
    peak_rss_bytes: int
    bytes_written: int
    exit_code: int | None
    timed_out: bool
    gpu_energy_joules: float | None
    gpu_peak_memory_bytes: int | None
    cpu_energy_joules: float | None
    idle_cpu_watts: float | None
    idle_gpu_watts: float | None
    energy_note: str | None


@dataclass(frozen=True)
class ScoreInfo:
    task: str
    language: str
    metric: str
    value: float
    count: int


@dataclass(frozen=True)
class RunInfo:
    """A run and its raw record (`podium run --json`; scores only where asked for)."""

    id: int
    submission_id: int
    kind: str  # evaluation | remeasure
    status: str
    error: str | None
    log_tail: str
    worker_id: int | None
    started_at: datetime
    finished_at: datetime | None
    walls: tuple[float, ...]
    enforcement: Mapping[str, Any]
    fingerprint: Mapping[str, Any]
    measurements: tuple[MeasurementInfo, ...]
    scores: tuple[ScoreInfo, ...]  # empty unless asked for
    record: Mapping[str, Any]
    # the canary test (organizers only: never in `record` nor `to_dict`)
    integrity: Mapping[str, Any] | None = None

    def to_dict(self, *, scores: bool = True) -> dict[str, Any]:
        record = dict(self.record)
        if not scores:
            record.pop("scores", None)
        return record


@dataclass(frozen=True)
class SubmissionInfo:
    """A submission with its team's name, its stage and its runs, oldest first."""

    id: int
    team: str
    stage: StageState
    attempt: int | None  # None: cancelled (its attempt given back)
    status: str
    label: str
    sha256: str
    member: str | None
    created_at: datetime
    archive_path: str
    selected_for_final: bool
    platform_failures: int
    runs: tuple[RunInfo, ...]
    record: Mapping[str, Any]
    review: str | None = None  # an organizer's decision: None, "cleared", "disqualified"

    def to_dict(self) -> dict[str, Any]:
        """The one record of a submission, for `--json` and the API."""
        return dict(self.record)

    def latest_run(self) -> RunInfo | None:
        """Its latest evaluation (the one scored): a photo finish's remeasure runs after it
        only time it again."""
        evaluations = [r for r in self.runs if r.kind == "evaluation"] or list(self.runs)
        return evaluations[-1] if evaluations else None


@dataclass(frozen=True)
class FameEntry:
    """A winner in the hall of fame (kept by name: it outlives the competition's rows)."""

    id: int
    competition_name: str
    stage_name: str
    place: int
    team_name: str
    members: str
    score: float
    duration_seconds: float
    run_id: int | None
    recorded_at: datetime

    def to_dict(self) -> dict[str, Any]:
        """The same record for `podium hall-of-fame --json` and the API."""
        return {
            "id": self.id,
            "competition": self.competition_name,
            "stage": self.stage_name,
            "place": self.place,
            "team": self.team_name,
            "members": self.members,
            "score": self.score,
            "duration_seconds": self.duration_seconds,
            "run_id": self.run_id,
            "recorded_at": self.recorded_at.isoformat(),
        }


@dataclass(frozen=True)
class CalibrationInfo:
    """A `podium calibrate` result: the noise of one submission's runs on one machine."""

    hardware: str
    fingerprint: Mapping[str, Any]
    walls: tuple[float, ...]
    repeats: int
    spread: float
    sigma: float
    recommended_gain: float
    configured_gain: float
    created_at: datetime


def calibration_info(row: Calibration) -> CalibrationInfo:
    return CalibrationInfo(
        row.hardware, dict(row.fingerprint), tuple(row.walls), row.repeats, row.spread,
        row.sigma, row.recommended_gain, row.configured_gain, row.created_at,
    )  # fmt: skip


def stage_state(competition: Competition, row: Stage) -> StageState:
    spec = competition.spec.stage(row.name)
    facts = StageFacts(
        name=row.name,
        hidden=spec.leaderboard == "hidden",
        revealed=row.revealed,
        releases_code=spec.release_code,
        closed=row.status == "closed",
    )
    return StageState(row.name, row.status, row.split, row.revealed, facts)


def team_info(row: Team) -> TeamInfo:
    return TeamInfo(row.name, tuple(m.name for m in row.members))


def run_info(row: Run, *, scores: bool = False) -> RunInfo:
    """`row` with its measurements loaded (and its scores, with `scores`)."""
    return RunInfo(
        id=row.id,
        submission_id=row.submission_id,
        kind=row.kind,
        status=row.status,
        error=row.error,
        log_tail=row.log_tail,
        worker_id=row.worker_id,
        started_at=row.started_at,
        finished_at=row.finished_at,
        walls=tuple(m.wall_seconds for m in row.measurements),
        enforcement=dict(row.enforcement),
        fingerprint=dict(row.fingerprint),
        measurements=tuple(MeasurementInfo(**m.to_dict()) for m in row.measurements),
        scores=tuple(ScoreInfo(s.task, s.language, s.metric, s.value, s.count) for s in row.scores)
        if scores
        else (),
        record=row.to_dict(scores=scores),
        integrity=dict(row.integrity) if row.integrity is not None else None,
    )


def submission_info(competition: Competition, row: Submission) -> SubmissionInfo:
    """`row` with its team, stage and runs (and their measurements) loaded."""
    return SubmissionInfo(
        id=row.id,
        team=row.team.name,
        stage=stage_state(competition, row.stage),
        attempt=row.number,
        status=row.status,
        label=row.label,
        sha256=row.sha256,
        member=row.member,
        created_at=row.created_at,
        archive_path=row.archive_path,
        selected_for_final=row.selected_for_final,
        platform_failures=row.platform_failures,
        runs=tuple(run_info(r) for r in row.runs),
        record=row.to_dict(),
        review=row.review,
    )


def fame_entry(row: HallOfFameEntry) -> FameEntry:
    return FameEntry(
        id=row.id,
        competition_name=row.competition_name,
        stage_name=row.stage_name,
        place=row.place,
        team_name=row.team_name,
        members=row.members,
        score=row.score,
        duration_seconds=row.duration_seconds,
        run_id=row.run_id,
        recorded_at=row.recorded_at,
    )


@dataclass(frozen=True)
class TeamResults:
    """A team's page, read in one snapshot: members, submissions (oldest first) with their
    places in the queue, and the derived numbers of their scored runs."""

    team: TeamInfo
    submissions: tuple[SubmissionInfo, ...]
    queue: Mapping[int, int]  # submission id -> place in the queue (1: running or next)
    aggregates: Mapping[int, Aggregate]  # run id -> overall, task scores, duration


@dataclass(frozen=True)
class NewsItem:
    """A piece of news in the outbox, for one destination (as competition.toml writes it)."""

    id: int
    kind: str
    team: str | None
    stage: str | None
    destination: str
    title: str
    body: str
    data: Mapping[str, Any]
    status: str  # pending | sent | failed
    tries: int
    created_at: datetime
    next_try_at: datetime
    sent_at: datetime | None
    last_error: str | None


def news_item(row: OutboxMessage) -> NewsItem:
    return NewsItem(
        row.id, row.kind, row.team, row.stage, row.destination, row.title, row.body,
        dict(row.data), row.status, row.tries, row.created_at, row.next_try_at, row.sent_at,
        row.last_error,
    )  # fmt: skip
