"""Tables of the store. Raw facts only: scores per language and raw measurements per run;
task means, overall scores, durations and ranks are derived from them when shown."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    true,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from podium.core.escapes import storable

# Ids (a request may name any 64-bit id) and byte counts (a model's peak memory passes 2 GiB)
# are 64-bit on PostgreSQL, where INTEGER is 32-bit; SQLite's INTEGER is 64-bit already, so its
# stores keep their columns and rowid primary keys. A bare `Mapped[int]` (ids, foreign keys) is one.
Id = Bytes = BigInteger().with_variant(Integer(), "sqlite")


class _Escaped(TypeDecorator[str]):
    """Text a submission produced, or that quotes it (a log, a failure's reason, the news of
    it): NUL and lone surrogates are escaped on the way in, so that both stores take it
    (PostgreSQL refuses NUL; no UTF-8 encodes a surrogate). The one point where such text
    becomes safe to keep, whichever path (evaluator, worker report, news) brought it."""

    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        text = storable(value)
        length = getattr(self.impl_instance, "length", None)
        return text[:length] if length else text  # escapes make it longer


class StoredText(_Escaped):
    impl = Text
    cache_ok = True


class StoredString(_Escaped):
    """The same for a column of bounded length (cut after escaping)."""

    impl = String
    cache_ok = True


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        int: Id,
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class Competition(Base):
    __tablename__ = "competitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    root: Mapped[str] = mapped_column(Text)
    spec_text: Mapped[str] = mapped_column(Text)
    spec_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    teams: Mapped[list[Team]] = relationship(back_populates="competition", order_by="Team.id")
    stages: Mapped[list[Stage]] = relationship(
        back_populates="competition", order_by="Stage.position"
    )


class Team(Base):
    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("competition_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    competition_id: Mapped[int] = mapped_column(ForeignKey("competitions.id"))
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    competition: Mapped[Competition] = relationship(back_populates="teams")
    members: Mapped[list[Member]] = relationship(back_populates="team", order_by="Member.id")


class Member(Base):
    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("team_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    name: Mapped[str] = mapped_column(String(200))

    team: Mapped[Team] = relationship(back_populates="members")


class Stage(Base):
    __tablename__ = "stages"
    __table_args__ = (UniqueConstraint("competition_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    competition_id: Mapped[int] = mapped_column(ForeignKey("competitions.id"))
    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer)
    split: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending|open|closed
    revealed: Mapped[bool] = mapped_column(Boolean, default=False)
    opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # what publishing its results did (podium.rules.closing.CloseReport.to_dict); None: not yet
    close_report: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)

    competition: Mapped[Competition] = relationship(back_populates="stages")


class Submission(Base):
    """One attempt of a team in a stage; the unique attempt number is the reservation."""

    __tablename__ = "submissions"
    __table_args__ = (
        UniqueConstraint("team_id", "stage_id", "attempt"),
        Index("uq_submissions_team_key", "team_id", "idempotency_key", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    stage_id: Mapped[int] = mapped_column(ForeignKey("stages.id"))
    # 1, 2, ... among the team's submissions of the stage that count; a cancelled one gives
    # its number back (it keeps -id, unique, and the later ones move down: 0024)
    attempt: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    archive_path: Mapped[str] = mapped_column(Text)
    # queued -> running -> scored | failed; a platform fault puts it back to queued, and
    # after MAX_PLATFORM_RETRIES of them in a row to attention (an organizer looks; the
    # attempt stays reserved, never consumed, until a re-run ends it)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    platform_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    label: Mapped[str] = mapped_column(String(200), default="")
    source_submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"))
    selected_for_final: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # with workers: when its task went to the broker (None: not sent since it was queued)
    dispatched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # who sent it, by a personal token (None: a team-wide token, the CLI, or older rows); a
    # name, not a link, so it stays true after the member leaves the team
    member: Mapped[str | None] = mapped_column(String(200))
    # an organizer's last decision on its flags (0017): None, "cleared" or "disqualified"
    # (off every board); the decisions themselves are rows of `reviews`
    review: Mapped[str | None] = mapped_column(String(20))
    # the client's key of one upload (`podium submit --server`): sent again after a dropped
    # connection, it finds this submission instead of spending a second attempt (0019)
    idempotency_key: Mapped[str | None] = mapped_column(String(64))

    team: Mapped[Team] = relationship()
    stage: Mapped[Stage] = relationship()
    runs: Mapped[list[Run]] = relationship(back_populates="submission", order_by="Run.id")
    reviews: Mapped[list[Review]] = relationship(order_by="Review.id", viewonly=True)

    @property
    def number(self) -> int | None:
        """The attempt it is, as teams count them (None: cancelled, its attempt given back)."""
        return self.attempt if self.attempt > 0 else None

    def to_dict(self) -> dict[str, Any]:
        """The one record of a submission (team and stage loaded), for `--json` and the API.
        A disqualification is in it, with its reason (the team is told); flags and a
        clearing never are (teams are not tipped off)."""
        record = self._record()
        if self.review == "disqualified":  # rare: its reviews are read only then
            record["disqualified"] = {"reason": self.reviews[-1].reason if self.reviews else ""}
        return record

    def _record(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "team": self.team.name,
            "stage": self.stage.name,
            "attempt": self.number,
            "status": self.status,
            "sha256": self.sha256,
            "label": self.label,
            "member": self.member,
            "created_at": self.created_at.isoformat(),
            "platform_failures": self.platform_failures,
            "runs": [{"id": r.id, "status": r.status, "error": r.error} for r in self.runs],
        }


class Run(Base):
    """One evaluation of a submission: what ran, on what, and how it ended."""

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"))
    # running | scored | failed (the submission's fault) | platform_error (ours; retried)
    status: Mapped[str] = mapped_column(String(20), default="running")
    # evaluation (the attempt's run) | remeasure (a photo finish: timing only, no attempt)
    kind: Mapped[str] = mapped_column(String(20), default="evaluation", server_default="evaluation")
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(StoredText)
    log_tail: Mapped[str] = mapped_column(StoredText, default="")
    hardware: Mapped[str] = mapped_column(String(100), default="")
    fingerprint: Mapped[dict[str, Any]] = mapped_column(default=dict)
    submission_sha256: Mapped[str] = mapped_column(String(64), default="")
    inputs_sha256: Mapped[str] = mapped_column(String(64), default="")
    harness_seconds: Mapped[float | None] = mapped_column(Float)
    # limit -> what enforced it (cgroup, rlimit, tmpfs...), as the harness reported it
    enforcement: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    # on a worker: who holds the run, and until when (renewed by heartbeats)
    worker_id: Mapped[int | None] = mapped_column(
        ForeignKey("workers.id", name="fk_runs_worker_id")
    )
    lease: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # the canary test of a scored run: {"verdict": "clean" | "suspect" | "unknown",
    # "canaries": n, "gap": ..., "p_value": ...}; organizers only, never in `to_dict`
    integrity: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)

    submission: Mapped[Submission] = relationship(back_populates="runs")
    measurements: Mapped[list[Measurement]] = relationship(
        back_populates="run", order_by="Measurement.repeat"
    )
    scores: Mapped[list[Score]] = relationship(back_populates="run", order_by="Score.id")

    def to_dict(self, *, scores: bool = True) -> dict[str, Any]:
        """The one record of a run (measurements loaded, scores too unless `scores=False`),
        for `podium run --json` and the API: every raw number, nothing derived."""
        record: dict[str, Any] = {
            "id": self.id,
            "submission": self.submission_id,
            "status": self.status,
            "error": self.error,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "hardware": self.hardware,
            "fingerprint": self.fingerprint,
            "submission_sha256": self.submission_sha256,
            "inputs_sha256": self.inputs_sha256,
            "harness_seconds": self.harness_seconds,
            "enforcement": self.enforcement,
            "measurements": [m.to_dict() for m in self.measurements],
        }
        if scores:
            record["scores"] = [
                {"task": s.task, "language": s.language, "metric": s.metric,
                 "value": s.value, "count": s.count}
                for s in self.scores
            ]  # fmt: skip
        return record


class Measurement(Base):
    """Raw numbers of one timed repeat (a fresh process) of a run's test phase."""

    __tablename__ = "measurements"
    __table_args__ = (UniqueConstraint("run_id", "repeat"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    repeat: Mapped[int] = mapped_column(Integer)
    wall_seconds: Mapped[float] = mapped_column(Float)
    cpu_user_seconds: Mapped[float] = mapped_column(Float)
    cpu_system_seconds: Mapped[float] = mapped_column(Float)
    peak_rss_bytes: Mapped[int] = mapped_column(Bytes)
    bytes_written: Mapped[int] = mapped_column(Bytes, default=0)
    exit_code: Mapped[int | None] = mapped_column(Integer)
    timed_out: Mapped[bool] = mapped_column(Boolean, default=False)
    gpu_energy_joules: Mapped[float | None] = mapped_column(Float)
    gpu_peak_memory_bytes: Mapped[int | None] = mapped_column(Bytes)
    # net of the idle power measured just before the repeat; None: no counter (energy_note)
    cpu_energy_joules: Mapped[float | None] = mapped_column(Float)
    idle_cpu_watts: Mapped[float | None] = mapped_column(Float)
    idle_gpu_watts: Mapped[float | None] = mapped_column(Float)
    energy_note: Mapped[str | None] = mapped_column(StoredText)

    run: Mapped[Run] = relationship(back_populates="measurements")

    def to_dict(self) -> dict[str, Any]:
        return {
            "repeat": self.repeat,
            "wall_seconds": self.wall_seconds,
            "cpu_user_seconds": self.cpu_user_seconds,
            "cpu_system_seconds": self.cpu_system_seconds,
            "peak_rss_bytes": self.peak_rss_bytes,
            "bytes_written": self.bytes_written,
            "exit_code": self.exit_code,
            "timed_out": self.timed_out,
            "gpu_energy_joules": self.gpu_energy_joules,
            "gpu_peak_memory_bytes": self.gpu_peak_memory_bytes,
            "cpu_energy_joules": self.cpu_energy_joules,
            "idle_cpu_watts": self.idle_cpu_watts,
            "idle_gpu_watts": self.idle_gpu_watts,
            "energy_note": self.energy_note,
        }


class Score(Base):
    """One metric of one task and language: the raw unit every shown score derives from."""

    __tablename__ = "scores"
    __table_args__ = (UniqueConstraint("run_id", "task", "language", "metric"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    task: Mapped[str] = mapped_column(String(50))
    language: Mapped[str] = mapped_column(String(20))
    metric: Mapped[str] = mapped_column(String(50))
    value: Mapped[float] = mapped_column(Float)
    count: Mapped[int] = mapped_column(Integer, default=0)

    run: Mapped[Run] = relationship(back_populates="scores")


class HallOfFameEntry(Base):
    """Winners, kept by name so they outlive the competition's other rows."""

    __tablename__ = "hall_of_fame"
    __table_args__ = (UniqueConstraint("competition_name", "stage_name", "place"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    competition_name: Mapped[str] = mapped_column(String(200))
    stage_name: Mapped[str] = mapped_column(String(100))
    place: Mapped[int] = mapped_column(Integer)
    team_name: Mapped[str] = mapped_column(String(100))
    members: Mapped[str] = mapped_column(Text, default="")
    score: Mapped[float] = mapped_column(Float)
    duration_seconds: Mapped[float] = mapped_column(Float)
    run_id: Mapped[int | None] = mapped_column(Id)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

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


class Calibration(Base):
    """A `podium calibrate` result: the noise of one submission's runs on one machine."""

    __tablename__ = "calibrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    competition_id: Mapped[int] = mapped_column(ForeignKey("competitions.id"))
    hardware: Mapped[str] = mapped_column(String(100))
    fingerprint: Mapped[dict[str, Any]] = mapped_column(default=dict)
    walls: Mapped[list[Any]] = mapped_column(default=list)  # every run's wall seconds
    repeats: Mapped[int] = mapped_column(Integer)
    spread: Mapped[float] = mapped_column(Float)
    sigma: Mapped[float] = mapped_column(Float)  # sd of log(wall) per run
    recommended_gain: Mapped[float] = mapped_column(Float)
    configured_gain: Mapped[float] = mapped_column(Float)
    # the baseline's canary pairs and the lean they recommend (`integrity.LeanReport`)
    integrity: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ReferenceTiming(Base):
    """The reference workload timed on an evaluator: the clock durations are read against."""

    __tablename__ = "reference_timings"

    id: Mapped[int] = mapped_column(primary_key=True)
    competition_id: Mapped[int] = mapped_column(ForeignKey("competitions.id"))
    hardware: Mapped[str] = mapped_column(String(100))
    fingerprint: Mapped[dict[str, Any]] = mapped_column(default=dict)
    wall_seconds: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AccessToken(Base):
    """A sign-in token of an organizer, a team or one member of it (personal); only its
    sha256 is kept."""

    __tablename__ = "access_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    competition_id: Mapped[int] = mapped_column(ForeignKey("competitions.id"))
    role: Mapped[str] = mapped_column(String(20))  # organizer | team | worker
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", name="fk_access_tokens_member_id")
    )
    label: Mapped[str] = mapped_column(String(200), default="")
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    team: Mapped[Team | None] = relationship()
    member: Mapped[Member | None] = relationship()


class WebSession(Base):
    """A browser signed in with a token: the cookie's key as sha256, and when it ends.
    Signing out deletes the row; a revoked token or a removed member ends it too."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    competition_id: Mapped[int] = mapped_column(ForeignKey("competitions.id"))
    token_id: Mapped[int] = mapped_column(ForeignKey("access_tokens.id"), index=True)
    key_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Worker(Base):
    """A machine that evaluates for a competition (`podium worker`), known by its token."""

    __tablename__ = "workers"
    __table_args__ = (UniqueConstraint("competition_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    competition_id: Mapped[int] = mapped_column(ForeignKey("competitions.id"))
    name: Mapped[str] = mapped_column(String(200))
    token_id: Mapped[int] = mapped_column(ForeignKey("access_tokens.id"))
    hardware: Mapped[str] = mapped_column(String(100))
    fingerprint: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # its fingerprint matches the first worker of its label; if not, its runs are not compared
    alike: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_heartbeat: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    current_run_id: Mapped[int | None] = mapped_column()
    runs_done: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class LateReport(Base):
    """A result that arrived from a worker without the run's lease: recorded, never used."""

    __tablename__ = "late_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id"))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    reason: Mapped[str] = mapped_column(StoredText)


class OutboxMessage(Base):
    """A piece of news for one destination (an Apprise URL as written in competition.toml,
    `${ENV_VAR}`s unexpanded), kept until sent or given up, so no restart loses it."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    competition_id: Mapped[int] = mapped_column(ForeignKey("competitions.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    team: Mapped[str | None] = mapped_column(String(200))  # None: everyone's channel
    stage: Mapped[str | None] = mapped_column(String(100))
    destination: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(StoredString(300))  # news of a run quote its reason
    body: Mapped[str] = mapped_column(StoredText)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # sent | failed
    tries: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    next_try_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(StoredText)


class Question(Base):
    """A question on a competition's board. Its author (token, and team for a team's token)
    is kept even when it was asked anonymously: for audit only, never shown."""

    __tablename__ = "questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    competition_id: Mapped[int] = mapped_column(ForeignKey("competitions.id"), index=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("access_tokens.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # asked, answered, reopened: the board's order after the pinned ones
    active_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    team: Mapped[Team | None] = relationship()
    answers: Mapped[list[Answer]] = relationship(back_populates="question", order_by="Answer.id")


class Answer(Base):
    """An answer to a question, by anyone signed in; never anonymous."""

    __tablename__ = "answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), index=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("access_tokens.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    team: Mapped[Team | None] = relationship()
    question: Mapped[Question] = relationship(back_populates="answers")


class BoardRevision(Base):
    """Two rows per store: numbers raised in the same transaction as every write that may
    change a board (row 1) or what a read-only command shows (row 2; `store/revision.py`), so
    a server serves a cached board, and a command the output it kept, while they stay."""

    __tablename__ = "board_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class AuditEvent(Base):
    """What a person decided that changes a team's standing beyond a submission: attempts
    granted (with `count`), a queued submission cancelled, a final choice. Never edited:
    the trail the team page and `podium attempts list` show."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    competition_id: Mapped[int] = mapped_column(ForeignKey("competitions.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))  # attempts_granted | cancelled | final_chosen
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    stage: Mapped[str | None] = mapped_column(String(100))
    submission_id: Mapped[int | None] = mapped_column(Id)
    count: Mapped[int] = mapped_column(Integer, default=0)
    actor: Mapped[str] = mapped_column(StoredString(300), default="")  # who, as shown
    reason: Mapped[str] = mapped_column(StoredText, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SubmissionFlag(Base):
    """Something an organizer should look at (0017): sealed text in the archive, an archive
    or code file shared with another team. Shown to organizers only."""

    __tablename__ = "submission_flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))  # sealed-text | identical | similar
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CodePrint(Base):
    """One winnowed fingerprint of one code file of a submission (0017): the index that finds
    near-identical files across teams at intake."""

    __tablename__ = "code_prints"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    path: Mapped[str] = mapped_column(StoredString(300))
    value: Mapped[int] = mapped_column(BigInteger, index=True)


class Review(Base):
    """An organizer's decision on a submission (0017): the audit trail of reviews."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    decision: Mapped[str] = mapped_column(String(20))  # cleared | disqualified
    reason: Mapped[str] = mapped_column(StoredText, default="")
    by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TrainingJob(Base):
    """One training job of a team: its command run in the sandbox on the public data, what it
    used (billed once, when it ends) and where its output folder was kept."""

    __tablename__ = "training_jobs"
    __table_args__ = (Index("ix_training_jobs_team", "team_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    hardware: Mapped[str] = mapped_column(String(100))
    command: Mapped[str] = mapped_column(StoredText)
    sha256: Mapped[str] = mapped_column(String(64))
    archive_path: Mapped[str] = mapped_column(Text)
    # queued -> running -> done | failed | stopped (budget or time limit) | cancelled;
    # a platform fault (a worker lost) puts it back to queued, nothing billed
    status: Mapped[str] = mapped_column(String(20), default="queued")
    message: Mapped[str | None] = mapped_column(StoredText)
    member: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    dispatched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # measured use, billed when the job ends (None: not billed yet)
    cpu_seconds: Mapped[float | None] = mapped_column(Float)
    gpu_seconds: Mapped[float | None] = mapped_column(Float)
    energy_joules: Mapped[float | None] = mapped_column(Float)
    wall_seconds: Mapped[float | None] = mapped_column(Float)
    artifact_bytes: Mapped[int | None] = mapped_column(Bytes)
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id"))
    lease: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    team: Mapped[Team] = relationship()
