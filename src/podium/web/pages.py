"""HTML pages: the same views as the API, rendered with Jinja. Forms carry a CSRF token,
which the app's guard checks (`web/guard.py`) before any route runs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from podium.core.errors import ForbiddenError, NotFoundError
from podium.metrics.registry import metric_label
from podium.report.durations import duration_text, figure, interval_title
from podium.report.tiles import tile_filename, tile_png, tile_svg
from podium.rules.access import Administration, Principal, StageCode, allowed
from podium.service.boards import Board
from podium.web import actions, markup, session, views
from podium.web.deps import (
    Id,
    Organizer,
    OrganizerPage,
    SignedIn,
    TeamMemberPage,
    Who,
    client_address,
    page_context,
    podium_of,
)
from podium.web.limits import FailureLimiter
from podium.web.middleware import plotly_style_ids
from podium.web.pagecache import keep_page

router = APIRouter(include_in_schema=False)
_NONCE = re.compile(r"[0-9a-f]{32}")
TEMPLATES_DIR = Path(__file__).parent / "templates"


def url_part(value: object) -> str:
    """A name as one URL path segment or query value: every reserved character encoded."""
    return quote(str(value), safe="")


def page_templates() -> Jinja2Templates:
    """The pages' templates, with the `part` filter for names in URLs, the `duration` and
    `interval_title` filters that write a duration as the terminal does (`1.23 s ±4%`), and
    `markdown` for people's text (rendered inert by `web/markup.py`)."""
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
    templates.env.filters["part"] = url_part
    templates.env.filters["duration"] = duration_text
    templates.env.filters["interval_title"] = interval_title
    templates.env.filters["markdown"] = lambda text: Markup(markup.render(text))
    templates.env.filters["seconds"] = lambda value: figure(float(value), "s")
    templates.env.filters["metric"] = metric_label
    return templates


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
    board = podium.boards.board(stage)  # one read of the store's revision per page
    tabs = views.stage_tabs(podium, board.stages)
    if who is None and not any(t["countdown"] for t in tabs):
        keep_page(request, board.revision)  # everyone's page until the board changes
    try:
        view = views.board_view(podium, stage, who, board)
    except ForbiddenError as err:
        return _render(
            request, "leaderboard.html", who, board=None, hidden=err.what, tabs=tabs,
            stage=stage, languages=languages, screen=screen, charts=None, plotly_style_ids=(),
        )  # fmt: skip
    code_released = allowed(who, "download", StageCode(view.stage.facts))
    return _render(
        request,
        "leaderboard.html",
        who,
        board=view.leaderboard,
        board_html=_board_html(
            request, view, languages=languages, code=code_released, review=_review(request, who)
        ),
        hidden=None,
        tabs=tabs,
        stage=view.leaderboard.stage,
        languages=languages,
        screen=screen,
        charts=view.charts,
        plotly_style_ids=plotly_style_ids(),
    )


_FRAGMENTS = 32  # rendered boards kept (stages x languages x code shown)


def _review(request: Request, who: Principal | None) -> frozenset[int]:
    """Submissions an organizer's board marks "under review" (nobody else's board does)."""
    if not allowed(who, "manage", Administration()):
        return frozenset()
    return podium_of(request).reviews.under_review()


