"""Submitting: the checks before an attempt is spent, the atomic reservation, and what a team
can ask about its submissions (queue position, attempts left)."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from podium.core.digest import sha256_file
from podium.core.errors import NotFoundError, RuleError, SubmissionError
from podium.rules.schedule import day_start, next_day
from podium.service.context import Competition
from podium.service.reads import SubmissionInfo, submission_info
from podium.service.scans import Findings, Scans
from podium.service.setup import Setup
from podium.store.models import AuditEvent, Run, Stage, Submission, Team, utcnow

QUEUED = "queued"
ACTIVE = (QUEUED, "running")
CANCELLED = "cancelled"  # by its team while queued: its attempt is given back


@dataclass(frozen=True)
class SubmitReceipt:
    submission_id: int
    team: str
    stage: str
    attempt: int | None  # None: a replayed upload's submission, cancelled since
    attempts: int
    sha256: str
    queue_position: int  # 0: not waiting (a replayed upload's submission may have run)
    member: str | None = None  # who sent it (a personal token)
    replayed: bool = False  # an upload sent again with its key: the submission it made then


class Submissions:
    """Every path into the store goes through `check_archive` and `_reserve_file`."""

    def __init__(self, competition: Competition, setup: Setup) -> None:
        self.c, self.setup = competition, setup
        self.scans = Scans(competition)  # sealed text and shared code, flagged at intake
        self.clock: Callable[[], datetime] = utcnow

    def submit(
        self, path: Path, *, team: str, stage: str | None = None, label: str = ""
    ) -> SubmitReceipt:
        """Store the archive and reserve an attempt atomically; nothing is stored on error."""
        from podium.submission.archive import read_submission

        stage = self.check_can_submit(team, stage)  # before packing or reading anything
        return self.submit_data(
            read_submission(path), team=team, stage=stage, label=label or path.name, where=path
        )

    def submit_data(
        self, data: bytes, *, team: str, stage: str | None = None, label: str, where: Path | str
    ) -> SubmitReceipt:
        """Archive bytes from a file or folder: refused before an attempt is spent on them."""
        from podium.submission.intake import incoming_file

        stage_name = self.check_can_submit(team, stage)
        with incoming_file(self.c.layout.incoming_dir) as archive:
            archive.write_bytes(data)
            return self.submit_file(
                archive, team=team, stage=stage_name, label=label, where=str(where)
            )

    def check_can_submit(self, team: str | None, stage: str | None = None) -> str:
        """The stage a submission would enter, or why it cannot: checked before any byte of
        the archive is read (`team` None: the stage only)."""
        stage_name = stage or self.setup.current_stage()
        if self.c.spec.stage(stage_name).split == "final":
            raise RuleError(
                "teams do not submit to the final stage",
                hint="the final runs a scored submission of each team again (its best, or the "
                "one chosen with `podium final select --submission ID`)",
            )
        with self.c.sessions() as s:
            self._admissible(s, team, stage_name)
        return stage_name

    def submit_file(
        self,
        archive: Path,
        *,
        team: str,
        stage: str,
        label: str,
        where: str,
        member: str | None = None,
        idempotency_key: str | None = None,
    ) -> SubmitReceipt:
        """An archive in the incoming folder: checked (listing, budgeted extraction,
        podium.toml), then moved into the store with its attempt, or left to be removed.
        `member`: who sent it, when a personal token did; `idempotency_key`: the client's
        name for this upload (a second upload with it is answered with the first)."""
        from podium.submission.intake import check_archive

        findings = Findings()
        inspect = self.scans.inspector(archive, findings)
        manifest = check_archive(
            archive, where=where, scratch=self.c.layout.incoming_dir, inspect=inspect
        )
        self._check_environment(manifest.submission.environment, where)
        try:
            return self._reserve_file(archive, team=team, stage_name=stage, label=label,
                                      member=member, findings=findings,
                                      idempotency_key=idempotency_key)  # fmt: skip
        except RuleError:
            replay = self.replayed(team, idempotency_key) if idempotency_key else None
            if replay is None:  # a twin upload with the same key won the race: its answer
                raise
            return replay

    def _check_environment(self, name: str | None, where: str) -> None:
        """A named environment must be one of the competition's (refused before an attempt)."""
        declared = self.c.spec.environments
        if name is not None and name not in declared:
            raise SubmissionError(
                f"[submission] environment = {name!r}: this competition has no such environment",
                where=f"{where}/podium.toml",
                hint=f"its environments: {', '.join(sorted(declared)) or 'none'}",
            )

    def replayed(self, team: str, idempotency_key: str) -> SubmitReceipt | None:
        """The submission a team's upload with this key made, if one did (no attempt used)."""
        with self.c.sessions() as s:
            team_row = self.c.team_row(s, team)
            sub = s.scalar(
                select(Submission).where(
                    Submission.team_id == team_row.id,
                    Submission.idempotency_key == idempotency_key,
                )
            )
            if sub is None:
                return None
            attempts = self.c.spec.stage(sub.stage.name).attempts
            return SubmitReceipt(sub.id, team, sub.stage.name, sub.number, attempts, sub.sha256,
                                 0, sub.member, replayed=True)  # fmt: skip

    def copy_for_final(self, source: SubmissionInfo, stage: str) -> SubmitReceipt:
        """The final's copy of a team's chosen submission (the organizer runs the final)."""
        from podium.submission.intake import incoming_file

        with incoming_file(self.c.layout.incoming_dir) as archive:
            archive.write_bytes((self.c.root / source.archive_path).read_bytes())
            return self._reserve_file(
                archive,
                team=source.team,
                stage_name=stage,
                label=f"final of #{source.id}",
                source_submission_id=source.id,
                member=source.member,  # who sent what goes to the final
            )

    def _admissible(
        self, s: Session, team: str | None, stage_name: str
    ) -> tuple[Stage, Team | None, int]:
        """The open stage, the team and its last attempt's number (a cancelled one gave its
        number back); RuleError if none is left."""
        stage = self.c.stage_row(s, stage_name)
        spec, now = self.c.spec.stage(stage_name), self.clock()
        if stage.status != "open":
            raise RuleError(f"stage {stage_name!r} is {stage.status}, not open")
        if spec.closes is not None and now >= spec.closes:  # due to close: as good as closed
            raise RuleError(f"stage {stage_name!r} closed at {spec.closes.isoformat()}")
        if team is None:
            return stage, None, 0
        team_row = self.c.team_row(s, team)
        counted = s.execute(
            select(Submission.created_at, Submission.status, Submission.attempt).where(
                Submission.team_id == team_row.id, Submission.stage_id == stage.id
            )
        ).all()
        times = [when for when, status, _ in counted if status != CANCELLED]
        after = max((number for _, _, number in counted), default=0)  # cancelled: < 0
        total, today = granted_in(s, self.c.id, team_row.id, stage_name, now)
        used, attempts = len(times), spec.attempts + total
        if used >= attempts:
            names = [st.name for st in self.c.spec.stages]
            later = [st.name for st in self.c.spec.stages[names.index(stage_name) + 1 :]
                     if st.split != "final"]  # fmt: skip
            raise RuleError(
                f"team {team!r} has used all {attempts} attempt(s) of stage {stage_name!r}",
                hint="nothing was stored; "
                + (
                    f"stage {later[0]!r} brings new attempts"
                    if later
                    else "a queued submission cancelled gives its attempt back"
                ),
            )
        if spec.max_per_day is not None and _today(times, now) >= spec.max_per_day + today:
            raise RuleError(
                f"team {team!r} has used its {spec.max_per_day + today} attempt(s) of today "
                f"(UTC) in stage {stage_name!r}",
                hint=f"nothing was stored; the next attempt is possible from "
                f"{next_day(now):%Y-%m-%d %H:%M} UTC",
            )
        return stage, team_row, after

    def _reserve_file(
        self,
        archive: Path,
        *,
        team: str,
        stage_name: str,
        label: str,
        source_submission_id: int | None = None,
        member: str | None = None,
        findings: Findings | None = None,
        idempotency_key: str | None = None,
    ) -> SubmitReceipt:
        """Reserve the attempt and move the archive into the store in one transaction: the
        archive is renamed (never copied under a shared name) just before the commit and
        removed again if the commit fails, so a refusal leaves no file behind."""
        sha = sha256_file(archive)
        self.c.layout.submissions_dir.mkdir(parents=True, exist_ok=True)
        placed: Path | None = None
        try:
            with self.c.sessions.begin() as s:
                stage, team_row, last = self._admissible(s, team, stage_name)
                assert team_row is not None
                sub = Submission(
                    team_id=team_row.id,
                    stage_id=stage.id,
                    attempt=last + 1,
                    sha256=sha,
                    archive_path="",
                    label=label[:200],
                    source_submission_id=source_submission_id,
                    created_at=self.clock(),  # the clock max_per_day counts days by
                    member=member,
                    idempotency_key=idempotency_key,
                )
                s.add(sub)
                s.flush()
                if findings is not None:
                    self.scans.record(s, sub, team_row.id, findings)
                target = self.c.layout.submissions_dir / f"{sub.id}-{sha[:16]}.archive"
                sub.archive_path = str(target.relative_to(self.c.root))
                queued = s.scalar(  # its place among those waiting, itself included
                    self.c.scoped(
                        select(func.count(Submission.id))
                        .join(Stage)
                        .where(Submission.status == QUEUED)
                    )
                )
                granted, _ = granted_in(s, self.c.id, team_row.id, stage_name, self.clock())
                attempts = self.c.spec.stage(stage_name).attempts + granted
                receipt = SubmitReceipt(
                    sub.id, team, stage_name, sub.attempt, attempts, sha, queued or 0, member
                )
                os.chmod(archive, 0o644)  # private while it was checked; stored as before
                os.replace(archive, target)
                placed = target
            placed = None  # committed: the archive belongs to the store now
            return receipt
        except IntegrityError:
            # another writer took the same attempt number first (PostgreSQL path)
            raise RuleError(f"team {team!r} has no attempt left in stage {stage_name!r}") from None
        finally:
            if placed is not None:
                placed.unlink(missing_ok=True)

    # -- what a team asks --------------------------------------------------------------

    def get(self, submission_id: int) -> SubmissionInfo:
        """One submission of this competition, with its runs, team and stage."""
        with self.c.sessions() as s:
            sub = s.scalar(
                self.c.scoped(
                    select(Submission)
                    .join(Stage)
                    .options(
                        selectinload(Submission.runs).selectinload(Run.measurements),
                        selectinload(Submission.team).selectinload(Team.members),
                        selectinload(Submission.stage),
                    )
                    .where(Submission.id == submission_id)
                )
            )
            if sub is None:
                raise NotFoundError(f"no submission {submission_id}")
            return submission_info(self.c, sub)

    def find(self, team: str | None = None) -> list[SubmissionInfo]:
        """Every submission (of one team), oldest first, with its runs."""
        with self.c.sessions() as s:
            return submissions_in(self.c, s, team)

    def queue_position(self, submission_id: int) -> int | None:
        """1 for the next in line; None once it runs (its status says so) or has ended."""
        with self.c.sessions() as s:
            sub = s.get(Submission, submission_id)
            if sub is None or sub.stage.competition_id != self.c.id or sub.status != QUEUED:
                return None
            ahead = s.scalar(
                self.c.scoped(
                    select(func.count(Submission.id))
                    .join(Stage)
                    .where(Submission.status == QUEUED, Submission.id <= submission_id)
                )
            )
            return int(ahead or 0)

    def attempts_left(
        self, team: str, subs: Sequence[SubmissionInfo] | None = None
    ) -> dict[str, int]:
        """Per stage teams submit to: the attempts the team may still use (today, when the
        stage caps attempts per day); `subs`: the team's submissions, when already read."""
        times: dict[str, list[datetime]] = {}
        for sub in self.find(team) if subs is None else subs:
            if sub.status != CANCELLED:
                times.setdefault(sub.stage.name, []).append(sub.created_at)
        now, left = self.clock(), {}
        with self.c.sessions() as s:
            team_id = self.c.team_row(s, team).id
            grants = {st.name: granted_in(s, self.c.id, team_id, st.name, now)
                      for st in self.c.spec.stages}  # fmt: skip
        for st in self.c.spec.stages:
            if st.split == "final":
                continue
            used, (total, today) = times.get(st.name, []), grants[st.name]
            left[st.name] = st.attempts + total - len(used)
            if st.max_per_day is not None:
                left[st.name] = min(left[st.name], st.max_per_day + today - _today(used, now))
        return {name: max(0, n) for name, n in left.items()}

    def select_for_final(self, team: str, submission_id: int, *, actor: str = "organizer") -> None:
        """The submission a team takes to the final (default: its best), chosen by the team
        or an organizer until the final runs; the latest choice holds, in the audit trail."""
        with self.c.sessions.begin() as s:
            team_row = self.c.team_row(s, team)
            sub = s.get(Submission, submission_id)
            if sub is None or sub.team_id != team_row.id or sub.stage.split == "final":
                raise NotFoundError(f"team {team!r} has no evaluation submission {submission_id}")
            if sub.status != "scored":
                raise RuleError(f"submission {submission_id} is {sub.status}; select a scored one")
            finals = s.scalars(
                self.c.scoped(
                    select(Stage).where(Stage.split == "final", Stage.status != "pending")
                )
            ).first()
            if finals is not None:
                raise RuleError(
                    f"the final stage {finals.name!r} has already run: the choice is made",
                    hint="a choice counts only until the final runs",
                )
            for other in s.scalars(select(Submission).where(Submission.team_id == team_row.id)):
                other.selected_for_final = other.id == submission_id
            s.add(AuditEvent(competition_id=self.c.id, kind="final_chosen", team_id=team_row.id,
                             stage=sub.stage.name, submission_id=sub.id, actor=actor))  # fmt: skip


