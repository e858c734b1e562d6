"""Every refusal answered the same way: JSON for the API and scripts, the error page for a
browser, with the status code that says whose fault it was."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from podium.core.errors import (
    AuthenticationError,
    DataError,
    ForbiddenError,
    InputError,
    NotFoundError,
    PlatformError,
    PodiumError,
    RuleError,
    SpecError,
    SubmissionError,
)
from podium.web.deps import SignInFirst
from podium.web.limits import TooManyAttemptsError
from podium.web.middleware import BODY_STATE

# Refused before its body was read: an anonymous, malformed, oversized or rate-limited
# request loses its connection (nobody reads the rest); a signed-in client's refusal (403,
# 409, ...) lets the server discard the rest unread, so that the client, still sending,
# reliably gets the answer instead of a reset connection.
CLOSE_UNREAD = frozenset({400, 401, 413, 429})


def http_status(err: PodiumError) -> int:
    """Whose fault and what kind: the status code a client can act on."""
    if isinstance(err, AuthenticationError):
        return 401
    if isinstance(err, ForbiddenError):
        return 403
    if isinstance(err, NotFoundError):
        return 404
    if isinstance(err, RuleError):
        return 409
    if isinstance(err, SubmissionError | SpecError | DataError | InputError):
        return 422
    if isinstance(err, PlatformError):
        return 503
    if isinstance(err, TooManyAttemptsError):
        return 429
    return 400


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "text/html" not in request.headers.get(
        "accept", ""
    )


def _render(
    request: Request, status: int, message: str, headers: dict[str, str] | None = None
) -> Response:
    headers = dict(headers or {})
    if request.scope.get(BODY_STATE) == "unread" and status in CLOSE_UNREAD:
        headers["Connection"] = "close"
    if _wants_json(request):
        return JSONResponse({"error": message}, status_code=status, headers=headers)
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(
        request,
        "error.html",
        {"status": status, "message": message, "who": None, "csrf": ""},
        status_code=status,
        headers=headers,
    )


async def podium_error(request: Request, err: PodiumError) -> Response:
    headers = {}
    if isinstance(err, TooManyAttemptsError):
        headers["Retry-After"] = str(err.retry_after)
    return _render(request, http_status(err), err.message, headers)


async def http_error(request: Request, err: StarletteHTTPException) -> Response:
    """The router's 404 and 405 too."""
    return _render(request, err.status_code, str(err.detail), dict(err.headers or {}))


async def invalid_request(request: Request, err: RequestValidationError) -> Response:
    problems = "; ".join(
        f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', 'invalid')}"
        for e in err.errors()
    )
    return _render(request, 422, problems or "the request is not valid")


async def disconnected(request: Request, _: ClientDisconnect) -> Response:
    return _render(request, 400, "the client disconnected before its request arrived")


async def sign_in_first(_: Request, __: SignInFirst) -> Response:
    return RedirectResponse("/signin", status_code=303)


def add_error_handlers(app: FastAPI) -> None:
    app.exception_handler(PodiumError)(podium_error)
    app.exception_handler(StarletteHTTPException)(http_error)
    app.exception_handler(RequestValidationError)(invalid_request)
    app.exception_handler(ClientDisconnect)(disconnected)
    app.exception_handler(SignInFirst)(sign_in_first)