def _board_html(
    request: Request,
    view: Board,
    *,
    languages: bool,
    code: bool,
    review: frozenset[int] = frozenset(),
) -> Markup:
    """The board's table, decisions and charts, rendered once per board revision: what
    the page adds per request (who, tabs, nonce, form token) is small. `review`: rows an
    organizer sees marked "under review"."""
    cache: dict[tuple[int, str, bool, bool, frozenset[int]], Markup] = request.app.state.fragments
    key = (view.revision, view.stage.name, languages, code, review)
    html = cache.get(key)
    if html is None:
        templates: Jinja2Templates = request.app.state.templates
        html = Markup(
            templates.env.get_template("_board.html").render(
                board=view.leaderboard, charts=view.charts, languages=languages,
                code_released=code, under_review=review,
            )
        )  # fmt: skip
        if len(cache) >= _FRAGMENTS:
            cache.clear()
        cache[key] = html
    return html


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
    if who.is_worker:  # a machine's token signs nobody in
        return _back("/signin?error=worker")
    manages = allowed(who, "manage", Administration())
    response = _back("/admin" if manages else f"/teams/{url_part(who.team)}")
    response.delete_cookie(session.SIGNIN_COOKIE)
    response.set_cookie(
        session.COOKIE_NAME,
        session.issue(
            request.app.state.secret,
            podium_of(request).tokens.open_session(who.token_id, session.SESSION_SECONDS),
        ),
        max_age=session.SESSION_SECONDS,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/signout")
def signout(request: Request, _: SignedIn) -> RedirectResponse:
    """Ends the session in the store: the cookie is dead even if a copy of it is kept."""
    key = session.read(request.app.state.secret, request.cookies.get(session.COOKIE_NAME))
    if key is not None:
        podium_of(request).tokens.end_session(key)
    response = _back("/leaderboard")
    response.delete_cookie(session.COOKIE_NAME)
    return response


@router.get("/teams/{team}")
def team_page(
    request: Request,
    who: TeamMemberPage,
    team: str,
    submitted: Annotated[int | None, Query(ge=1)] = None,
) -> HTMLResponse:
    page = views.team_page(podium_of(request), team, who)
    return _render(request, "team.html", who, page=page, submitted=submitted)


@router.post("/teams/{team}/submit")
async def team_submit(request: Request, who: SignedIn, team: str) -> RedirectResponse:
    """The upload form (multipart: `csrf`, then `file`); the same intake as the API."""
    receipt = await actions.upload(request, who, team)
    return _back(f"/teams/{url_part(team)}?submitted={receipt.submission_id}")


@router.get("/hall-of-fame")
def hall_of_fame_page(request: Request, who: Who, screen: str = "laptop") -> HTMLResponse:
    entries = views.hall_of_fame(podium_of(request))
    return _render(request, "hall_of_fame.html", who, entries=entries, screen=_screen(screen))


@router.get("/hall-of-fame/{entry_id}.svg")
def fame_svg(request: Request, entry_id: Id) -> Response:
    tile = views.fame_tile(podium_of(request), entry_id)
    return _download(tile_svg(tile).encode(), "image/svg+xml", tile_filename(tile, "svg"))


@router.get("/hall-of-fame/{entry_id}.png")
def fame_png(request: Request, entry_id: Id) -> Response:
    tile = views.fame_tile(podium_of(request), entry_id)
    # shown in the browser (a PNG runs nothing; the browser's own picture page styles itself
    # inline); the page's "download" link beside it saves it
    shown = _download(tile_png(tile_svg(tile)), "image/png", tile_filename(tile, "png"), "inline")
    shown.headers["Content-Security-Policy"] = PICTURE_POLICY
    return shown


PICTURE_POLICY = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"


def _download(body: bytes, media_type: str, filename: str, how: str = "attachment") -> Response:
    disposition = f'{how}; filename="{filename}"'  # the name is [a-z0-9.-] only
    return Response(body, media_type=media_type, headers={"Content-Disposition": disposition})


@router.get("/huddle")
def huddle_page(
    request: Request, who: Who, since: str = "7d", screen: str = "laptop"
) -> HTMLResponse:
    data = views.huddle(podium_of(request), since, who)
    return _render(request, "huddle.html", who, **data, screen=_screen(screen),
                   plotly_style_ids=plotly_style_ids())  # fmt: skip


def _screen(screen: str) -> str:
    return "wall" if screen == "wall" else "laptop"


@router.get("/admin")
def admin_page(request: Request, who: OrganizerPage) -> HTMLResponse:
    podium = podium_of(request)
    worker = request.app.state.worker
    with podium.snapshot():  # every part of the page as of one moment
        return _render(
            request,
            "admin.html",
            who,
            tabs=views.stage_tabs(podium),
            runs=views.runs_overview(podium),
            teams=podium.setup.teams(),
            worker={"enabled": worker is not None, "busy": bool(worker and worker.busy),
                    "last_error": worker.last_error if worker else None},
            efficiency=views.efficiency_overview(podium),
            fleet=views.fleet_overview(podium),
            flagged=views.flagged(podium),
        )  # fmt: skip


@router.get("/admin/what-if")
def what_if_page(
    request: Request,
    who: OrganizerPage,
    stage: str,
    gap: float | None = None,
    gain: float | None = None,
    bonus: str | None = None,
    confidence: float | None = None,
) -> HTMLResponse:
    """A stage's stored measurements under another rule, beside the published one."""
    data = views.what_if(
        podium_of(request), stage, gap=gap, gain=gain, bonus=bonus, confidence=confidence
    )
    return _render(request, "what_if.html", who, stage=stage, **data)


@router.post("/admin/stages/{name}/{action}")
def admin_stage(request: Request, _: Organizer, name: str, action: str) -> RedirectResponse:
    podium = podium_of(request)
    if action == "open":
        podium.setup.open_stage(name)
    elif action == "close":
        actions.close_stage(request, name)
    else:
        raise NotFoundError(f"unknown stage action {action!r}", hint="open or close")
    return _back("/admin")


@router.post("/admin/final/{action}")
def admin_final(request: Request, _: Organizer, action: str) -> RedirectResponse:
    if action == "run":
        actions.start_final(request)
    elif action == "reveal":
        actions.reveal_final(request)
    else:
        raise NotFoundError(f"unknown final action {action!r}", hint="run or reveal")
    return _back("/admin")


@router.post("/admin/submissions/{submission_id}/review")
def admin_review(
    request: Request,
    who: Organizer,
    submission_id: Id,
    decision: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
) -> RedirectResponse:
    """An organizer's decision on a flagged submission (the admin page's form)."""
    podium_of(request).reviews.decide(submission_id, decision, reason, by=who.display)
    return _back("/admin#flags")


@router.post("/admin/runs/{run_id}/retry")
def admin_retry(request: Request, _: Organizer, run_id: Id) -> RedirectResponse:
    actions.retry_run(request, run_id)
    return _back("/admin")


@router.get("/submissions/{submission_id}/archive")
def archive(request: Request, who: SignedIn, submission_id: Id) -> FileResponse:
    return actions.archive_response(request, who, submission_id)


@router.get("/runs/{run_id}/log")
def log(request: Request, who: SignedIn, run_id: Id) -> PlainTextResponse:
    return actions.log_response(request, who, run_id)
