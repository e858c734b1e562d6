"""What people decide about a team's attempts: a team cancels a queued submission (its
attempt comes back), an organizer grants attempts after an incident. Each decision is a row
of the audit trail (`audit_events`), written in the transaction that makes it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from podium.core.errors import InputError, NotFoundError, RuleError
from podium.service.context import Competition
from podium.service.submissions import CANCELLED, give_back
from podium.store.models import AuditEvent, Stage, Submission, Team

MAX_GRANT = 100
MAX_REASON = 500


@dataclass(frozen=True)
class AuditInfo:
    """One decision of the trail, as the team page and `podium attempts list` show it."""

    id: int
    kind: str
    team: str | None
    stage: str | None
    submission_id: int | None
    count: int
    actor: str
    reason: str
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "created_at": self.created_at.isoformat()}


class Choices:
    """Cancelling and granting attempts; the trail of them and of final choices."""

    def __init__(self, competition: Competition) -> None:
        self.c = competition

    def cancel(self, submission_id: int, *, team: str | None, actor: str) -> None:
        """Cancel a submission still waiting in the queue (`team`: the team asking; None
        for an organizer). Conditional on `queued` in one write: a worker or the server's
        evaluator that claimed it first wins, and the cancel is refused."""
        with self.c.sessions.begin() as s:
            sub = s.scalar(
                self.c.scoped(select(Submission).join(Stage).where(Submission.id == submission_id))
            )
            if sub is None or (team is not None and sub.team.name != team):
                raise NotFoundError(f"team {team!r} has no submission {submission_id}")
            done = s.execute(
                update(Submission)
                .where(Submission.id == sub.id, Submission.status == "queued")
                .values(status=CANCELLED)
                .execution_options(synchronize_session=False)
            )
            if done.rowcount != 1:  # type: ignore[attr-defined]
                s.refresh(sub)
                raise RuleError(
                    f"submission {submission_id} is {sub.status}, not waiting in the queue",
                    hint="only a queued submission can be cancelled (its attempt comes back)",
                )
            give_back(s, sub)
            s.add(AuditEvent(competition_id=self.c.id, kind="cancelled", team_id=sub.team_id,
                             stage=sub.stage.name, submission_id=sub.id, actor=actor))  # fmt: skip

    def grant(self, team: str, stage: str, count: int, reason: str, *, actor: str) -> AuditInfo:
        """Give a team `count` more attempts in a stage teams submit to, saying why."""
        reason = reason.strip()
        if not reason:
            raise InputError("a grant needs a reason", hint='--reason "the runner crashed"')
        if len(reason) > MAX_REASON:
            raise InputError(f"the reason is longer than {MAX_REASON} characters")
        if not 1 <= count <= MAX_GRANT:
            raise InputError(f"--count must be 1 to {MAX_GRANT}, not {count}")
        if self.c.spec.stage(stage).split == "final":
            raise RuleError("teams do not submit to the final stage: nothing to grant")
        with self.c.sessions.begin() as s:
            self.c.stage_row(s, stage)
            row = AuditEvent(competition_id=self.c.id, kind="attempts_granted",
                             team_id=self.c.team_row(s, team).id, stage=stage, count=count,
                             actor=actor, reason=reason)  # fmt: skip
            s.add(row)
            s.flush()
            return _info(row, team)

    def trail(self, team: str | None = None) -> list[AuditInfo]:
        """The decisions about one team (every team's: None), oldest first."""
        with self.c.sessions() as s:
            query = (
                select(AuditEvent, Team.name)
                .outerjoin(Team, AuditEvent.team_id == Team.id)
                .where(AuditEvent.competition_id == self.c.id)
                .order_by(AuditEvent.id)
            )
            if team is not None:
                query = query.where(AuditEvent.team_id == self.c.team_row(s, team).id)
            return [_info(row, name) for row, name in s.execute(query)]


def _info(row: AuditEvent, team: str | None) -> AuditInfo:
    return AuditInfo(row.id, row.kind, team, row.stage, row.submission_id, row.count,
                     row.actor, row.reason, row.created_at)  # fmt: skip
