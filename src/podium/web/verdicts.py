"""A submission's result and a team's choices on it: the result page (`/runs/ID`,
`/submissions/ID`), cancelling a queued submission, choosing the final's submission; the
same as JSON under `/api` (what `podium run|cancel|final select --server` use).

One permission check for a result: the submission's team and organizers see it
(`TeamSubmission`); a hidden stage's numbers stay hidden from the team until revealed.
Organizers also get what the terminal shows them: each submission's `flags` and `review`,
each run's `integrity` (a team's token never has these keys)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field

from podium.rules.access import (
    Administration,
    Principal,
    RunLog,
    StageResults,
    Team,
    TeamSubmission,
    allowed,
    ensure,
)
from podium.service import Podium
from podium.service.choices import MAX_GRANT, MAX_REASON
from podium.service.verdicts import verdict
from podium.web.deps import (
    Id,
    Organizer,
    SignedIn,
    SignInFirst,
    Who,
    page_context,
    podium_of,
    signed_in,
)

api = APIRouter(prefix="/api", tags=["api"])
pages = APIRouter(include_in_schema=False)
HIDDEN = "hidden until revealed"


def _signed_in_page(who: Who) -> Principal:
    if who is None:
        raise SignInFirst
    return signed_in(who)


SignedInPage = Annotated[Principal, Depends(_signed_in_page)]


# -- what is shown ------------------------------------------------------------------------------


def result_view(
    podium: Podium, who: Principal, submission_id: int, run_id: int | None = None
) -> dict[str, Any]:
    """The result record as `who` may see it (ForbiddenError for another team's)."""
    sub = podium.submissions.get(submission_id)
    facts = sub.stage.facts
    ensure(who, "see", TeamSubmission(sub.team, sub.id, facts))
    hidden = not allowed(who, "see", StageResults(facts))
    record = verdict(podium, sub.id, run_id, hidden=hidden)
    record["can_see_log"] = False
    if hidden:  # nothing of a hidden stage's runs: their status says how they did
        record.update(status=HIDDEN, runs=[], run=None, problems=[])
    elif record["run"] is not None and not allowed(
        who, "see", RunLog(sub.team, record["run"]["id"], facts)
    ):
        record["run"]["log_tail"] = ""
    else:
        record["can_see_log"] = record["run"] is not None
    if allowed(who, "manage", Administration()):  # the canary test, as `podium run --json`
        run = record["run"]
        record["integrity"] = podium.results.run(run["id"]).integrity if run else None
    mine = who.is_organizer or who.team == sub.team
    record["can_cancel"] = mine and record["status"] == "queued"
    record["can_choose"] = (
        mine
        and record["status"] == "scored"
        and sub.stage.split != "final"
        and _final_pending(podium)
    )
    return record


def _final_pending(podium: Podium) -> bool:
    return all(st.status == "pending" for st in podium.boards.stages() if st.split == "final")


def submission_list(podium: Podium, who: Principal, team: str | None) -> list[dict[str, Any]]:
    """`podium submissions --json`: a team's own (organizers: any team's, or all)."""
    team = team or (None if who.is_organizer else who.team)
    if team is not None:
        ensure(who, "see", Team(team))
    elif not who.is_organizer:
        ensure(who, "manage", Administration())  # refused: says only organizers see all
    out = []
    with podium.snapshot():
        # organizers: each one's flags and decision, as the local `podium submissions --json`
        flags = podium.reviews.flags() if allowed(who, "manage", Administration()) else None
        for sub in podium.submissions.find(team):
            record = sub.to_dict()
            if not allowed(who, "see", StageResults(sub.stage.facts)):
                record.update(status=HIDDEN, runs=[])
            if flags is not None:
                record.update(flags=flags.get(sub.id, []), review=sub.review)
            out.append(record)
    return out


# -- the API ------------------------------------------------------------------------------------


@api.get("/runs/{run_id}")
def run_result(request: Request, who: SignedIn, run_id: Id) -> dict[str, Any]:
    """A run's result: place and why, scores per task and language with each metric named,
    timings with their interval, fingerprint, errors grouped by kind, log tail."""
    podium = podium_of(request)
    return result_view(podium, who, podium.results.run(run_id).submission_id, run_id)


@api.get("/submissions")
def submissions(request: Request, who: SignedIn, team: str | None = None) -> list[dict[str, Any]]:
    """The token's team's submissions (organizers: `team`, or every team's)."""
    return submission_list(podium_of(request), who, team)


@api.get("/submissions/{submission_id}/result")
def submission_result(request: Request, who: SignedIn, submission_id: Id) -> dict[str, Any]:
    """The submission's result with its latest run; its place in the queue while it waits."""
    return result_view(podium_of(request), who, submission_id)


@api.post("/submissions/{submission_id}/cancel")
def cancel(request: Request, who: SignedIn, submission_id: Id) -> dict[str, Any]:
    """Cancel a submission still waiting in the queue: its attempt comes back (409 once a
    run has started or ended)."""
    podium = podium_of(request)
    team = _cancel(podium, who, submission_id)
    return {"submission_id": submission_id, "status": "cancelled", "team": team,
            "attempts_left": podium.submissions.attempts_left(team)}  # fmt: skip


@api.post("/submissions/{submission_id}/final")
def choose_final(request: Request, who: SignedIn, submission_id: Id) -> dict[str, Any]:
    """Take this scored submission to the final (until the final runs; the latest choice,
    the team's or an organizer's, holds)."""
    team = _choose(podium_of(request), who, submission_id)
    return {"submission_id": submission_id, "team": team, "selected_for_final": True}


class GrantBody(BaseModel):
    stage: str = Field(max_length=100, description="a stage teams submit to")
    count: int = Field(1, ge=1, le=MAX_GRANT)
    reason: str = Field(max_length=MAX_REASON, description="why: the team page shows it")


@api.post("/teams/{team}/grants", status_code=201)
def grant(request: Request, who: Organizer, team: str, body: GrantBody) -> dict[str, Any]:
    """Give a team more attempts in a stage after an incident, with the reason (organizers;
    in the audit trail, as `podium attempts grant` does)."""
    return _grant(podium_of(request), who, team, body.stage, body.count, body.reason)


def _grant(
    podium: Podium, who: Principal, team: str, stage: str, count: int, reason: str
) -> dict[str, Any]:
    done = podium.choices.grant(team, stage, count, reason, actor=who.display)
    return {**done.to_dict(), "attempts_left": podium.submissions.attempts_left(team)}


def _cancel(podium: Podium, who: Principal, submission_id: int) -> str:
    sub = podium.submissions.get(submission_id)
    ensure(who, "see", TeamSubmission(sub.team, sub.id, sub.stage.facts))
    podium.choices.cancel(submission_id, team=sub.team, actor=who.display)
    return sub.team


def _choose(podium: Podium, who: Principal, submission_id: int) -> str:
    sub = podium.submissions.get(submission_id)
    ensure(who, "see", TeamSubmission(sub.team, sub.id, sub.stage.facts))
    podium.submissions.select_for_final(sub.team, submission_id, actor=who.display)
    return sub.team


# -- the pages ----------------------------------------------------------------------------------


def _render(request: Request, who: Principal, record: dict[str, Any]) -> HTMLResponse:
    templates: Jinja2Templates = request.app.state.templates
    context = page_context(request, who, r=record)
    return templates.TemplateResponse(request, "result.html", context)


@pages.get("/runs/{run_id}")
def run_page(request: Request, who: SignedInPage, run_id: Id) -> HTMLResponse:
    podium = podium_of(request)
    sub_id = podium.results.run(run_id).submission_id
    return _render(request, who, result_view(podium, who, sub_id, run_id))


@pages.get("/submissions/{submission_id}")
def submission_page(request: Request, who: SignedInPage, submission_id: Id) -> HTMLResponse:
    return _render(request, who, result_view(podium_of(request), who, submission_id))


@pages.post("/submissions/{submission_id}/cancel")
def cancel_form(request: Request, who: SignedIn, submission_id: Id) -> RedirectResponse:
    _cancel(podium_of(request), who, submission_id)
    return RedirectResponse(f"/submissions/{submission_id}", status_code=303)


@pages.post("/submissions/{submission_id}/final")
def choose_form(request: Request, who: SignedIn, submission_id: Id) -> RedirectResponse:
    _choose(podium_of(request), who, submission_id)
    return RedirectResponse(f"/submissions/{submission_id}", status_code=303)


@pages.post("/admin/grants")
def grant_form(
    request: Request,
    who: Organizer,
    team: Annotated[str, Form(max_length=100)],
    stage: Annotated[str, Form(max_length=100)],
    reason: Annotated[str, Form(max_length=MAX_REASON)],
    count: Annotated[int, Form(ge=1, le=MAX_GRANT)] = 1,
) -> RedirectResponse:
    """The admin page's grant form: back to the team's page, where the grant shows."""
    _grant(podium_of(request), who, team, stage, count, reason)
    return RedirectResponse(f"/teams/{quote(team, safe='')}#trail", status_code=303)
