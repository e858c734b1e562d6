"""The routes a `podium worker` runs training jobs by (worker tokens only): claim the next
job of its label, renew the lease with the log's next bytes, fetch the job's archive and the
public data (never a sealed file), and report the ending with the output folder and log."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Query, Request
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from podium.core.errors import PodiumError, RuleError
from podium.web.actions import notify_worker
from podium.web.deps import Id, WorkerToken, podium_of

router = APIRouter(prefix="/api/worker", tags=["workers"])
Lease = Annotated[str, Header(alias="X-Podium-Lease", min_length=1, max_length=64)]
Offset = Annotated[int, Query(ge=0, le=2**62)]


@router.post("/jobs/claim")
def claim_job(request: Request, who: WorkerToken) -> dict[str, Any]:
    """The lease of the next training job of this worker's label; 409 when none may start."""
    lease = podium_of(request).job_leases.claim(who)
    if lease is None:
        raise HTTPException(409, "no training job may start now")
    return lease.to_dict()


@router.post("/jobs/{job_id}/heartbeat")
async def job_heartbeat(
    request: Request, who: WorkerToken, job_id: Id, lease: Lease, offset: Offset = 0
) -> dict[str, Any]:
    """The body: the log's next bytes from `offset` (may be empty)."""
    chunk = await request.body()
    leases = podium_of(request).job_leases
    try:
        answer: dict[str, Any] = await run_in_threadpool(
            leases.renew, who, job_id, lease, offset, chunk
        )
    except RuleError as err:
        raise HTTPException(409, err.message) from None
    return answer


@router.get("/jobs/{job_id}/archive")
def job_archive(request: Request, who: WorkerToken, job_id: Id, lease: Lease) -> FileResponse:
    try:
        path = podium_of(request).job_leases.archive(who, job_id, lease)
    except RuleError as err:
        raise HTTPException(409, err.message) from None
    return FileResponse(path, media_type="application/octet-stream")


@router.get("/public")
def public_data(request: Request, who: WorkerToken) -> FileResponse:
    """The public training data (what every team was handed), as a tar."""
    path, _ = podium_of(request).job_leases.public()
    return FileResponse(path, media_type="application/x-tar")


@router.post("/jobs/{job_id}/result")
async def job_result(
    request: Request, who: WorkerToken, job_id: Id, lease: Lease
) -> dict[str, Any]:
    """Multipart: `report` (JSON: status, message, cpu_seconds, wall_seconds, gpu_seconds,
    energy_joules), `log` and `artifact` (the output folder as a .tar.gz). Billed once."""
    podium = podium_of(request)
    form = await request.form(max_files=2, max_fields=2)
    with tempfile.TemporaryDirectory(prefix="podium-job-report-") as tmp:
        try:
            raw = form.get("report")
            if not isinstance(raw, str):
                raise PodiumError("the report field is missing", hint="send report=<json>")
            try:
                facts = json.loads(raw)
            except ValueError as err:
                raise PodiumError(f"the report is not valid JSON ({err})") from None
            if not isinstance(facts, dict):
                raise PodiumError("the report is not a JSON object")
            log = _saved(form.get("log"), Path(tmp) / "log.txt")
            artifact = _saved(form.get("artifact"), Path(tmp) / "output.tar.gz")
            status = await run_in_threadpool(
                podium.job_leases.report, who, job_id, lease, facts, log, artifact
            )
        except RuleError as err:
            raise HTTPException(409, err.message) from None
        finally:
            await form.close()
    notify_worker(request)  # the queued jobs of its label go out again now
    return {"job": job_id, "status": status}


def _saved(upload: object, target: Path) -> Path | None:
    if not isinstance(upload, UploadFile):
        return None
    with target.open("wb") as out:
        shutil.copyfileobj(upload.file, out, 1 << 20)
    return target
