"""What the pages and the API show, derived from the service with the access rules applied.

Plain dicts and dataclasses, so templates stay dumb and the JSON API returns the same
numbers as the pages (and as `podium leaderboard --json`).
"""

from __future__ import annotations

import csv
import io
import json
import threading
from dataclasses import dataclass, field
from typing import Any

from podium.access import Principal, can_see_code, can_see_results, can_see_team
from podium.errors import ForbiddenError, NotFoundError, RuleError
from podium.leaderboard import Leaderboard
from podium.report.charts import chart_data
from podium.service import Podium
from podium.service.evaluation import is_retryable
from podium.store.models import Submission


def stage_tabs(podium: Podium) -> list[dict[str, Any]]:
    specs = {st.name: st for st in podium.competition.spec.stages}
    return [
        {
            "name": st.name,
            "status": st.status,
            "split": st.split,
            "hidden": specs[st.name].leaderboard == "hidden" and not st.revealed,
            "revealed": st.revealed,
            "attempts": specs[st.name].attempts,
            "release_code": specs[st.name].release_code,
        }
        for st in podium.setup.stages()
    ]


class BoardCache:
    """Leaderboards and chart data by (stage, organizer), valid while the store's results
    version stays the same: a canteen screen and fifty laptops cost one computation."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple[str | None, bool], tuple[tuple[object, ...], Any]] = {}

    def get(self, podium: Podium, stage: str | None, organizer: bool) -> Any:
        version = podium.results.version()
        key = (stage, organizer)
        with self._lock:
            hit = self._entries.get(key)
        if hit is not None and hit[0] == version:
            return hit[1]
        board = podium.results.leaderboard(stage, organizer=organizer)
        chart = chart_data(board, podium.results.stage_runs(board.stage))
        value = (board, chart, json.dumps(board.to_dict()).encode())
        with self._lock:
            self._entries[key] = (version, value)
        return value


def board_and_charts(
    podium: Podium, stage: str | None, who: Principal | None, cache: BoardCache | None = None
) -> tuple[Leaderboard, dict[str, Any]]:
    """The board and its chart data, or ForbiddenError when the stage is hidden from `who`."""
    organizer = who is not None and who.is_organizer
    try:
        if cache is None:
            board = podium.results.leaderboard(stage, organizer=organizer)
            return board, chart_data(board, podium.results.stage_runs(board.stage))
        board, chart, _ = cache.get(podium, stage, organizer)
        return board, chart
    except RuleError as err:
        raise ForbiddenError(err.what, hint=err.hint) from None


def leaderboard_json(
    podium: Podium, stage: str | None, who: Principal | None, cache: BoardCache
) -> bytes:
    """`podium leaderboard --json`'s document, serialised once per results version."""
    organizer = who is not None and who.is_organizer
    try:
        doc: bytes = cache.get(podium, stage, organizer)[2]
    except RuleError as err:
        raise ForbiddenError(err.what, hint=err.hint) from None
    return doc


def leaderboard(
    podium: Podium, stage: str | None, who: Principal | None, cache: BoardCache | None = None
) -> Leaderboard:
    return board_and_charts(podium, stage, who, cache)[0]


def leaderboard_csv(board: Leaderboard) -> str:
    tasks = list(board.metrics)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "place",
            "move",
            "team",
            "members",
            "overall",
            *tasks,
            "duration_seconds",
            "performance_place",
            "efficiency_place",
            "bonus",
            "submission_id",
            "attempt",
            "run_id",
            "reasons",
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
            ]
        )
    return out.getvalue()


