"""What the pages and the API show, derived from the service with the access rules applied.

Plain dicts and dataclasses, so templates stay dumb and the JSON API returns the same
numbers as the pages (and as `podium leaderboard --json`).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from podium.core.errors import NotFoundError, RuleError, SpecError
from podium.report.tiles import Tile, tile_of
from podium.rules.access import Principal, StageResults, Team, TeamSubmission, allowed, ensure
from podium.rules.fame import badge_class, ordinal
from podium.rules.huddle import parse_since
from podium.rules.leaderboard import Leaderboard
from podium.rules.problems import summary_lines
from podium.service import Podium
from podium.service.boards import Board
from podium.service.evaluation import is_retryable
from podium.service.reads import StageState, SubmissionInfo, TeamResults
from podium.service.submissions import CANCELLED
from podium.web.cells import InertWriter


def stage_countdowns(
    podium: Podium, stages: Sequence[StageState] | None = None
) -> dict[str, dict[str, str]]:
    """Each scheduled stage's next change, drawn server-side and counted down by
    countdown.js: the verb, the time (UTC, ISO 8601) and the text as of now."""
    if not podium.schedule.scheduled():
        return {}
    now = podium.schedule.clock()
    statuses = {st.name: st.status for st in stages or podium.boards.stages()}
    return {
        row.name: {
            "verb": row.countdown.verb,
            "at": row.countdown.at.astimezone(UTC).isoformat(),
            "text": row.countdown.text(now),
            "title": f"{row.countdown.at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC",
        }
        for row in podium.schedule.times(now, statuses)
        if row.countdown is not None
    }


def stage_tabs(podium: Podium, stages: Sequence[StageState] | None = None) -> list[dict[str, Any]]:
    """Every stage with its state; `hidden`: its results are not public (yet). `stages`:
    as a board read them (else read now)."""
    specs = {st.name: st for st in podium.competition.spec.stages}
    stages = stages or podium.boards.stages()
    countdowns = stage_countdowns(podium, stages)
    return [
        {
            "name": st.name,
            "status": st.status,
            "split": st.split,
            "hidden": not allowed(None, "see", StageResults(st.facts)),
            "revealed": st.revealed,
            "attempts": specs[st.name].attempts,
            "release_code": specs[st.name].release_code,
            "countdown": countdowns.get(st.name),
        }
        for st in stages
    ]


def board_view(
    podium: Podium, stage: str | None, who: Principal | None, board: Board | None = None
) -> Board:
    """The stage's board (the open or latest one by default; `board`, when already read),
    or ForbiddenError when its results are hidden from `who`: decided on every read, never
    by what the cache holds."""
    view = board or podium.boards.board(stage)
    ensure(who, "see", StageResults(view.stage.facts))
    return view


def leaderboard_csv(board: Leaderboard) -> str:
    tasks = list(board.metrics)
    training = bool(board.rows) and board.rows[0].training_seconds is not None
    out = io.StringIO()
    writer = InertWriter(out)  # no cell a spreadsheet would run as a formula
    writer.writerow(
        [
            "place",
            "move",
            "team",
            "members",
            "overall",
            *tasks,
            "energy_joules" if board.efficiency_metric == "energy" else "duration_seconds",
            "performance_place",
            "efficiency_place",
            "bonus",
            "submission_id",
            "attempt",
            "run_id",
            "reasons",
            *(["training_cpu_seconds"] if training else []),  # last: older readers unmoved
        ]
    )
    for r in board.rows:
        writer.writerow(
            [
                r.place,
                r.movement,
                r.team,
                "; ".join(r.members),
                f"{r.overall:.6f}",
                *[f"{r.tasks.get(t, 0.0):.6f}" for t in tasks],
                f"{r.duration:.6f}",
                r.performance_place,
                r.efficiency_place,
                r.bonus,
                r.submission_id,
                r.attempt,
                r.run_id,
                " | ".join(r.reasons),
                *([f"{r.training_seconds or 0.0:.6f}"] if training else []),
            ]
        )
    return out.getvalue()


@dataclass
class SubmissionView:
    id: int
    stage: str
    attempt: int | None  # None: cancelled (its attempt came back)
    status: str
    label: str
    created_at: str
    sha256: str
    queue_position: int | None
    member: str | None = None  # who sent it (a personal token); None: the team as a whole
    run_id: int | None = None
    run_status: str | None = None
    error: str | None = None
    log_tail: str = ""
    overall: float | None = None
    tasks: dict[str, float] = field(default_factory=dict)
    duration: float | None = None
    hidden: bool = False
    can_download: bool = False
    problems: list[str] = field(default_factory=list)  # the error, a line per kind
    selected_for_final: bool = False

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def submission_view(
    podium: Podium, sub: SubmissionInfo, who: Principal | None, page: TeamResults | None = None
) -> SubmissionView:
    """One submission as `who` may see it: results of a hidden stage stay hidden, the log tail
    only for those who may download the code. `page`: its team's page, read in one snapshot
    (else read here)."""
    page = page or podium.results.team(sub.team)
    facts = sub.stage.facts
    hidden = not allowed(who, "see", StageResults(facts))
    view = SubmissionView(
        id=sub.id,
        stage=sub.stage.name,
        attempt=sub.attempt,
        status=sub.status if not hidden else "hidden until revealed",
        label=sub.label,
        created_at=sub.created_at.strftime("%Y-%m-%d %H:%M:%S"),
        sha256=sub.sha256,
        queue_position=page.queue.get(sub.id),
        member=sub.member,
        hidden=hidden,
        can_download=allowed(who, "download", TeamSubmission(sub.team, sub.id, facts)),
    )
    if sub.runs and not hidden:
        run = sub.latest_run() or sub.runs[-1]
        view.run_id, view.run_status, view.error = run.id, run.status, run.error
        view.problems = summary_lines(run.error)
        view.selected_for_final = sub.selected_for_final
        view.log_tail = run.log_tail if view.can_download else ""
        if run.status == "scored":
            agg = page.aggregates.get(run.id)
            if agg is not None:
                view.overall, view.tasks, view.duration = agg.overall, agg.tasks, agg.duration
    return view


def submission_record(podium: Podium, submission_id: int, who: Principal | None) -> dict[str, Any]:
    """One submission and its team: for the team itself and organizers (an unknown id is
    NotFoundError for anyone)."""
    sub = podium.submissions.get(submission_id)
    ensure(who, "see", TeamSubmission(sub.team, sub.id, sub.stage.facts))
    return {"team": sub.team, **submission_view(podium, sub, who).to_dict()}


def team_page(podium: Podium, team: str, who: Principal | None) -> dict[str, Any]:
    """Members, attempts left and every submission: for the team itself and organizers
    (AuthenticationError or ForbiddenError for anyone else, NotFoundError after that)."""
    ensure(who, "see", Team(team))
    try:
        page = podium.results.team(team)
    except NotFoundError:
        raise NotFoundError(f"unknown team {team!r}") from None
    subs = [submission_view(podium, s, who, page) for s in page.submissions]
    return {
        "team": page.team.name,
        "members": list(page.team.members),
        "attempts_left": podium.submissions.attempts_left(team, page.submissions),
        "max_per_day": {
            st.name: st.max_per_day for st in podium.competition.spec.stages if st.max_per_day
        },
        "submissions": [s.to_dict() for s in reversed(subs)],
        "trail": [a.to_dict() for a in podium.choices.trail(team)],
        "current_stage": _current_stage(podium),
        "countdowns": stage_countdowns(podium),
        "training": {
            "budget": podium.jobs.budget(team).to_dict(),
            "jobs": [j.to_dict() for j in reversed(podium.jobs.find(team))],
        },
    }


def _current_stage(podium: Podium) -> str | None:
    try:
        return podium.setup.current_stage()
    except RuleError:
        return None


def runs_overview(podium: Podium) -> list[dict[str, Any]]:
    """Every run (the one run record) with its submission's place in the queue, for organizers."""
    out = []
    for sub in podium.submissions.find():
        for run in sub.runs:
            out.append(
                {
                    **run.to_dict(scores=False),
                    "run_id": run.id,
                    "submission_id": sub.id,
                    "team": sub.team,
                    "stage": sub.stage.name,
                    "attempt": sub.attempt,
                    "walls": list(run.walls),
                    "retryable": is_retryable(sub, run),
                    "attention": sub.status == "attention" and sub.runs[-1].id == run.id,
                }
            )
    return sorted(out, key=lambda r: -int(r["run_id"]))


