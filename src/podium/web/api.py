"""The JSON API: everything the pages do, for scripts and `podium submit --server`."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, PlainTextResponse, Response
from pydantic import BaseModel, Field

from podium.web import actions, views
from podium.web.deps import Id, Organizer, SignedIn, TeamMember, Who, podium_of
from podium.web.uploads import OPENAPI_BODY

router = APIRouter(prefix="/api", tags=["api"])


# -- reading ------------------------------------------------------------------------------------


@router.get("/me")
def me(who: Who) -> dict[str, Any]:
    """Who the token or session belongs to."""
    if who is None:
        return {"signed_in": False}
    return {
        "signed_in": True,
        "role": who.role,
        "team": who.team,
        "member": who.member,
        "label": who.label,
    }


@router.get("/stages")
def stages(request: Request) -> list[dict[str, Any]]:
    return views.stage_tabs(podium_of(request))


@router.get("/leaderboard")
def leaderboard(request: Request, who: Who, stage: str | None = None) -> Response:
    """The same document as `podium leaderboard --json`."""
    view = views.board_view(podium_of(request), stage, who)
    return Response(view.json, media_type="application/json")  # serialised once per version


@router.get("/leaderboard.csv", response_class=PlainTextResponse)
def leaderboard_csv(request: Request, who: Who, stage: str | None = None) -> PlainTextResponse:
    board = views.board_view(podium_of(request), stage, who).leaderboard
    return PlainTextResponse(
        views.leaderboard_csv(board),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="leaderboard-{board.stage}.csv"'},
    )


@router.get("/charts")
def charts(request: Request, who: Who, stage: str | None = None) -> dict[str, Any]:
    return views.board_view(podium_of(request), stage, who).charts


@router.get("/teams")
def teams(request: Request) -> list[dict[str, Any]]:
    return [{"team": t.name, "members": list(t.members)} for t in podium_of(request).setup.teams()]


@router.get("/teams/{team}")
def team(request: Request, who: TeamMember, team: str) -> dict[str, Any]:
    """Members, attempts left and submissions: the team itself and organizers only."""
    return views.team_page(podium_of(request), team, who)


@router.get("/submissions/{submission_id}")
def submission(request: Request, who: Who, submission_id: Id) -> dict[str, Any]:
    return views.submission_record(podium_of(request), submission_id, who)


@router.get("/submissions/{submission_id}/archive")
def submission_archive(request: Request, who: SignedIn, submission_id: Id) -> FileResponse:
    return actions.archive_response(request, who, submission_id)


@router.get("/runs")
def runs(request: Request, _: Organizer) -> list[dict[str, Any]]:
    """Every run with its fingerprint (organizers)."""
    return views.runs_overview(podium_of(request))


@router.get("/runs/{run_id}/log", response_class=PlainTextResponse)
def run_log(request: Request, who: SignedIn, run_id: Id) -> PlainTextResponse:
    return actions.log_response(request, who, run_id)


@router.get("/workers")
def workers(request: Request, _: Organizer) -> dict[str, Any]:
    """The fleet: each worker's label, fingerprint, last heartbeat, current run, runs done;
    what waits per label (organizers)."""
    return views.fleet_overview(podium_of(request))


@router.get("/hall-of-fame")
def hall_of_fame(request: Request) -> list[dict[str, Any]]:
    """Newest stage first, then by place; each winner's printable tile is
    `/hall-of-fame/{id}.svg` or `.png`."""
    return views.hall_of_fame(podium_of(request))


@router.get("/huddle")
def huddle(request: Request, who: Who, since: str = "7d") -> dict[str, Any]:
    """What changed since `since` (7d, 24h, 90m, 2026-11-01, 2026-11-01T09:00+01:00) on each
    stage whose results `who` may see: new bests, places then and now, attempts made, each
    team's billed training compute where boards show it and, for organizers and the team
    itself, the CPU hours of budget left (`training_left`)."""
    data = views.huddle(podium_of(request), since, who)
    return {
        "since": data["since"].isoformat(),
        "training_left": data["training_left"],
        "stages": [
            {**s["changes"].to_dict(), "status": s["status"], "charts": s["charts"]}
            for s in data["stages"]
        ],
    }


# -- changing -------------------------------------------------------------------------------


@router.post("/submissions", status_code=201, openapi_extra=OPENAPI_BODY)
async def submit(request: Request, who: SignedIn) -> dict[str, Any]:
    """Multipart `file` (and `team`, organizers only, before the file). The token is checked
    and the attempt counted before the body is read; the archive before it is stored."""
    receipt = await actions.upload(request, who, None)
    return {**receipt.__dict__, "url": f"/api/submissions/{receipt.submission_id}"}


@router.post("/stages/{name}/open")
def open_stage(request: Request, _: Organizer, name: str) -> dict[str, Any]:
    podium_of(request).setup.open_stage(name)
    return {"stage": name, "status": "open"}


@router.post("/stages/{name}/close")
def close_stage(request: Request, _: Organizer, name: str) -> dict[str, Any]:
    """Closes at once; the results are published (photo finish, winners) by the server's
    evaluator: `publishing` is true and `winners` empty until then."""
    winners = actions.close_stage(request, name)
    return {"stage": name, "status": "closed", "winners": winners or [],
            "publishing": winners is None}  # fmt: skip


@router.post("/final/run", status_code=202)
def run_final(request: Request, _: Organizer) -> dict[str, str]:
    """Starts the final in the background; its results stay hidden until revealed."""
    actions.start_final(request)
    return {"final": "started"}


@router.post("/final/reveal")
def reveal_final(request: Request, _: Organizer) -> dict[str, Any]:
    """Reveals after the final's photo finish (on the server's evaluator when it has one:
    then `revealed` is false until it is done)."""
    winners = actions.reveal_final(request)
    return {"revealed": winners is not None, "winners": winners or []}


@router.get("/flags")
def flags(request: Request, _: Organizer) -> list[dict[str, Any]]:
    """Flagged submissions, newest first: organizers only (teams are never tipped off)."""
    return views.flagged(podium_of(request))


class ReviewBody(BaseModel):
    decision: Literal["clear", "disqualify"]
    reason: str = Field(
        "", max_length=2000, description="required to disqualify; the team reads it"
    )


@router.post("/submissions/{submission_id}/review")
def review(request: Request, who: Organizer, submission_id: Id, body: ReviewBody) -> dict[str, Any]:
    """Decide on a submission: kept in the audit trail; a disqualified one leaves the boards,
    its stage's winners are recomputed and its team is told the reason."""
    decided = podium_of(request).reviews.decide(
        submission_id, body.decision, body.reason, by=who.display
    )
    return decided.to_dict()


@router.post("/runs/{run_id}/retry", status_code=202)
def retry_run(request: Request, _: Organizer, run_id: Id) -> dict[str, Any]:
    """Re-run a submission whose last run failed because of the platform."""
    submission_id = actions.retry_run(request, run_id)
    return {"submission_id": submission_id, "status": "queued"}
