"""The routes of `podium worker` (worker tokens only, and nothing else for them): hello,
claim, heartbeat, the archive and sealed inputs of a held run, and its result."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, HTTPException, Request
from fastapi.responses import FileResponse
from starlette.datastructures import UploadFile

from podium.core.errors import PodiumError, RuleError
from podium.rules.access import SealedInputs, ensure
from podium.service.dispatch import queue_name
from podium.service.exchange import WorkerReport
from podium.web.deps import Id, WorkerToken, podium_of

router = APIRouter(prefix="/api/worker", tags=["workers"])
Lease = Annotated[str, Header(alias="X-Podium-Lease", min_length=1, max_length=64)]
MAX_FILES = 2000


@router.post("/hello")
def hello(
    request: Request,
    who: WorkerToken,
    hardware: Annotated[str, Body(min_length=1, max_length=100)],
    fingerprint: Annotated[dict[str, Any], Body()],
) -> dict[str, Any]:
    podium = podium_of(request)
    facts = {str(k)[:100]: v for k, v in list(fingerprint.items())[:50]}
    facts["spec_hash"] = podium.competition.spec_hash
    info = podium.workers.hello(who, hardware, facts)
    queue = queue_name(podium.competition.spec.name, info.hardware)  # jobs-only labels too
    return {"worker": info.to_dict(), "queue": queue,
            "own_queue": podium.dispatch.worker_queue(info.name),
            "broker": podium.competition.broker}  # fmt: skip


@router.post("/claim")
def claim(
    request: Request,
    who: WorkerToken,
    submission_id: Annotated[int | None, Body(ge=1, le=2**63 - 1)] = None,
    run_id: Annotated[int | None, Body(ge=1, le=2**63 - 1)] = None,
) -> dict[str, Any]:
    """The lease of a queued submission's run, or of a re-measurement run waiting for this
    worker (`run_id`); 409 when it is not waiting (done, or claimed already)."""
    leases = podium_of(request).leases
    if (submission_id is None) == (run_id is None):
        raise HTTPException(422, "send submission_id or run_id")
    if run_id is not None:
        lease = leases.claim_run(who, run_id)
        what = f"run {run_id}"
    else:
        lease = leases.claim(who, submission_id or 0)
        what = f"submission {submission_id}"
    if lease is None:
        raise HTTPException(409, f"{what} is not waiting for this worker")
    return lease.to_dict()


@router.post("/runs/{run_id}/heartbeat")
def heartbeat(request: Request, who: WorkerToken, run_id: Id, lease: Lease) -> dict[str, str]:
    try:
        expires = podium_of(request).leases.renew(who, run_id, lease)
    except RuleError as err:
        raise HTTPException(409, err.message) from None
    return {"expires_at": expires.isoformat()}


@router.get("/runs/{run_id}/archive")
def archive(request: Request, who: WorkerToken, run_id: Id, lease: Lease) -> FileResponse:
    try:
        path = podium_of(request).leases.archive(who, run_id, lease)
    except RuleError as err:
        raise HTTPException(409, err.message) from None
    return FileResponse(path, media_type="application/octet-stream")


@router.get("/inputs/{split}")
def inputs(request: Request, who: WorkerToken, split: str) -> FileResponse:
    """The sealed inputs of a split (never its labels), as a tar: only to a worker that runs
    a run of that split now."""
    leases = podium_of(request).leases
    ensure(who, "fetch", SealedInputs(split, held=leases.holds_split(who, split)))
    return FileResponse(leases.inputs(split), media_type="application/x-tar")


@router.post("/runs/{run_id}/result")
async def result(request: Request, who: WorkerToken, run_id: Id, lease: Lease) -> dict[str, Any]:
    """Multipart: `report` (JSON), `log` (the run's log) and one `predictions` file per
    `{task}/{lang}.jsonl` (named by its file name). Scored here; 409 without the lease."""
    podium = podium_of(request)
    form = await request.form(max_files=MAX_FILES, max_fields=10)
    with tempfile.TemporaryDirectory(prefix="podium-report-") as tmp:
        try:
            facts, files = await _received(form, Path(tmp))
            ended = podium.reports.report(who, run_id, lease, facts, files)
        except RuleError as err:
            raise HTTPException(409, err.message) from None
        finally:
            await form.close()
    return {"run_id": ended.run_id, "status": ended.status, "error": ended.error,
            "overall": ended.overall, "duration": ended.duration}  # fmt: skip


async def _received(form: Any, folder: Path) -> tuple[WorkerReport, dict[str, Path]]:
    raw = form.get("report")
    if not isinstance(raw, str):
        raise PodiumError("the report field is missing", hint="send report=<json>")
    try:
        body = json.loads(raw)
        facts = WorkerReport(
            status=str(body["status"]), error=body.get("error"), log_tail=str(body.get("log_tail", "")),
            harness_seconds=float(body.get("harness_seconds", 0.0)),
            enforcement=dict(body.get("enforcement", {})),
            measurements=list(body.get("measurements", [])),
        )  # fmt: skip
    except (ValueError, KeyError, TypeError) as err:
        raise PodiumError(f"the report is not valid ({err})") from None
    files: dict[str, Path] = {}
    for index, upload in enumerate(form.getlist("predictions")):
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise PodiumError("a predictions part has no file name")
        target = folder / f"p{index}"
        with target.open("wb") as out:
            shutil.copyfileobj(upload.file, out, 1 << 20)
        files[upload.filename] = target  # the name is checked against the expected files
    log = form.get("log")
    if isinstance(log, UploadFile):
        with (folder / "log.txt").open("wb") as out:
            shutil.copyfileobj(log.file, out, 1 << 20)
        facts = WorkerReport(**{**facts.__dict__, "log": folder / "log.txt"})
    return facts, files
