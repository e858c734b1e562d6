"""The JSON API: everything the pages do, for scripts and `podium submit --server`."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import FileResponse, PlainTextResponse, Response

from podium.access import Principal, can_see_code, can_see_team
from podium.errors import ForbiddenError, RuleError
from podium.service import SubmitReceipt
from podium.submission.archive import archive_suffix
from podium.web import views
from podium.web.app import Who, podium_of, require
from podium.web.uploads import OPENAPI_BODY, accept_upload

router = APIRouter(prefix="/api", tags=["api"])
# ids are SQL integers: anything larger is simply not there (and must not reach the store)
Id = Annotated[int, Path(ge=1, le=2**63 - 1)]


def _notify(request: Request) -> None:
    if request.app.state.worker is not None:
        request.app.state.worker.notify()


# -- shared by the pages --------------------------------------------------------------------


async def upload(request: Request, who: Principal, team: str | None) -> SubmitReceipt:
    """Store an uploaded archive for the principal's team (organizers name the team)."""
    return await accept_upload(request, who, team, notify=lambda: _notify(request))


def archive_response(request: Request, who: Principal | None, submission_id: int) -> FileResponse:
    podium = podium_of(request)
    sub = podium.submissions.get(submission_id)
    spec = podium.competition.spec.stage(sub.stage.name)
    if not can_see_code(
        who, sub.team.name, released=spec.release_code, stage_closed=sub.stage.status == "closed"
    ):
        raise ForbiddenError(f"submission {submission_id} belongs to another team")
    path = podium.competition.root / sub.archive_path
    with path.open("rb") as handle:
        suffix = archive_suffix(handle.read(4096))
    name = re.sub(r"[^\w.-]+", "_", f"{sub.team.name}-attempt-{sub.attempt}") + suffix
    return FileResponse(path, filename=name, media_type="application/octet-stream")


def log_text(request: Request, who: Principal | None, run_id: int) -> str:
    podium = podium_of(request)
    run = podium.results.run(run_id)
    sub = podium.submissions.get(run.submission_id)
    spec = podium.competition.spec.stage(sub.stage.name)
    if not can_see_code(
        who, sub.team.name, released=spec.release_code, stage_closed=sub.stage.status == "closed"
    ) or not views.can_see_stage(who, podium, sub.stage.name):
        raise ForbiddenError(f"run {run_id} belongs to another team")
    full = podium.competition.layout.run_dir(run_id) / "log.txt"
    return full.read_text("utf-8", errors="replace") if full.is_file() else run.log_tail


# -- reading ------------------------------------------------------------------------------------


@router.get("/me")
def me(who: Who) -> dict[str, Any]:
    """Who the token or session belongs to."""
    if who is None:
        return {"signed_in": False}
    return {"signed_in": True, "role": who.role, "team": who.team, "label": who.label}


@router.get("/stages")
def stages(request: Request) -> list[dict[str, Any]]:
    return views.stage_tabs(podium_of(request))


@router.get("/leaderboard")
def leaderboard(request: Request, who: Who, stage: str | None = None) -> Response:
    """The same document as `podium leaderboard --json`."""
    doc = views.leaderboard_json(podium_of(request), stage, who, request.app.state.boards)
    return Response(doc, media_type="application/json")


@router.get("/leaderboard.csv", response_class=PlainTextResponse)
def leaderboard_csv(request: Request, who: Who, stage: str | None = None) -> PlainTextResponse:
    board = views.leaderboard(podium_of(request), stage, who, request.app.state.boards)
    return PlainTextResponse(
        views.leaderboard_csv(board),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="leaderboard-{board.stage}.csv"'},
    )


@router.get("/charts")
def charts(request: Request, who: Who, stage: str | None = None) -> dict[str, Any]:
    return views.board_and_charts(podium_of(request), stage, who, request.app.state.boards)[1]


