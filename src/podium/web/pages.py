"""HTML pages: the same views as the API, rendered with Jinja. Forms carry a CSRF token,
which the app's guard checks (`web/guard.py`) before any route runs."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from podium.access import Principal
from podium.errors import ForbiddenError, NotFoundError
from podium.web import session, views
from podium.web.api import Id, archive_response, log_text, start_final, upload
from podium.web.app import Who, client_address, page_context, podium_of, require, url_part
from podium.web.limits import FailureLimiter
from podium.web.middleware import plotly_style_ids

router = APIRouter(include_in_schema=False)
_NONCE = re.compile(r"[0-9a-f]{32}")


def _render(request: Request, name: str, who: Principal | None, **values: Any) -> HTMLResponse:
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, name, page_context(request, who, **values))


def _back(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@router.get("/")
def home() -> RedirectResponse:
    return _back("/leaderboard")


@router.get("/leaderboard")
def leaderboard_page(
    request: Request,
    who: Who,
    stage: str | None = None,
    languages: bool = False,
    screen: str = "laptop",
) -> HTMLResponse:
    podium = podium_of(request)
    tabs = views.stage_tabs(podium)
    try:
        board, charts = views.board_and_charts(podium, stage, who, request.app.state.boards)
    except ForbiddenError as err:
        return _render(
            request, "leaderboard.html", who, board=None, hidden=err.what, tabs=tabs,
            stage=stage, languages=languages, screen=screen, charts=None, plotly_style_ids=(),
        )  # fmt: skip
    return _render(
        request,
        "leaderboard.html",
        who,
        board=board,
        hidden=None,
        tabs=tabs,
        stage=board.stage,
        languages=languages,
        screen=screen,
        charts=charts,
        plotly_style_ids=plotly_style_ids(),
        code_released=who is not None
        and board.status == "closed"
        and podium.competition.spec.stage(board.stage).release_code,
    )


@router.get("/signin")
def signin_page(request: Request, who: Who, error: str | None = None) -> HTMLResponse:
    nonce = request.cookies.get(session.SIGNIN_COOKIE, "")
    if not _NONCE.fullmatch(nonce):
        nonce = session.signin_nonce()
    form_token = session.signin_token(request.app.state.secret, nonce)
    response = _render(request, "signin.html", who, error=error, signin_csrf=form_token)
    response.set_cookie(
        session.SIGNIN_COOKIE,
        nonce,
        max_age=session.SIGNIN_SECONDS,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/signin")
def signin(
    request: Request,
    token: Annotated[str, Form()],
    csrf: Annotated[str | None, Form()] = None,
) -> RedirectResponse:
    nonce = request.cookies.get(session.SIGNIN_COOKIE)
    if not session.signin_ok(request.app.state.secret, nonce, csrf):
        return _back("/signin?error=expired")  # not from our sign-in page: nothing is set
    limiter: FailureLimiter = request.app.state.limiter
    limiter.check(client_address(request))
    who = podium_of(request).tokens.authenticate(token)
    if who is None:
        limiter.failed(client_address(request))
        return _back("/signin?error=unknown")
    response = _back("/admin" if who.is_organizer else f"/teams/{url_part(who.team)}")
    response.delete_cookie(session.SIGNIN_COOKIE)
    response.set_cookie(
        session.COOKIE_NAME,
        session.issue(request.app.state.secret, who.token_id),
        max_age=session.SESSION_SECONDS,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/signout")
def signout(request: Request, who: Who) -> Any:
    require(who)
    response = _back("/leaderboard")
    response.delete_cookie(session.COOKIE_NAME)
    return response


@router.get("/teams/{team}")
def team_page(
    request: Request, who: Who, team: str, submitted: Annotated[int | None, Query(ge=1)] = None
) -> Any:
    if who is None:
        return _back("/signin")
    page = views.team_page(podium_of(request), team, who)
    return _render(request, "team.html", who, page=page, submitted=submitted)


@router.post("/teams/{team}/submit")
async def team_submit(request: Request, who: Who, team: str) -> RedirectResponse:
    """The upload form (multipart: `csrf`, then `file`); the same intake as the API."""
    receipt = await upload(request, require(who), team)
    return _back(f"/teams/{url_part(team)}?submitted={receipt.submission_id}")


@router.get("/hall-of-fame")
def hall_of_fame_page(request: Request, who: Who) -> HTMLResponse:
    return _render(
        request, "hall_of_fame.html", who, entries=views.hall_of_fame(podium_of(request))
    )


@router.get("/admin")
def admin_page(request: Request, who: Who) -> Any:
    if who is None:
        return _back("/signin")
    require(who, organizer=True)
    podium = podium_of(request)
    worker = request.app.state.worker
    return _render(
        request,
        "admin.html",
        who,
        tabs=views.stage_tabs(podium),
        runs=views.runs_overview(podium),
        teams=podium.setup.teams(),
        worker={"enabled": worker is not None, "busy": bool(worker and worker.busy),
                "last_error": worker.last_error if worker else None},
    )  # fmt: skip


@router.post("/admin/stages/{name}/{action}")
def admin_stage(request: Request, who: Who, name: str, action: str) -> RedirectResponse:
    require(who, organizer=True)
    podium = podium_of(request)
    if action == "open":
        podium.setup.open_stage(name)
    elif action == "close":
        podium.finals.close_stage(name)
    else:
        raise NotFoundError(f"unknown stage action {action!r}", hint="open or close")
    return _back("/admin")


@router.post("/admin/final/{action}")
def admin_final(request: Request, who: Who, action: str) -> RedirectResponse:
    require(who, organizer=True)
    if action == "run":
        start_final(request)
    elif action == "reveal":
        podium_of(request).finals.reveal()
    else:
        raise NotFoundError(f"unknown final action {action!r}", hint="run or reveal")
    return _back("/admin")


@router.post("/admin/runs/{run_id}/retry")
def admin_retry(request: Request, who: Who, run_id: Id) -> RedirectResponse:
    require(who, organizer=True)
    podium_of(request).evaluation.retry_run(run_id)
    if request.app.state.worker is not None:
        request.app.state.worker.notify()
    return _back("/admin")


@router.get("/submissions/{submission_id}/archive")
def archive(request: Request, who: Who, submission_id: Id) -> FileResponse:
    return archive_response(request, require(who), submission_id)


@router.get("/runs/{run_id}/log")
def log(request: Request, who: Who, run_id: Id) -> PlainTextResponse:
    return PlainTextResponse(log_text(request, require(who), run_id))
