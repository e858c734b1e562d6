"""The app factory: one competition folder, its service, its worker, pages and API."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, PlainTextResponse
from fastapi.templating import Jinja2Templates

from podium.access import Principal
from podium.errors import AuthenticationError, ForbiddenError
from podium.service import Podium
from podium.web import session
from podium.web.errors import add_error_handlers
from podium.web.guard import guard, has_bearer
from podium.web.limits import FailureLimiter
from podium.web.middleware import NONCE_ATTRIBUTE, BodyLimit, plotly_js, security_headers
from podium.web.views import BoardCache
from podium.web.worker import EvaluationWorker

WEB_DIR = Path(__file__).parent


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
    add_error_handlers(app)

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

    app.middleware("http")(security_headers)
    return app


def url_part(value: object) -> str:
    """A name as one URL path segment or query value: every reserved character encoded."""
    return quote(str(value), safe="")


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
