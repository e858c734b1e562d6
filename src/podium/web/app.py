"""The app factory: one competition folder, its service, its worker, pages and API."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from fastapi.templating import Jinja2Templates
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
from podium.service import Podium
from podium.web import session
from podium.web.views import BoardCache
from podium.web.worker import EvaluationWorker

log = logging.getLogger("podium.web")
WEB_DIR = Path(__file__).parent
# the multipart envelope around an upload: boundaries, headers and form fields
UPLOAD_OVERHEAD = 64 * 1024


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
    return 400


class BodyLimit:
    """Refuses request bodies over the competition's upload limit before they are parsed."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await self._too_large(scope, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise HTTPException(413, self._message())
            return message

        await self.app(scope, counted, send)

    def _message(self) -> str:
        return (
            f"the upload is larger than this competition's limit of "
            f"{(self.max_bytes - UPLOAD_OVERHEAD) / 2**20:.1f} MiB "
            "([sandbox].max_upload_bytes); leave data and checkpoints you do not need out"
        )

    async def _too_large(self, scope: Scope, send: Send) -> None:
        response = JSONResponse({"error": self._message()}, status_code=413)
        await response(scope, _empty_receive, send)


async def _empty_receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


def plotly_js() -> Path:
    """The chart library's JavaScript as shipped inside plotly's wheel: charts work offline."""
    return Path(str(resources.files("plotly") / "package_data" / "plotly.min.js"))


def create_app(root: Path, *, evaluate: bool = True, poll: float = 5.0) -> FastAPI:
    """The website and API for the competition in `root`; `evaluate` runs the queue too."""
    podium = Podium.open(root)
    secret = session.load_secret(podium.layout.artifacts_dir / "web-secret")
    worker = EvaluationWorker(podium.root, poll=poll) if evaluate else None

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
        title=f"podium — {podium.spec.name}",
        version="1",
        lifespan=lifespan,
        docs_url=None,  # Swagger UI and ReDoc load scripts from a CDN; nothing here may
        redoc_url=None,  # depend on the network, so the API is described by /openapi.json
        description="Leaderboards, teams, submissions and the final of one competition. "
        "Send `Authorization: Bearer TOKEN` (tokens from `podium token create`).",
    )
    app.state.podium = podium
    app.state.secret = secret
    app.state.worker = worker
    app.state.boards = BoardCache()
    app.state.templates = Jinja2Templates(directory=str(WEB_DIR / "templates"))
    app.add_middleware(BodyLimit, max_bytes=podium.spec.sandbox.max_upload_bytes + UPLOAD_OVERHEAD)
    _add_error_handlers(app)

    from podium.web.api import router as api_router
    from podium.web.pages import router as page_router

    app.include_router(api_router)
    app.include_router(page_router)

    @app.get("/static/plotly.min.js", include_in_schema=False)
    def plotly() -> FileResponse:
        return FileResponse(plotly_js(), media_type="text/javascript")

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> FileResponse:
        files = {p.name: p for p in (WEB_DIR / "static").iterdir()}
        if name not in files:
            raise HTTPException(404, f"no static file {name!r}")
        return FileResponse(files[name])

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    return app


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "text/html" not in request.headers.get(
        "accept", ""
    )


def _add_error_handlers(app: FastAPI) -> None:
    def render(request: Request, status: int, message: str) -> Response:
        if _wants_json(request):
            return JSONResponse({"error": message}, status_code=status)
        templates: Jinja2Templates = request.app.state.templates
        return templates.TemplateResponse(
            request,
            "error.html",
            {"status": status, "message": message, "who": None, "csrf": ""},
            status_code=status,
        )

    @app.exception_handler(PodiumError)
    async def podium_error(request: Request, err: PodiumError) -> Response:
        return render(request, http_status(err), err.message)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, err: HTTPException) -> Response:
        return render(request, err.status_code, str(err.detail))


def principal(request: Request) -> Principal | None:
    """From `Authorization: Bearer` (API clients) or the signed session cookie (browsers)."""
    podium: Podium = request.app.state.podium
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        who = podium.authenticate(header[7:].strip())
        if who is None:
            raise AuthenticationError("the token is unknown or revoked", hint="podium token create")
        return who
    token_id = session.read(request.app.state.secret, request.cookies.get(session.COOKIE_NAME))
    return podium.principal_by_id(token_id) if token_id is not None else None


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
    return {"who": who, "csrf": csrf, "competition": podium_of(request).spec.name, **values}


def text(body: str) -> PlainTextResponse:
    return PlainTextResponse(body)
