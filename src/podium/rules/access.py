"""Who may do what: one pure decision over a signed-in principal and the facts of a thing.

Every front end asks `ensure(who, action, thing)` (or `allowed` when it only needs to know), so
the rules live here once and are tested without a server. A thing is a small frozen record of
what is asked for, carrying the facts the rules need (a team's name, a stage's state); nothing
here reads the store. What no rule allows is refused.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Literal, overload

from podium.core.errors import AuthenticationError, ForbiddenError, PodiumError, RuleError

Role = Literal["organizer", "team", "worker"]
Action = Literal[
    "use",
    "see",
    "download",
    "submit",
    "manage",
    "evaluate",
    "fetch",
    "ask",
    "answer",
    "moderate",
]
TOKEN_PREFIX = "pdm_"


@dataclass(frozen=True)
class Principal:
    """The holder of a valid token: an organizer, one team (or one member of it, by a personal
    token: the rules treat them as their team, submissions record their name), or an
    evaluating machine."""

    token_id: int
    role: Role
    team: str | None
    label: str = ""
    member: str | None = None

    @property
    def is_organizer(self) -> bool:
        return self.role == "organizer"

    @property
    def is_worker(self) -> bool:
        return self.role == "worker"

    @property
    def display(self) -> str:
        if self.is_worker:
            return f"worker {self.label}"
        if self.is_organizer:
            return "organizer"
        return f"{self.member} · {self.team}" if self.member else f"team {self.team}"


def new_token() -> str:
    """A random token with 256 bits of entropy; a prefix makes leaked ones easy to grep."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What the store keeps: a fast hash suffices because tokens are random, not passwords."""
    return hashlib.sha256(token.strip().encode("utf-8")).hexdigest()


# -- the things ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StageFacts:
    """What the rules know of a stage: whether its results are hidden (until revealed) and
    whether its code is released (once it has closed)."""

    name: str
    hidden: bool
    revealed: bool
    releases_code: bool
    closed: bool


@dataclass(frozen=True)
class Account:
    """One's own sign-in (signing out, uploading as oneself): any principal."""


@dataclass(frozen=True)
class Administration:
    """Running the competition: stages, the final, retries, every team's runs."""


@dataclass(frozen=True)
class Team:
    """A team's page (members, attempts left, submissions), and entering for it."""

    name: str


@dataclass(frozen=True)
class TeamSubmission:
    """One submission: its record (`see`) or its archive (`download`)."""

    team: str
    submission_id: int
    stage: StageFacts


@dataclass(frozen=True)
class RunLog:
    """What a run printed: as telling as the code, and part of its stage's results."""

    team: str
    run_id: int
    stage: StageFacts


@dataclass(frozen=True)
class StageResults:
    """A stage's scores: its leaderboard, and the scores and logs of its runs."""

    stage: StageFacts


@dataclass(frozen=True)
class StageCode:
    """Every team's code of a stage, as its leaderboard links to it."""

    stage: StageFacts


@dataclass(frozen=True)
class Evaluating:
    """A worker's job: claim a run, fetch its archive and sealed inputs, report its result."""


@dataclass(frozen=True)
class SealedInputs:
    """The inputs of a split without labels: only for a worker running a run of that split
    (`held`, as the service found it)."""

    split: str
    held: bool


@dataclass(frozen=True)
class Board:
    """The competition's questions and answers: read and asked by anyone signed in; asking
    `anonymously` (shown as "a team") is for teams."""

    anonymous: bool = False


@dataclass(frozen=True)
class Question:
    """One question on the board: answered while open, pinned and closed by organizers."""

    question_id: int
    closed: bool


Thing = (
    Account
    | Board
    | Question
    | Administration
    | Team
    | TeamSubmission
    | RunLog
    | StageResults
    | StageCode
    | Evaluating
    | SealedInputs
)
SignedInThing = (
    Account
    | Board
    | Question
    | Administration
    | Team
    | TeamSubmission
    | RunLog
    | StageCode
    | Evaluating
    | SealedInputs
)


# -- the rules ----------------------------------------------------------------------------------


