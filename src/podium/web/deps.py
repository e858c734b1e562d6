"""What routes take from a request: the service, the principal, and the principal as a route
needs it (`SignedIn`, `Organizer`, `TeamMember`), decided by `podium.rules.access` before the route
runs; pages get the same with a redirect to the sign-in page for an anonymous browser."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Path, Request

from podium.core.errors import AuthenticationError, ForbiddenError
from podium.rules.access import (
    Account,
    Administration,
    Board,
    Evaluating,
    Principal,
    Team,
    allowed,
    ensure,
)
from podium.service import Podium
from podium.web import session
from podium.web.guard import WORKER_PREFIX, has_bearer
from podium.web.limits import FailureLimiter
from podium.web.middleware import NONCE_ATTRIBUTE

# ids are SQL integers: anything larger is simply not there (and must not reach the store)
Id = Annotated[int, Path(ge=1, le=2**63 - 1)]


def podium_of(request: Request) -> Podium:
    podium: Podium = request.app.state.podium
    return podium


def client_address(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


# said to whoever holds the token, a participant as often as not: what they can do themselves
WRONG_TOKEN_HINT = (
    "use the whole token your organizer gave you (it starts with pdm_); "
    "if it was revoked, ask them for a new one"
)


def principal(request: Request) -> Principal | None:
    """From `Authorization: Bearer` (API clients) or the session cookie (browsers), looked
    up once per request. Unknown tokens count against the client's sign-in limit (429 once
    it is used up)."""
    if not hasattr(request.state, "principal"):
        request.state.principal = _principal(request)
    found: Principal | None = request.state.principal
    return found


def _principal(request: Request) -> Principal | None:
    podium = podium_of(request)
    if has_bearer(request):
        limiter: FailureLimiter = request.app.state.limiter
        limiter.check(client_address(request))
        who = podium.tokens.authenticate(request.headers["authorization"][7:].strip())
        if who is None:
            limiter.failed(client_address(request))
            raise AuthenticationError("the token is unknown or revoked", hint=WRONG_TOKEN_HINT)
        if who.is_worker and not request.url.path.startswith(WORKER_PREFIX):
            raise ForbiddenError(
                "a worker token can only fetch what a run needs and report its result"
            )
        return who
    key = session.read(request.app.state.secret, request.cookies.get(session.COOKIE_NAME))
    return podium.tokens.session_principal(key) if key is not None else None


Who = Annotated[Principal | None, Depends(principal)]


def token_scope(request: Request) -> None:
    """Run for every route (added to the app), even one that asks nobody: a bearer token is
    checked wherever it is sent, so a worker's reaches `/api/worker/*` and nothing else."""
    if has_bearer(request) and not request.url.path.startswith(WORKER_PREFIX):
        principal(request)


def signed_in(who: Who) -> Principal:
    return ensure(who, "use", Account())


def organizer(who: Who) -> Principal:
    return ensure(who, "manage", Administration())


def team_member(who: Who, team: str) -> Principal:
    """A member of the team named in the path, or an organizer."""
    return ensure(who, "see", Team(team))


def worker(who: Who) -> Principal:
    return ensure(who, "evaluate", Evaluating())


def board_reader(who: Who) -> Principal:
    return ensure(who, "see", Board())


SignedIn = Annotated[Principal, Depends(signed_in)]
BoardReader = Annotated[Principal, Depends(board_reader)]
WorkerToken = Annotated[Principal, Depends(worker)]
Organizer = Annotated[Principal, Depends(organizer)]
TeamMember = Annotated[Principal, Depends(team_member)]


class SignInFirst(Exception):
    """An anonymous browser on a page that needs a principal: sent to the sign-in page."""


def organizer_page(who: Who) -> Principal:
    try:
        return organizer(who)
    except AuthenticationError:
        raise SignInFirst from None


def team_member_page(who: Who, team: str) -> Principal:
    try:
        return team_member(who, team)
    except AuthenticationError:
        raise SignInFirst from None


def board_reader_page(who: Who) -> Principal:
    try:
        return board_reader(who)
    except AuthenticationError:
        raise SignInFirst from None


BoardReaderPage = Annotated[Principal, Depends(board_reader_page)]
OrganizerPage = Annotated[Principal, Depends(organizer_page)]
TeamMemberPage = Annotated[Principal, Depends(team_member_page)]


def page_context(request: Request, who: Principal | None, **values: Any) -> dict[str, Any]:
    """What every template gets: who is signed in, the form token, the CSP nonce."""
    cookie = request.cookies.get(session.COOKIE_NAME)
    csrf = session.csrf_token(request.app.state.secret, cookie) if cookie and who else ""
    return {
        "who": who,
        "csrf": csrf,
        "may_manage": allowed(who, "manage", Administration()),
        "competition": podium_of(request).competition.spec.name,
        "csp_nonce": getattr(request.state, NONCE_ATTRIBUTE, ""),
        **values,
    }