def flagged(podium: Podium) -> list[dict[str, Any]]:
    """Flagged submissions for organizers, newest first: what was found and any decision."""
    flags = podium.reviews.flags()
    return [
        {"submission_id": sub.id, "team": sub.team, "stage": sub.stage.name,
         "attempt": sub.attempt, "status": sub.status, "review": sub.review,
         "flags": flags[sub.id]}
        for sub in reversed(podium.submissions.find())
        if sub.id in flags and sub.status != CANCELLED  # never run: nothing to decide
    ]  # fmt: skip


def hall_of_fame(podium: Podium) -> list[dict[str, Any]]:
    """Newest stage first, then by place; `ordinal` (1st) and `badge` (gold) for the tiles."""
    return [
        {**e.to_dict(), "ordinal": ordinal(e.place), "badge": badge_class(e.place)}
        for e in podium.boards.hall_of_fame()
    ]


def fame_tile(podium: Podium, entry_id: int) -> Tile:
    return tile_of(podium.finals.hall_of_fame_entry(entry_id))


def huddle(podium: Podium, since: str, who: Principal | None) -> dict[str, Any]:
    """What changed since `since` on every stage `who` may see (hidden ones are left out,
    not named); the charts across attempts as the leaderboard draws them."""
    moment = parse_since(since, datetime.now(UTC))
    stages, shown = [], False  # shown: a board shows training compute
    with podium.snapshot():  # every stage as of one moment
        for st in podium.boards.stages():
            if st.status == "pending" or not allowed(who, "see", StageResults(st.facts)):
                continue
            view = board_view(podium, st.name, who)
            changes = podium.boards.changes(view, moment)
            stages.append({"changes": changes, "charts": view.charts, "status": view.stage.status})
            shown = shown or any(t.training_seconds is not None for t in changes.teams)
        left = training_left(podium, who) if shown else {}
    return {"since": moment, "asked": since, "stages": stages, "training_left": left}


