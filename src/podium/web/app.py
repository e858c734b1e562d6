"""The app factory: one competition folder, its service, its worker, pages and API."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from podium.access import Principal
from podium.errors import (
    AuthenticationError,
    DataError,
    ForbiddenError,
    NotFoundError,
    PlatformError,
    PodiumError,
    RuleError,
    SpecError,
    SubmissionError,
)
from podium.report.charts import drawing_script, plotly_js
from podium.service import Podium
from podium.web import session
from podium.web.guard import guard, has_bearer, is_upload
from podium.web.headers import NONCE_ATTRIBUTE, security_headers
from podium.web.limits import FailureLimiter, TooManyAttemptsError
from podium.web.uploads import BODY_STATE, too_large
from podium.web.views import BoardCache
from podium.web.worker import EvaluationWorker

log = logging.getLogger("podium.web")
WEB_DIR = Path(__file__).parent
# the multipart envelope around an upload: boundaries, headers and form fields
UPLOAD_OVERHEAD = 64 * 1024
# every other request body: a sign-in or organizer form at most
SMALL_BODY_BYTES = 64 * 1024
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
    if isinstance(err, SubmissionError | SpecError | DataError):
        return 422
    if isinstance(err, PlatformError):
        return 503
    if isinstance(err, TooManyAttemptsError):
        return 429
    return 400


class BodyLimit:
    """Refuses request bodies over their route's limit before they are parsed: uploads may
    be as large as the competition allows, every other body is a small form."""

    def __init__(self, app: ASGIApp, max_upload_bytes: int) -> None:
        self.app, self.max_upload_bytes = app, max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upload = is_upload(scope["path"])
        limit = self.max_upload_bytes + UPLOAD_OVERHEAD if upload else SMALL_BODY_BYTES
        headers = dict(scope.get("headers", []))
        length = headers.get(b"content-length", b"")
        if length.isdigit() and int(length) > limit:
            await self._too_large(scope, send, upload)
            return
        if (length.isdigit() and int(length) > 0) or b"transfer-encoding" in headers:
            scope[BODY_STATE] = "unread"  # until its last byte arrives (see the error handler)
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise self._error(upload)
            if message["type"] == "http.request" and not message.get("more_body", False):
                scope[BODY_STATE] = "read"
            return message

        await self.app(scope, counted, send)

    def _error(self, upload: bool) -> HTTPException:
        if upload:
            return too_large(self.max_upload_bytes)
        return HTTPException(413, f"the request body is larger than {SMALL_BODY_BYTES} bytes")

    async def _too_large(self, scope: Scope, send: Send, upload: bool) -> None:
        response = JSONResponse(
            {"error": self._error(upload).detail}, status_code=413, headers={"Connection": "close"}
        )
        await response(scope, _empty_receive, send)


async def _empty_receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


def create_app(
    root: Path,
    *,
    evaluate: bool = True,
    poll: float = 5.0,
    clock: Callable[[], float] = time.monotonic,
) -> FastAPI:
    """The website and API for the competition in `root`; `evaluate` runs the queue too;
    `clock` times the sign-in rate limit."""
    podium = Podium.open(root)
    secret = session.load_secret(podium.competition.layout.artifacts_dir / "web-secret")
    worker = EvaluationWorker(podium.competition.root, poll=poll) if evaluate else None

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if worker is not None:
            worker.start()
        try:
            yield
        finally:
            if worker is not None:
                worker.stop()
            podium.close()

    app = FastAPI(
        title=f"podium — {podium.competition.spec.name}",
        version="1",
        lifespan=lifespan,
        docs_url=None,  # Swagger UI and ReDoc load scripts from a CDN; nothing here may
        redoc_url=None,  # depend on the network, so the API is described by /openapi.json
        description="Leaderboards, teams, submissions and the final of one competition. "
        "Send `Authorization: Bearer TOKEN` (tokens from `podium token create`).",
        dependencies=[Depends(guard)],
    )
    app.state.podium = podium
    app.state.secret = secret
    app.state.worker = worker
    app.state.boards = BoardCache()
    app.state.limiter = FailureLimiter(clock=clock)
    templates = Jinja2Templates(directory=str(WEB_DIR / "templates"))
    templates.env.filters["part"] = url_part
    app.state.templates = templates
    app.add_middleware(BodyLimit, max_upload_bytes=podium.competition.spec.sandbox.max_upload_bytes)
    _add_error_handlers(app)

    from podium.web.api import router as api_router
    from podium.web.pages import router as page_router

    app.include_router(api_router)
    app.include_router(page_router)

    @app.get("/static/plotly.min.js", include_in_schema=False)
    def plotly() -> FileResponse:
        return FileResponse(plotly_js(), media_type="text/javascript")

    @app.get("/static/charts.js", include_in_schema=False)
    def charts_js() -> FileResponse:
        return FileResponse(drawing_script(), media_type="text/javascript")

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> FileResponse:
        files = {p.name: p for p in (WEB_DIR / "static").iterdir()}
        if name not in files:
            raise HTTPException(404, f"no static file {name!r}")
        return FileResponse(files[name])

    app.middleware("http")(security_headers)
    return app


def url_part(value: object) -> str:
    """A name as one URL path segment or query value: every reserved character encoded."""
    return quote(str(value), safe="")


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "text/html" not in request.headers.get(
        "accept", ""
    )


def _add_error_handlers(app: FastAPI) -> None:
    def render(
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

    @app.exception_handler(PodiumError)
    async def podium_error(request: Request, err: PodiumError) -> Response:
        headers = {}
        if isinstance(err, TooManyAttemptsError):
            headers["Retry-After"] = str(err.retry_after)
        return render(request, http_status(err), err.message, headers)

    @app.exception_handler(StarletteHTTPException)  # the router's 404 and 405 too
    async def http_error(request: Request, err: StarletteHTTPException) -> Response:
        return render(request, err.status_code, str(err.detail), dict(err.headers or {}))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, err: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', 'invalid')}"
            for e in err.errors()
        )
        return render(request, 422, problems or "the request is not valid")

    @app.exception_handler(ClientDisconnect)
    async def disconnected(request: Request, _: ClientDisconnect) -> Response:
        return render(request, 400, "the client disconnected before its request arrived")


def client_address(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


def principal(request: Request) -> Principal | None:
    """From `Authorization: Bearer` (API clients) or the signed session cookie (browsers).
    Unknown tokens count against the client's sign-in limit (429 once it is used up)."""
    podium: Podium = request.app.state.podium
    if has_bearer(request):
        limiter: FailureLimiter = request.app.state.limiter
        limiter.check(client_address(request))
        who = podium.tokens.authenticate(request.headers["authorization"][7:].strip())
        if who is None:
            limiter.failed(client_address(request))
            raise AuthenticationError("the token is unknown or revoked", hint="podium token create")
        return who
    token_id = session.read(request.app.state.secret, request.cookies.get(session.COOKIE_NAME))
    return podium.tokens.principal_by_id(token_id) if token_id is not None else None


Who = Annotated[Principal | None, Depends(principal)]


def podium_of(request: Request) -> Podium:
    podium: Podium = request.app.state.podium
    return podium


def require(who: Principal | None, *, organizer: bool = False) -> Principal:
    if who is None:
        raise AuthenticationError("sign in first", hint="with a token from `podium token create`")
    if organizer and not who.is_organizer:
        raise ForbiddenError("only organizers may do this")
    return who


def page_context(request: Request, who: Principal | None, **values: Any) -> dict[str, Any]:
    cookie = request.cookies.get(session.COOKIE_NAME)
    csrf = session.csrf_token(request.app.state.secret, cookie) if cookie and who else ""
    return {
        "who": who,
        "csrf": csrf,
        "competition": podium_of(request).competition.spec.name,
        "csp_nonce": getattr(request.state, NONCE_ATTRIBUTE, ""),
        **values,
    }


def text(body: str) -> PlainTextResponse:
    return PlainTextResponse(body)
