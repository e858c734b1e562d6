"""Sign-in tokens: made once, kept as sha256 only, revocable."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.orm import selectinload

from podium.core.errors import NotFoundError, PodiumError
from podium.core.suggest import did_you_mean
from podium.rules.access import Principal, Role, new_token, token_digest
from podium.service.context import Competition
from podium.store.models import AccessToken, Member, Team, WebSession, utcnow


@dataclass(frozen=True)
class TokenInfo:
    id: int
    role: str
    team: str | None
    label: str
    created_at: datetime
    revoked: bool
    member: str | None = None


class Tokens:
    """Tokens of one competition's organizers and teams."""

    def __init__(self, competition: Competition) -> None:
        self.c = competition

    def create(
        self, role: Role, *, team: str | None = None, label: str = "", member: str | None = None
    ) -> str:
        """A new token; it is shown once and only its sha256 is stored. With `member`, a
        personal token: it acts for the team and its submissions carry the member's name."""
        if role not in ("organizer", "team", "worker"):
            raise PodiumError(f"unknown role {role!r}", hint="organizer, team or worker")
        if member is not None and (role != "team" or team is None):
            raise PodiumError(
                "a personal token (--member) belongs to a member of a team: pass --team too",
                hint='podium token create --team "Deep Percept" --member Alan',
            )
        if role == "worker":
            self._check_worker_label(label, team)
        elif (role == "team") != (team is not None):
            raise PodiumError(
                "a team token needs --team; an organizer token takes none",
                hint='podium token create --team "Quick Lex"',
            )
        token = new_token()
        with self.c.sessions.begin() as s:
            team_row = self.c.team_row(s, team) if team is not None else None
            member_row = _member_row(team_row, member) if team_row and member is not None else None
            s.add(
                AccessToken(
                    competition_id=self.c.id,
                    role=role,
                    team_id=team_row.id if team_row is not None else None,
                    member_id=member_row.id if member_row is not None else None,
                    label=label[:200],
                    token_sha256=token_digest(token),
                )
            )
        return token

    def _check_worker_label(self, label: str, team: str | None) -> None:
        """A worker is known by its token's label: one live token per name."""
        if team is not None or not label.strip():
            raise PodiumError(
                "a worker token needs --label (the machine's name) and no --team",
                hint="podium token create --worker --label gpu-01",
            )
        with self.c.sessions() as s:
            query = self.c.scoped(select(AccessToken), via=AccessToken).where(
                AccessToken.role == "worker",
                AccessToken.label == label[:200],
                AccessToken.revoked_at.is_(None),
            )
            if s.scalars(query).first() is not None:
                raise PodiumError(
                    f"a worker named {label!r} already has a token",
                    hint="revoke it first (podium token revoke ID) or choose another --label",
                )

    def find(self) -> list[TokenInfo]:
        with self.c.sessions() as s:
            query = self.c.scoped(select(AccessToken), via=AccessToken)
            loaded = query.options(selectinload(AccessToken.team), selectinload(AccessToken.member))
            return [
                TokenInfo(
                    t.id,
                    t.role,
                    t.team.name if t.team else None,
                    t.label,
                    t.created_at,
                    t.revoked_at is not None,
                    t.member.name if t.member else None,
                )
                for t in s.scalars(loaded.order_by(AccessToken.id))
            ]

    def revoke(self, token_id: int) -> None:
        with self.c.sessions.begin() as s:
            row = s.get(AccessToken, token_id)
            if row is None or row.competition_id != self.c.id:
                raise NotFoundError(f"no token {token_id}", hint="podium token list")
            row.revoked_at = row.revoked_at or utcnow()
            s.execute(delete(WebSession).where(WebSession.token_id == token_id))

    def authenticate(self, token: str) -> Principal | None:
        """The principal of a token, or None for unknown, revoked or foreign tokens."""
        return self._principal(AccessToken.token_sha256 == token_digest(token))

    def principal_by_id(self, token_id: int) -> Principal | None:
        """By the token's id (a session's token, a worker's)."""
        return self._principal(AccessToken.id == token_id)

    def open_session(self, token_id: int, seconds: float) -> str:
        """A browser's session for a token: a random key for its cookie (only its sha256 is
        stored), valid for `seconds` unless it signs out or the token stops working first.
        Expired sessions of the competition are dropped on the way."""
        key = secrets.token_urlsafe(32)
        now = utcnow()
        with self.c.sessions.begin() as s:
            mine = WebSession.competition_id == self.c.id
            s.execute(delete(WebSession).where(mine, WebSession.expires_at <= now))
            s.add(
                WebSession(
                    competition_id=self.c.id,
                    token_id=token_id,
                    key_sha256=token_digest(key),
                    created_at=now,
                    expires_at=now + timedelta(seconds=seconds),
                )
            )
        return key

    def session_principal(self, key: str) -> Principal | None:
        """Who a session cookie's key signs in: None once it signed out, expired, or its
        token was revoked (or its member removed)."""
        with self.c.sessions() as s:
            query = select(WebSession.token_id).where(
                WebSession.competition_id == self.c.id,
                WebSession.key_sha256 == token_digest(key),
                WebSession.expires_at > utcnow(),
            )
            token_id = s.scalar(query)
        return self._principal(AccessToken.id == token_id) if token_id is not None else None

    def end_session(self, key: str) -> None:
        """Sign out: the session ends now, on every server sharing the store."""
        with self.c.sessions.begin() as s:
            s.execute(
                delete(WebSession).where(
                    WebSession.competition_id == self.c.id,
                    WebSession.key_sha256 == token_digest(key),
                )
            )

    def _principal(self, where: ColumnElement[bool]) -> Principal | None:
        with self.c.sessions() as s:
            query = self.c.scoped(select(AccessToken), via=AccessToken)
            loaded = query.options(selectinload(AccessToken.team), selectinload(AccessToken.member))
            row = s.scalar(loaded.where(where))
            if row is None or row.revoked_at is not None:
                return None
            if row.member is not None and row.member.team_id != row.team_id:
                return None  # a person who moved to another team no longer speaks for this one
            team = row.team.name if row.team is not None else None
            roles: dict[str, Role] = {"organizer": "organizer", "worker": "worker"}
            role = roles.get(row.role, "team")
            member = row.member.name if row.member is not None else None
            return Principal(row.id, role, team, row.label, member)


def _member_row(team: Team, name: str) -> Member:
    """The team's member of that name, or a refusal naming the closest ones."""
    for member in team.members:
        if member.name == name:
            return member
    known = [m.name for m in team.members]
    raise NotFoundError(
        f"team {team.name!r} has no member {name!r}",
        hint=did_you_mean(name, known) if known else "the team has no members (podium team list)",
    )
