"""Who may see and change what: pure rules over a signed-in principal.

Kept apart from the web layer so the same rules can be tested without a server and reused by
any other front end.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Literal

Role = Literal["organizer", "team"]
TOKEN_PREFIX = "pdm_"


@dataclass(frozen=True)
class Principal:
    """The holder of a valid token: an organizer, or one team."""

    token_id: int
    role: Role
    team: str | None
    label: str = ""

    @property
    def is_organizer(self) -> bool:
        return self.role == "organizer"

    @property
    def display(self) -> str:
        return "organizer" if self.is_organizer else f"team {self.team}"


def new_token() -> str:
    """A random token with 256 bits of entropy; a prefix makes leaked ones easy to grep."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What the store keeps: a fast hash suffices because tokens are random, not passwords."""
    return hashlib.sha256(token.strip().encode("utf-8")).hexdigest()


def can_see_team(who: Principal | None, team: str) -> bool:
    """A team's page, submissions and logs: the team itself and organizers."""
    return who is not None and (who.is_organizer or who.team == team)


def can_see_code(who: Principal | None, team: str, *, released: bool, stage_closed: bool) -> bool:
    """Archives and logs of another team only once a stage that releases code has closed."""
    if can_see_team(who, team):
        return True
    return who is not None and released and stage_closed


def can_see_results(who: Principal | None, *, hidden: bool, revealed: bool) -> bool:
    """Hidden stages (the final) stay hidden from everyone but organizers until revealed."""
    return not hidden or revealed or (who is not None and who.is_organizer)
