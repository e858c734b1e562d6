"""Tokens and the use cases the web app adds: queue positions, attempts left, re-runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from podium.access import Principal, Role, new_token, token_digest
from podium.errors import NotFoundError, PodiumError, RuleError
from podium.final import Finals
from podium.leaderboard import Aggregate, aggregate
from podium.store.models import AccessToken, Run, Stage, Submission, Team, utcnow


@dataclass(frozen=True)
class TokenInfo:
    id: int
    role: str
    team: str | None
    label: str
    created_at: datetime
    revoked: bool


class Accounts(Finals):
    """Sign-in tokens (kept hashed) and the submission paths of remote clients."""

    def create_token(self, role: Role, *, team: str | None = None, label: str = "") -> str:
        """A new token; it is shown once and only its sha256 is stored."""
        if role not in ("organizer", "team"):
            raise PodiumError(f"unknown role {role!r}", hint="organizer or team")
        if (role == "team") != (team is not None):
            raise PodiumError(
                "a team token needs --team; an organizer token takes none",
                hint='podium token create --team "Quick Lex"',
            )
        token = new_token()
        with self.sessions.begin() as s:
            team_id = self._team(s, team).id if team is not None else None
            s.add(
                AccessToken(
                    competition_id=self._competition_id,
                    role=role,
                    team_id=team_id,
                    label=label[:200],
                    token_sha256=token_digest(token),
                )
            )
        return token

    def tokens(self) -> list[TokenInfo]:
        with self.sessions() as s:
            rows = s.scalars(
                select(AccessToken)
                .options(selectinload(AccessToken.team))
                .where(AccessToken.competition_id == self._competition_id)
                .order_by(AccessToken.id)
            )
            return [
                TokenInfo(
                    t.id,
                    t.role,
                    t.team.name if t.team else None,
                    t.label,
                    t.created_at,
                    t.revoked_at is not None,
                )
                for t in rows
            ]

    def revoke_token(self, token_id: int) -> None:
        with self.sessions.begin() as s:
            row = s.get(AccessToken, token_id)
            if row is None or row.competition_id != self._competition_id:
                raise NotFoundError(f"no token {token_id}", hint="podium token list")
            row.revoked_at = row.revoked_at or utcnow()

    def _principal(self, row: AccessToken | None) -> Principal | None:
        if row is None or row.revoked_at is not None:
            return None
        if row.competition_id != self._competition_id:
            return None
        team = row.team.name if row.team is not None else None
        return Principal(
            row.id, "organizer" if row.role == "organizer" else "team", team, row.label
        )

    def authenticate(self, token: str) -> Principal | None:
        """The principal of a token, or None for unknown, revoked or foreign tokens."""
        with self.sessions() as s:
            row = s.scalar(
                select(AccessToken)
                .options(selectinload(AccessToken.team))
                .where(AccessToken.token_sha256 == token_digest(token))
            )
            return self._principal(row)

    def principal_by_id(self, token_id: int) -> Principal | None:
        """For signed session cookies, which carry the token's id, never the token."""
        with self.sessions() as s:
            row = s.scalar(
                select(AccessToken)
                .options(selectinload(AccessToken.team))
                .where(AccessToken.id == token_id)
            )
            return self._principal(row)

    def queue_position(self, submission_id: int) -> int | None:
        """1 for the run in progress or next in line; None once it has left the queue."""
        with self.sessions() as s:
            sub = s.get(Submission, submission_id)
            if sub is None or sub.status not in ("queued", "running"):
                return None
            ahead = s.scalar(
                select(func.count(Submission.id))
                .join(Stage)
                .where(
                    Stage.competition_id == self._competition_id,
                    Submission.status.in_(("queued", "running")),
                    Submission.id <= submission_id,
                )
            )
            return int(ahead or 0)

    def submission(self, submission_id: int) -> Submission:
        with self.sessions() as s:
            sub = s.scalar(
                select(Submission)
                .join(Stage)
                .options(
                    selectinload(Submission.runs).selectinload(Run.measurements),
                    selectinload(Submission.team).selectinload(Team.members),
                    selectinload(Submission.stage),
                )
                .where(Submission.id == submission_id, Stage.competition_id == self._competition_id)
            )
            if sub is None:
                raise NotFoundError(f"no submission {submission_id}")
            return sub

    def run_aggregate(self, run_id: int) -> Aggregate | None:
        """A scored run's overall, task scores and duration, derived from its raw rows."""
        facts = self._run_facts(run_id)
        return None if facts is None else aggregate(facts, self.metrics())

    def attempts_left(self, team: str) -> dict[str, int]:
        """Per stage teams submit to: the attempts the team has not used."""
        used: dict[str, int] = {}
        for sub in self.submissions(team):
            used[sub.stage.name] = used.get(sub.stage.name, 0) + 1
        return {
            st.name: st.attempts - used.get(st.name, 0)
            for st in self.spec.stages
            if st.split != "final"
        }

    def retry_run(self, run_id: int) -> int:
        """Queue again a submission whose last run failed because of the platform (also one
        held for attention after repeated faults: its count starts again)."""
        with self.sessions.begin() as s:
            run = s.get(Run, run_id)
            if run is None:
                raise NotFoundError(f"no run {run_id}")
            sub = run.submission
            if sub.stage.competition_id != self._competition_id:
                raise NotFoundError(f"no run {run_id}")
            if run.status != "platform_error" or sub.runs[-1].id != run.id:
                raise RuleError(
                    f"run {run_id} is {run.status}; only the latest run of a submission that "
                    "failed because of the platform can be re-run"
                )
            if sub.status not in ("queued", "attention"):
                raise RuleError(f"submission {sub.id} is {sub.status}, not waiting for a re-run")
            sub.status, sub.platform_failures = "queued", 0
            return sub.id