def submissions_in(c: Competition, s: Session, team: str | None = None) -> list[SubmissionInfo]:
    """Every submission (of one team) in `s`'s snapshot, oldest first, with its runs."""
    query = c.scoped(
        select(Submission)
        .join(Stage)
        .join(Team)
        .options(
            selectinload(Submission.runs).selectinload(Run.measurements),
            selectinload(Submission.team),
            selectinload(Submission.stage),
        )
        .order_by(Submission.id)
    )
    if team is not None:
        query = query.where(Team.name == team)
    return [submission_info(c, sub) for sub in s.scalars(query)]


def queue_in(c: Competition, s: Session) -> dict[int, int]:
    """Each submission waiting in the queue and its place (1: next in line; a running one
    has none)."""
    active = s.scalars(
        c.scoped(
            select(Submission.id)
            .join(Stage)
            .where(Submission.status == QUEUED)
            .order_by(Submission.id)
        )
    )
    return {sub_id: place for place, sub_id in enumerate(active, start=1)}


def granted_in(
    s: Session, competition_id: int, team_id: int, stage: str, now: datetime
) -> tuple[int, int]:
    """Attempts organizers granted a team in a stage: in all, and today (UTC), which also
    raise the day's cap."""
    rows = s.execute(
        select(AuditEvent.count, AuditEvent.created_at).where(
            AuditEvent.competition_id == competition_id,
            AuditEvent.kind == "attempts_granted",
            AuditEvent.team_id == team_id,
            AuditEvent.stage == stage,
        )
    ).all()
    return sum(n for n, _ in rows), sum(n for n, when in rows if _today([when], now))


def give_back(s: Session, sub: Submission) -> None:
    """A cancelled submission's attempt number is free again: it keeps -id (unique, shown
    as none) and the team's later attempts of the stage move down, in order (each new number
    is free by then, so the unique constraint holds row by row on both backends)."""
    s.execute(update(Submission).where(Submission.id == sub.id).values(attempt=-sub.id))
    rows = s.execute(
        select(Submission.id, Submission.attempt)
        .where(Submission.team_id == sub.team_id, Submission.stage_id == sub.stage_id,
               Submission.attempt > 0)
        .order_by(Submission.id)
    ).all()  # fmt: skip
    for number, (sub_id, attempt) in enumerate(rows, start=1):
        if attempt != number:
            s.execute(update(Submission).where(Submission.id == sub_id).values(attempt=number))


def _today(times: list[datetime], now: datetime) -> int:
    """Attempts reserved since midnight UTC (SQLite hands times back without their offset:
    they are UTC)."""
    start = day_start(now)
    return sum(1 for t in times if (t if t.tzinfo else t.replace(tzinfo=UTC)) >= start)
