"""The app factory: one competition folder, its service and worker, assembled with the API and
page routers, the middleware, the error handlers and the static files."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse

from podium.report.charts import drawing_script, plotly_js
from podium.service import Podium
from podium.web import api, jobs, pages, questions, session, verdicts, worker_api, worker_jobs
from podium.web.courier import Courier
from podium.web.deps import token_scope
from podium.web.dispatch import Dispatcher
from podium.web.errors import add_error_handlers
from podium.web.evaluator import Evaluator
from podium.web.guard import guard
from podium.web.limits import FailureLimiter
from podium.web.middleware import BodyLimit, SecurityHeaders, StoreSafe
from podium.web.pagecache import PageCache
from podium.web.ticker import ScheduleTicker

STATIC_DIR = Path(__file__).parent / "static"
static = APIRouter(include_in_schema=False)


@static.get("/static/plotly.min.js")
def plotly() -> FileResponse:
    return FileResponse(plotly_js(), media_type="text/javascript")


@static.get("/static/charts.js")
def charts_js() -> FileResponse:
    """The one drawing script, shared with the HTML report."""
    return FileResponse(drawing_script(), media_type="text/javascript")


@static.get("/openapi.json")
def openapi_document(request: Request) -> JSONResponse:
    """The API's description, served as a route so that the app's dependencies (a worker
    token's scope among them) apply to it as to every other."""
    return JSONResponse(request.app.openapi())


@static.get("/static/{name}")
def static_file(name: str) -> FileResponse:
    files = {p.name: p for p in STATIC_DIR.iterdir()}
    if name not in files:
        raise HTTPException(404, f"no static file {name!r}")
    return FileResponse(files[name])


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The evaluator and the deliverer of news run while the app serves; the store closes
    when it stops."""
    podium: Podium = app.state.podium
    # the ticker stops first (it may wake the evaluator), the courier last (it sends their news)
    threads = [t for t in (app.state.ticker, app.state.worker, app.state.courier) if t is not None]
    for thread in reversed(threads):
        thread.start()
    try:
        yield
    finally:
        for thread in threads:
            thread.stop()
        podium.close()


def create_app(
    root: Path,
    *,
    evaluate: bool = True,
    poll: float = 5.0,
    clock: Callable[[], float] = time.monotonic,
    tick: float = 1.0,
) -> FastAPI:
    """The website and API for the competition in `root`; `evaluate` runs the queue too;
    `clock` times the sign-in rate limit; scheduled stages are checked every `tick` s."""
    podium = Podium.open(root)
    broker = podium.competition.broker
    step = Dispatcher(broker) if broker else None  # workers evaluate; the server only sends
    worker = Evaluator(podium.competition.root, poll=poll, step=step) if evaluate else None
    app = FastAPI(
        title=f"podium — {podium.competition.spec.name}",
        version="1",
        lifespan=lifespan,
        docs_url=None,  # Swagger UI and ReDoc load scripts from a CDN; nothing here may
        redoc_url=None,  # depend on the network, so the API is described by /openapi.json
        openapi_url=None,  # served by `openapi_document`
        description="Leaderboards, teams, submissions and the final of one competition. "
        "Send `Authorization: Bearer TOKEN` (tokens from `podium token create`).",
        dependencies=[Depends(guard), Depends(token_scope)],
    )
    app.state.podium = podium
    app.state.secret = session.load_secret(podium.competition.layout.artifacts_dir / "web-secret")
    app.state.worker = worker
    notifies = any(True for _ in podium.competition.spec.notify.destinations())
    app.state.courier = Courier(podium.competition.root) if notifies else None
    ticker = None
    if podium.schedule.scheduled():
        ticker = ScheduleTicker(podium.competition.root, every=tick, worker=worker)
    app.state.ticker = ticker
    app.state.limiter = FailureLimiter(clock=clock)
    app.state.fragments = {}  # boards rendered once per revision (pages._board_html)
    app.state.templates = pages.page_templates()
    app.add_middleware(StoreSafe)  # inside the body limit: it reads small bodies only
    app.add_middleware(BodyLimit, max_upload_bytes=podium.competition.spec.sandbox.max_upload_bytes)
    add_error_handlers(app)
    app.include_router(api.router)
    app.include_router(verdicts.api)
    app.include_router(jobs.router)
    app.include_router(questions.api)
    app.include_router(worker_api.router)
    app.include_router(worker_jobs.router)
    app.include_router(pages.router)
    app.include_router(questions.pages)
    app.include_router(verdicts.pages)
    app.include_router(static)
    # just inside the security headers: a kept page was rendered through every layer below
    # (StoreSafe refused nothing in its exact path and query), a hit skips them
    app.add_middleware(
        PageCache,
        revision=podium.boards.revision,
        blocking=podium.competition.engine.dialect.name != "sqlite",
    )
    app.add_middleware(SecurityHeaders)
    return app
