"""`podium report`: the competition's results gathered from the service and written as one
offline HTML file (the rendering itself is `report.html`, which knows no service)."""

from __future__ import annotations

from pathlib import Path

from podium.core.errors import RuleError
from podium.report.html import StageReport, Winner, render_report
from podium.service import Podium


def stage_reports(podium: Podium) -> list[StageReport]:
    """Every stage of the competition as anyone may see it (hidden ones say why not)."""
    out = []
    for stage in podium.competition.spec.stages:
        try:
            board = podium.results.leaderboard(stage.name)
        except RuleError as err:
            out.append(StageReport(stage.name, withheld=err.what))
            continue
        runs = tuple(podium.results.stage_runs(stage.name)) if board.rows else ()
        out.append(StageReport(stage.name, board, runs))
    return out


def winners(podium: Podium) -> list[Winner]:
    """The hall of fame as plain lines: the store's rows stay on the service's side."""
    return [
        Winner(e.competition_name, e.stage_name, e.place, e.team_name, e.members, e.score)
        for e in podium.finals.hall_of_fame()
    ]


def write_report(podium: Podium) -> Path:
    """Write the report into the competition folder (`report.html`) and say where."""
    spec = podium.competition.spec
    path = podium.competition.layout.report_file
    html = render_report(spec.name, spec.hardware, stage_reports(podium), winners(podium))
    path.write_text(html, encoding="utf-8")
    return path
