"""The training jobs' routes: send a folder to run, follow its log, fetch its output, see
the budgets. A team sees its own jobs and budget; organizers see every team's."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, PlainTextResponse
from starlette.concurrency import run_in_threadpool

from podium.core.errors import ForbiddenError, NotFoundError
from podium.rules.access import Principal, Team, ensure
from podium.service import Podium
from podium.submission.intake import incoming_file
from podium.web.actions import notify_worker
from podium.web.deps import Id, SignedIn, podium_of
from podium.web.guard import check_form_token
from podium.web.uploads import OPENAPI_BODY, receive_upload

router = APIRouter(prefix="/api", tags=["jobs"])
Offset = Annotated[int, Query(ge=0, le=2**62, description="the log's byte to start from")]


def _own_job(podium: Podium, who: Principal, job_id: int) -> Any:
    job = podium.jobs.get(job_id)
    if not who.is_organizer and who.team != job.team:
        raise NotFoundError(f"no training job {job_id}", hint="podium job list shows yours")
    ensure(who, "see", Team(job.team))
    return job


@router.post("/jobs", status_code=201, openapi_extra=OPENAPI_BODY)
async def submit_job(request: Request, who: SignedIn) -> dict[str, Any]:
    """Multipart `file` (the job folder's archive), `hardware` (a label; the competition's by
    default) and, organizers only, `team`. A spent budget is refused before it queues."""
    podium = podium_of(request)

    async def before_file(fields: dict[str, str]) -> None:
        check_form_token(request, fields)

    with incoming_file(podium.competition.layout.incoming_dir) as archive:
        got = await receive_upload(
            request, archive, max_bytes=podium.competition.spec.sandbox.max_upload_bytes,
            before_file=before_file,
        )  # fmt: skip
        team = got.fields.get("team") or who.team
        if team is None:
            raise ForbiddenError("an organizer sending a job must name the team (field `team`)")
        ensure(who, "submit", Team(team))
        hardware = got.fields.get("hardware") or None
        job_id = await run_in_threadpool(
            lambda: podium.jobs.submit(
                team, archive, hardware=hardware, member=who.member if who.team == team else None
            )
        )
    notify_worker(request)
    return {"job": job_id, "url": f"/api/jobs/{job_id}"}


@router.get("/jobs")
def list_jobs(request: Request, who: SignedIn, team: str | None = None) -> list[dict[str, Any]]:
    """Each job's state and billed use: the caller's team, or any (organizers)."""
    chosen = team or who.team
    if chosen is not None:
        ensure(who, "see", Team(chosen))
    elif not who.is_organizer:
        raise ForbiddenError("only organizers may list every team's jobs")
    return [j.to_dict() for j in podium_of(request).jobs.find(chosen)]


@router.get("/jobs/{job_id}")
def job(request: Request, who: SignedIn, job_id: Id) -> dict[str, Any]:
    data: dict[str, Any] = _own_job(podium_of(request), who, job_id).to_dict()
    return data


@router.get("/jobs/{job_id}/log", response_class=PlainTextResponse)
def job_log(request: Request, who: SignedIn, job_id: Id, offset: Offset = 0) -> PlainTextResponse:
    """The log from byte `offset` on; `X-Podium-Job-Status` says whether more may come."""
    podium = podium_of(request)
    info = _own_job(podium, who, job_id)
    path = podium.jobs.log_path(job_id)
    data = b""
    if path.is_file():
        with path.open("rb") as handle:
            handle.seek(offset)
            data = handle.read(4 * 1024 * 1024)
    return PlainTextResponse(
        data.decode("utf-8", errors="replace"),
        headers={"X-Podium-Job-Status": info.status, "X-Podium-Log-Next": str(offset + len(data))},
    )


@router.get("/jobs/{job_id}/artifact")
def job_artifact(request: Request, who: SignedIn, job_id: Id) -> FileResponse:
    """What the job left in its output folder, as a .tar.gz."""
    podium = podium_of(request)
    info = _own_job(podium, who, job_id)
    path = podium.jobs.artifact_path(job_id)
    if not path.is_file():
        raise NotFoundError(
            f"job {job_id} has no output yet (it is {info.status})",
            hint="wait until it ends: podium job logs ID --follow",
        )
    return FileResponse(path, filename=f"job-{job_id}-output.tar.gz",
                        media_type="application/gzip")  # fmt: skip


@router.post("/jobs/{job_id}/cancel")
def cancel_job(request: Request, who: SignedIn, job_id: Id) -> dict[str, Any]:
    podium = podium_of(request)
    info = _own_job(podium, who, job_id)
    ensure(who, "submit", Team(info.team))
    data: dict[str, Any] = podium.jobs.cancel(job_id).to_dict()
    return data


@router.get("/budget")
def budget(request: Request, who: SignedIn) -> list[dict[str, Any]]:
    """Per team: each budget, what was used and what is left (a team sees its own)."""
    podium = podium_of(request)
    if who.is_organizer:
        return [b.to_dict() for b in podium.jobs.budgets()]
    if who.team is None:
        raise ForbiddenError("only teams and organizers have budgets to see")
    ensure(who, "see", Team(who.team))
    return [podium.jobs.budget(who.team).to_dict()]