@dataclass
class SubmissionView:
    id: int
    stage: str
    attempt: int
    status: str
    label: str
    created_at: str
    sha256: str
    queue_position: int | None
    run_id: int | None = None
    run_status: str | None = None
    error: str | None = None
    log_tail: str = ""
    overall: float | None = None
    tasks: dict[str, float] = field(default_factory=dict)
    duration: float | None = None
    hidden: bool = False
    can_download: bool = False

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def submission_view(podium: Podium, sub: Submission, who: Principal | None) -> SubmissionView:
    spec = podium.competition.spec.stage(sub.stage.name)
    hidden = not can_see_results(
        who, hidden=spec.leaderboard == "hidden", revealed=sub.stage.revealed
    )
    view = SubmissionView(
        id=sub.id,
        stage=sub.stage.name,
        attempt=sub.attempt,
        status=sub.status if not hidden else "hidden until revealed",
        label=sub.label,
        created_at=sub.created_at.strftime("%Y-%m-%d %H:%M:%S"),
        sha256=sub.sha256,
        queue_position=podium.submissions.queue_position(sub.id),
        hidden=hidden,
        can_download=can_see_code(
            who,
            sub.team.name,
            released=spec.release_code,
            stage_closed=sub.stage.status == "closed",
        ),
    )
    if sub.runs and not hidden:
        run = sub.runs[-1]
        view.run_id, view.run_status, view.error = run.id, run.status, run.error
        view.log_tail = run.log_tail if view.can_download else ""
        if run.status == "scored":
            agg = podium.results.run_aggregate(run.id)
            if agg is not None:
                view.overall, view.tasks, view.duration = agg.overall, agg.tasks, agg.duration
    return view


def team_page(podium: Podium, team: str, who: Principal | None) -> dict[str, Any]:
    """Members, attempts left and every submission; RuleError unless the team or an organizer."""
    if not can_see_team(who, team):
        raise ForbiddenError(
            f"the page of team {team!r} is visible only to its members and organizers"
        )
    row = next((t for t in podium.setup.teams() if t.name == team), None)
    if row is None:
        raise NotFoundError(f"unknown team {team!r}")
    subs = [submission_view(podium, s, who) for s in podium.submissions.find(team)]
    return {
        "team": row.name,
        "members": [m.name for m in row.members],
        "attempts_left": podium.submissions.attempts_left(row.name),
        "submissions": [s.to_dict() for s in reversed(subs)],
        "current_stage": _current_stage(podium),
    }


def _current_stage(podium: Podium) -> str | None:
    try:
        return podium.setup.current_stage()
    except RuleError:
        return None


def runs_overview(podium: Podium) -> list[dict[str, Any]]:
    """Every run with its fingerprint, for organizers."""
    out = []
    for sub in podium.submissions.find():
        for run in sub.runs:
            walls = [m.wall_seconds for m in run.measurements]
            out.append(
                {
                    "run_id": run.id,
                    "submission_id": sub.id,
                    "team": sub.team.name,
                    "stage": sub.stage.name,
                    "attempt": sub.attempt,
                    "status": run.status,
                    "error": run.error,
                    "started_at": run.started_at.strftime("%Y-%m-%d %H:%M:%S"),
                    "walls": walls,
                    "hardware": run.hardware,
                    "fingerprint": run.fingerprint,
                    "submission_sha256": run.submission_sha256,
                    "inputs_sha256": run.inputs_sha256,
                    "retryable": is_retryable(sub, run),
                    "attention": sub.status == "attention" and sub.runs[-1].id == run.id,
                    "enforcement": run.enforcement,
                }
            )
    return sorted(out, key=lambda r: -int(r["run_id"]))


def hall_of_fame(podium: Podium) -> list[dict[str, Any]]:
    return [e.to_dict() for e in podium.finals.hall_of_fame()]


def can_see_stage(who: Principal | None, podium: Podium, stage: str) -> bool:
    """Results (and logs) of a hidden stage only for organizers until it is revealed."""
    row = next(st for st in podium.setup.stages() if st.name == stage)
    hidden = podium.competition.spec.stage(stage).leaderboard == "hidden"
    return can_see_results(who, hidden=hidden, revealed=row.revealed)