def refusal(who: Principal | None, action: Action, thing: Thing) -> PodiumError | None:
    """Why `who` may not `action` the `thing`, or None when they may."""
    if who is not None and who.is_worker:  # a machine's token does its job and nothing else
        match action, thing:
            case "evaluate", Evaluating():
                return None
            case "fetch", SealedInputs(split, held):
                return (
                    None
                    if held
                    else ForbiddenError(
                        f"the sealed inputs of {split!r} go only to a worker running a run of that split"
                    )
                )
        return ForbiddenError(
            "a worker token can only fetch what a run needs and report its result",
            hint="sign in with a team or organizer token",
        )
    match action, thing:
        case "see", StageResults(stage):
            return None if _sees_results(who, stage) else _hidden(stage)
    if who is None:
        return AuthenticationError("sign in first", hint="with the token your organizer gave you")
    match action, thing:
        case "use", Account():
            return None
        case "manage", Administration():
            return None if who.is_organizer else ForbiddenError("only organizers may do this")
        case "see", Team(name):
            page = f"the page of team {name!r} is visible only to its members and organizers"
            return _team_only(who, name, page)
        case "submit", Team(name):
            entry = f"a token of team {who.team!r} cannot submit for team {name!r}"
            return _team_only(who, name, entry)
        case "see", TeamSubmission(team, number):
            return _team_only(who, team, f"submission {number} belongs to another team")
        case "download", TeamSubmission(team, number, stage):
            return _code(who, team, stage, f"submission {number} belongs to another team")
        case "see", RunLog(team, number, stage):
            refused = f"run {number} belongs to another team"
            return _code(who, team, stage, refused) or _results_only(who, stage, refused)
        case "download", StageCode(stage):
            return None if _released(stage) else _not_released(stage)
        case (("see" | "ask" | "answer" | "moderate"), (Board() | Question())):
            return _board(who, action, thing)
        case ("evaluate", Evaluating()) | ("fetch", SealedInputs()):
            return ForbiddenError(
                "only worker tokens evaluate", hint="podium token create --worker"
            )
    return ForbiddenError(f"no rule lets anyone {action} {thing}")


def allowed(who: Principal | None, action: Action, thing: Thing) -> bool:
    """For pages and views that only show or hide something."""
    return refusal(who, action, thing) is None


@overload
def ensure(who: Principal | None, action: Action, thing: StageResults) -> Principal | None: ...
@overload
def ensure(who: Principal | None, action: Action, thing: SignedInThing) -> Principal: ...
def ensure(who: Principal | None, action: Action, thing: Thing) -> Principal | None:
    """`who`, when allowed; else AuthenticationError when signing in would help (nobody is
    signed in and the thing is not public), ForbiddenError saying why otherwise. Only a
    stage's results can be public, so every other thing returns a principal."""
    error = refusal(who, action, thing)
    if error is not None:
        raise error
    return who


def _board(who: Principal, action: Action, thing: Board | Question) -> PodiumError | None:
    """Anyone signed in reads, asks and answers; a closed question takes no answers; only
    organizers pin and close; only a team may hide behind "a team"."""
    match action, thing:
        case "see", _:
            return None
        case "ask", Board(anonymous):
            if anonymous and who.team is None:
                return ForbiddenError(
                    "only a team may ask anonymously; organizers ask under their role",
                    hint="leave 'anonymous' unticked",
                )
            return None
        case "answer", Question(number, closed):
            if closed:
                return RuleError(
                    f"question {number} is closed and takes no new answers",
                    hint="ask an organizer to reopen it, or ask a new question",
                )
            return None
        case "moderate", Question():
            if who.is_organizer:
                return None
            return ForbiddenError("only organizers may pin, unpin, close or reopen a question")
    return ForbiddenError(f"no rule lets anyone {action} {thing}")


def _team_only(who: Principal, team: str, refused: str) -> ForbiddenError | None:
    """A team's own things are its members' and the organizers'."""
    return None if who.is_organizer or who.team == team else ForbiddenError(refused)


def _code(who: Principal, team: str, stage: StageFacts, refused: str) -> ForbiddenError | None:
    """A team's code is its own, and everyone's once its stage released it."""
    return None if _released(stage) else _team_only(who, team, refused)


def _results_only(who: Principal, stage: StageFacts, refused: str) -> ForbiddenError | None:
    return None if _sees_results(who, stage) else ForbiddenError(refused)


def _released(stage: StageFacts) -> bool:
    """Stages that release code do so when they close."""
    return stage.releases_code and stage.closed


def _sees_results(who: Principal | None, stage: StageFacts) -> bool:
    """Hidden stages (the final) stay hidden from everyone but organizers until revealed."""
    return not stage.hidden or stage.revealed or (who is not None and who.is_organizer)


def _hidden(stage: StageFacts) -> ForbiddenError:
    return ForbiddenError(
        f"the results of stage {stage.name!r} are hidden until revealed",
        hint="the organizer reveals them with `podium final reveal`",
    )


def _not_released(stage: StageFacts) -> ForbiddenError:
    return ForbiddenError(
        f"the code of stage {stage.name!r} is not released",
        hint="a stage with release_code = true releases it when it closes",
    )