@router.get("/teams")
def teams(request: Request) -> list[dict[str, Any]]:
    return [
        {"team": t.name, "members": [m.name for m in t.members]}
        for t in podium_of(request).setup.teams()
    ]


@router.get("/teams/{team}")
def team(request: Request, who: Who, team: str) -> dict[str, Any]:
    """Members, attempts left and submissions: the team itself and organizers only."""
    return views.team_page(podium_of(request), team, require(who))


@router.get("/submissions/{submission_id}")
def submission(request: Request, who: Who, submission_id: Id) -> dict[str, Any]:
    podium = podium_of(request)
    sub = podium.submissions.get(submission_id)
    if not can_see_team(require(who), sub.team.name):
        raise ForbiddenError(f"submission {submission_id} belongs to another team")
    return {"team": sub.team.name, **views.submission_view(podium, sub, who).to_dict()}


@router.get("/submissions/{submission_id}/archive")
def submission_archive(request: Request, who: Who, submission_id: Id) -> FileResponse:
    return archive_response(request, require(who), submission_id)


@router.get("/runs")
def runs(request: Request, who: Who) -> list[dict[str, Any]]:
    """Every run with its fingerprint (organizers)."""
    require(who, organizer=True)
    return views.runs_overview(podium_of(request))


@router.get("/runs/{run_id}/log", response_class=PlainTextResponse)
def run_log(request: Request, who: Who, run_id: Id) -> PlainTextResponse:
    return PlainTextResponse(log_text(request, require(who), run_id))


@router.get("/hall-of-fame")
def hall_of_fame(request: Request) -> list[dict[str, Any]]:
    return views.hall_of_fame(podium_of(request))


# -- changing -------------------------------------------------------------------------------


@router.post("/submissions", status_code=201, openapi_extra=OPENAPI_BODY)
async def submit(request: Request, who: Who) -> dict[str, Any]:
    """Multipart `file` (and `team`, organizers only, before the file). The token is checked
    and the attempt counted before the body is read; the archive before it is stored."""
    receipt = await upload(request, require(who), None)
    return {**receipt.__dict__, "url": f"/api/submissions/{receipt.submission_id}"}


@router.post("/stages/{name}/open")
def open_stage(request: Request, who: Who, name: str) -> dict[str, Any]:
    require(who, organizer=True)
    podium_of(request).setup.open_stage(name)
    return {"stage": name, "status": "open"}


@router.post("/stages/{name}/close")
def close_stage(request: Request, who: Who, name: str) -> dict[str, Any]:
    require(who, organizer=True)
    winners = podium_of(request).finals.close_stage(name)
    return {"stage": name, "status": "closed", "winners": [w.team_name for w in winners]}


@router.post("/final/run", status_code=202)
def run_final(request: Request, who: Who) -> dict[str, str]:
    """Starts the final in the background; its results stay hidden until revealed."""
    require(who, organizer=True)
    start_final(request)
    return {"final": "started"}


def start_final(request: Request) -> None:
    podium = podium_of(request)
    podium.finals.candidates()  # fail fast on obvious problems, in the request
    worker = request.app.state.worker
    if worker is None:
        raise RuleError(
            "this server does not evaluate (started with --no-evaluate)",
            hint="run `podium final run` at a terminal",
        )
    worker.submit_job(lambda p: p.finals.run())


@router.post("/final/reveal")
def reveal_final(request: Request, who: Who) -> dict[str, Any]:
    require(who, organizer=True)
    winners = podium_of(request).finals.reveal()
    return {"revealed": True, "winners": [w.team_name for w in winners]}


@router.post("/runs/{run_id}/retry", status_code=202)
def retry_run(request: Request, who: Who, run_id: Id) -> dict[str, Any]:
    """Re-run a submission whose last run failed because of the platform."""
    require(who, organizer=True)
    submission_id = podium_of(request).evaluation.retry_run(run_id)
    _notify(request)
    return {"submission_id": submission_id, "status": "queued"}
