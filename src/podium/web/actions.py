"""What routes do beyond one service call, shared by the API and the pages: uploads, archive
and log responses, the final started on the worker, the worker woken for new work."""

from __future__ import annotations

import re

from fastapi import Request
from fastapi.responses import FileResponse, PlainTextResponse

from podium.core.errors import RuleError
from podium.rules.access import Principal, RunLog, TeamSubmission, ensure
from podium.service import SubmitReceipt
from podium.submission.archive import archive_suffix
from podium.web.deps import podium_of
from podium.web.evaluator import Evaluator
from podium.web.uploads import accept_upload


def _worker(request: Request) -> Evaluator | None:
    worker: Evaluator | None = request.app.state.worker
    return worker


def notify_worker(request: Request) -> None:
    """New work in the queue: the server's evaluator (if it runs one) starts now, not at
    its next poll."""
    worker = _worker(request)
    if worker is not None:
        worker.notify()


async def upload(request: Request, who: Principal, team: str | None) -> SubmitReceipt:
    """Store an uploaded archive for the principal's team (organizers name the team)."""
    return await accept_upload(request, who, team, notify=lambda: notify_worker(request))


def archive_response(request: Request, who: Principal, submission_id: int) -> FileResponse:
    """A submission's archive, named after its team and attempt."""
    podium = podium_of(request)
    sub = podium.submissions.get(submission_id)
    ensure(who, "download", TeamSubmission(sub.team, sub.id, sub.stage.facts))
    path = podium.competition.root / sub.archive_path
    with path.open("rb") as handle:
        suffix = archive_suffix(handle.read(4096))
    name = (
        re.sub(r"[^\w.-]+", "_", f"{sub.team}-attempt-{sub.attempt or f'cancelled-{sub.id}'}")
        + suffix
    )
    return FileResponse(path, filename=name, media_type="application/octet-stream")


def log_response(request: Request, who: Principal, run_id: int) -> PlainTextResponse:
    """A run's whole log (its stored tail when the file is gone)."""
    podium = podium_of(request)
    run = podium.results.run(run_id)
    sub = podium.submissions.get(run.submission_id)
    ensure(who, "see", RunLog(sub.team, run_id, sub.stage.facts))
    full = podium.competition.layout.run_dir(run_id) / "log.txt"
    text = full.read_text("utf-8", errors="replace") if full.is_file() else run.log_tail
    return PlainTextResponse(text)


def start_final(request: Request) -> None:
    """The final runs on the server's evaluator, not in the request; whatever would stop it
    (no final stage, already run, a stage still open, nothing to run) is refused here."""
    podium_of(request).finals.check_runnable()  # 409 with the reason, nothing started
    worker = _worker(request)
    if worker is None:
        raise RuleError(
            "this server does not evaluate (started with --no-evaluate)",
            hint="run `podium final run` at a terminal",
        )
    worker.submit_job(lambda p: p.finals.run())


def close_stage(request: Request, name: str) -> list[str] | None:
    """Close a stage now; publish it (photo finish, winners) on the server's evaluator. A
    server that does not evaluate publishes here without re-measuring (run `podium
    remeasure` first). The winners, or None while being published."""
    podium, worker = podium_of(request), _worker(request)
    if worker is None:
        return [w.team_name for w in podium.finals.close_stage(name, remeasure_here=False)]
    podium.finals.close_stage(name, publish=False)
    worker.submit_job(lambda p: p.finals.publish(name))
    return None


def reveal_final(request: Request) -> list[str] | None:
    """Reveal the final after its photo finish: on the server's evaluator when it has one
    (None: under way), else here."""
    podium, worker = podium_of(request), _worker(request)
    if worker is None:
        return [w.team_name for w in podium.finals.reveal(remeasure=False)]
    podium.finals.check_revealable()
    worker.submit_job(lambda p: p.finals.reveal())
    return None


def retry_run(request: Request, run_id: int) -> int:
    """Queue a run's submission again; the id of the submission."""
    submission_id = podium_of(request).evaluation.retry_run(run_id)
    notify_worker(request)
    return submission_id
