"""One submission's result, everything a team asks about it in one record: its place and
why, per-task and per-language scores with each metric named, timings with their interval
and repeats, the fingerprint, its place in the queue while it waits, its errors grouped by
kind. The result page, `/api/runs/{id}`, `/api/submissions/{id}/result` and `podium run`
all show this record (access is the caller's: the front end decides before asking)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from podium.core.errors import NotFoundError
from podium.report.durations import duration_text, interval_title
from podium.rules.problems import group_error

if TYPE_CHECKING:
    from podium.rules.leaderboard import Aggregate, Row
    from podium.service.podium import Podium
    from podium.service.reads import RunInfo, SubmissionInfo


def verdict(
    podium: Podium, submission_id: int, run_id: int | None = None, *, hidden: bool = False
) -> dict[str, Any]:
    """The submission's record with one of its runs (`run_id`; default: its latest), its
    results left out when `hidden` (a hidden stage, for a team until revealed)."""
    with podium.snapshot():
        sub = podium.submissions.get(submission_id)
        run = _the_run(podium, sub, run_id)
        record: dict[str, Any] = {
            **sub.to_dict(),
            "submission_id": sub.id,
            "selected_for_final": sub.selected_for_final,
            "queue_position": podium.submissions.queue_position(sub.id),
            "hidden": hidden,
            "run": None,
            "result": None,
            "problems": [],
        }
        if run is None:
            return record
        record["run"] = {**run.to_dict(), "log_tail": run.log_tail}
        record["problems"] = [g.to_dict() for g in group_error(run.error)]
        if hidden or run.status != "scored":
            return record
        record["result"] = _result(podium, sub, run)
    return record


def _the_run(podium: Podium, sub: SubmissionInfo, run_id: int | None) -> RunInfo | None:
    if run_id is None:
        latest = sub.latest_run()
        return podium.results.run(latest.id) if latest is not None else None
    if all(r.id != run_id for r in sub.runs):
        raise NotFoundError(f"no run {run_id} of submission {sub.id}")
    return podium.results.run(run_id)


def _result(podium: Podium, sub: SubmissionInfo, run: RunInfo) -> dict[str, Any] | None:
    agg = podium.results.run_aggregate(run.id)
    if agg is None:
        return None
    board = podium.boards.board(sub.stage.name).leaderboard
    counted = podium.competition.metrics()
    row = next((r for r in board.rows if r.run_id == run.id), None)
    return {
        "overall": agg.overall,
        "tasks": [_task(task, score, counted, agg) for task, score in agg.tasks.items()],
        "scores": [{**s.__dict__, "counted": counted.get(s.task) == s.metric} for s in run.scores],
        "timing": _timing(agg, board.efficiency_metric, board.rule.confidence),
        "place": _place(row, board.rows, sub.team),
        "stage_status": board.status,
    }


def _task(task: str, score: float, counted: dict[str, str], agg: Aggregate) -> dict[str, Any]:
    return {"task": task, "metric": counted.get(task, ""), "score": score,
            "languages": agg.languages.get(task, {})}  # fmt: skip


def _timing(agg: Aggregate, metric: str, confidence: float) -> dict[str, Any]:
    return {
        "metric": agg.duration_metric,
        "median": agg.duration,
        "min": agg.duration_min,
        "max": agg.duration_max,
        "interval": list(agg.duration_ci95),
        "interval_level": agg.duration_ci_level,
        "repeats": agg.repeats,
        "text": duration_text(agg, metric),
        "interval_text": interval_title(agg, metric, confidence),
    }


def _place(row: Row | None, rows: tuple[Row, ...] | list[Row], team: str) -> dict[str, Any]:
    """Where the run stands: its team's row when it is the team's best, else the team's
    place with the run that holds it."""
    if row is None:
        best = next((r for r in rows if r.team == team), None)
        return {
            "on_board": False,
            "why": "not the team's best run" if best else "not ranked on this board",
            "team_place": best.place if best else None,
            "best_run_id": best.run_id if best else None,
        }
    return {
        "on_board": True,
        "place": row.place,
        "performance_place": row.performance_place,
        "efficiency_place": row.efficiency_place,
        "move": row.arrow,
        "bonus": row.bonus,
        "reasons": list(row.reasons),
    }