def training_left(podium: Podium, who: Principal | None) -> dict[str, float]:
    """CPU hours of training budget left per team, for those who may see a team's budget:
    organizers every team's, a team its own (`/api/budget` answers them the same)."""
    if who is None or not (who.is_organizer or who.team):
        return {}
    budgets = podium.jobs.budgets() if who.is_organizer else [podium.jobs.budget(str(who.team))]
    return {b.team: b.cpu_hours.left for b in budgets if b.cpu_hours.left is not None}


def fleet_overview(podium: Podium) -> dict[str, Any]:
    """For organizers: the workers (when evaluation runs on them) and what waits per label."""
    now = datetime.now(UTC)
    workers = [
        {**w.to_dict(), "seconds_ago": max(0, int((now - w.last_heartbeat).total_seconds()))}
        for w in podium.workers.fleet()
    ]
    return {"broker": bool(podium.competition.broker), "workers": workers,
            "queued": podium.dispatch.queue_lengths(), "queue": podium.dispatch.queue}  # fmt: skip


def efficiency_overview(podium: Podium) -> dict[str, Any]:
    """For organizers: the rule, its calibration, the warnings, the reference clock."""
    timing = podium.results.timing()
    noise = timing.calibrated or timing.assumed
    drift = podium.evaluation.reference.drift(noise.sigma if noise else 0.2)
    return {
        "rule": podium.results.rule(),
        "calibration": podium.results.calibration(),
        "warnings": timing.warnings,
        "reference_seconds": timing.reference_seconds,
        "drift": drift,
        "metric": timing.metric,
    }


def what_if(
    podium: Podium,
    stage: str,
    *,
    gap: float | None,
    gain: float | None,
    bonus: str | None,
    confidence: float | None,
) -> dict[str, Any]:
    """Both orders of a stage (published rule, another rule) and every decision of each."""
    try:
        places = [int(b) for b in bonus.split(",") if b.strip()] if bonus else None
    except ValueError:
        raise SpecError(f"bonus {bonus!r} is not a list of places", hint="e.g. 3,2,1") from None
    published, simulated = podium.results.what_if(
        stage, gap=gap, gain=gain, bonus=places, confidence=confidence
    )
    places_after = {row.team: row.place for row in simulated.rows}
    return {
        "published": published,
        "simulated": simulated,
        "rows": [(row, places_after[row.team]) for row in published.rows],
    }
