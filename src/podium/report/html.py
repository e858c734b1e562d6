"""A self-contained HTML report: leaderboards, hall of fame and the website's charts.

One file that works offline: plotly.js and the site's drawing script are inlined, next to
each stage's chart data, so the report draws exactly the charts the leaderboard page draws.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from podium.metrics.registry import metric_label
from podium.report.charts import chart_data, drawing_script, plotly_js
from podium.report.durations import duration_text, interval_title, metric_name
from podium.rules.leaderboard import Leaderboard, Row, RunFacts


@dataclass(frozen=True)
class StageReport:
    """One stage as the report shows it: its board and run history, or why it has none."""

    name: str
    board: Leaderboard | None = None
    runs: tuple[RunFacts, ...] = ()
    withheld: str = ""


@dataclass(frozen=True)
class Winner:
    """One hall-of-fame line."""

    competition: str
    stage: str
    place: int
    team: str
    members: str
    score: float


CSS = """body{font:16px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1200px;color:#222}
h1{margin-bottom:0}h2{margin-top:2.5rem;border-bottom:2px solid #eee}
table{border-collapse:collapse;width:100%;margin:1rem 0}td,th{padding:.4rem .6rem;text-align:right;
border-bottom:1px solid #eee}td:nth-child(3),th:nth-child(3),td.why,th:last-child{text-align:left}
td.why{color:#555;font-size:.9em}td.move{color:#2a7}td.duration{white-space:nowrap}
.charts{display:grid;grid-template-columns:1fr 1fr;gap:1.2rem}.charts .wide{grid-column:1/-1}
figure{margin:0}figcaption{font-weight:600;margin:.5rem 0}.chart{height:340px}
@media (max-width:900px){.charts{grid-template-columns:1fr}}.muted{color:#777}"""

CHARTS = (("history", ""), ("duration", ""), ("tradeoff", " class='wide'"))  # captions: the data


def _table(board: Leaderboard) -> str:
    tasks = board.shown_tasks
    head = "".join(
        f"<th>{escape(t)}<br><small>{escape(metric_label(board.metrics.get(t, '')))}</small></th>"
        for t in tasks
    )
    rows = []
    for r in board.rows:
        cells = "".join(f"<td>{r.tasks.get(t, 0.0):.2f}</td>" for t in tasks)
        reasons = "<br>".join(escape(x) for x in r.reasons) or "–"
        rows.append(
            f"<tr><td>{r.place}</td><td class='move'>{r.arrow}</td><td>{escape(r.team)}</td>"
            f"<td><b>{r.overall:.2f}</b></td>{cells}{_duration_cell(board, r)}"
            f"<td>{r.performance_place}</td><td class='why'>{reasons}</td></tr>"
        )
    return (
        f"<table><tr><th>place</th><th></th><th>team</th><th>overall</th>{head}"
        f"<th>{escape(metric_name(board.efficiency_metric))}</th><th>perf. place</th>"
        f"<th>why</th></tr>{''.join(rows)}</table>"
    )


def _duration_cell(board: Leaderboard, row: Row) -> str:
    """`1.23 s ±4%`, what the interval covers in its tooltip (as on the website)."""
    metric = board.efficiency_metric
    title = interval_title(row.aggregate, metric, board.rule.confidence)
    return f"<td class='duration' title='{escape(title)}'>{escape(duration_text(row.aggregate, metric))}</td>"


def script_json(data: Any) -> str:
    """JSON that cannot end the `<script>` element holding it: `<`, `>`, `&` and `'` escaped
    as JavaScript does (what Jinja's `tojson` does on the website)."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    for char, code in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("'", "\\u0027")):
        text = text.replace(char, code)
    return text


def inline_script(source: str) -> str:
    """JavaScript source as the body of an inline `<script>`: the two sequences that would
    end or derail the element (plotly.js holds neither today) are written as escapes. They
    can only occur inside string, template and regex literals, where the escapes mean the
    same characters."""
    source = re.sub(r"</(script)", r"<\\/\1", source, flags=re.IGNORECASE)
    return source.replace("<!--", "<\\x21--")


def _charts(board: Leaderboard, runs: Sequence[RunFacts]) -> str:
    charts = chart_data(board, runs)
    figures = "".join(
        f"<figure{extra}><figcaption>{escape(charts['captions'][name])}</figcaption>"
        f"<div class='chart' data-chart='{name}'></div></figure>"
        for name, extra in CHARTS
    )
    data = script_json(charts)
    return (
        f"<div class='charts' data-chart-set>{figures}"
        f'<script type="application/json" class="chart-data">{data}</script></div>'
    )


def _stage(stage: StageReport) -> str:
    if stage.board is None:
        return f"<h2>{escape(stage.name)}</h2><p class='muted'>{escape(stage.withheld)}</p>"
    if not stage.board.rows:
        return ""
    return (
        f"<h2>Stage {escape(stage.name)} <span class='muted'>({escape(stage.board.status)})"
        f"</span></h2><p class='muted'>{escape(stage.board.overall_text)}</p>"
        f"{_table(stage.board)}{_charts(stage.board, stage.runs)}"
    )


def _fame(winners: Sequence[Winner]) -> str:
    rows = "".join(
        f"<tr><td>{escape(w.competition)}</td><td>{escape(w.stage)}</td><td>{w.place}</td>"
        f"<td>{escape(w.team)}</td><td>{escape(w.members)}</td><td>{w.score:.2f}</td></tr>"
        for w in winners
    )
    return (
        "<h2>Hall of fame</h2><table><tr><th>competition</th><th>stage</th><th>place</th>"
        f"<th>team</th><th>members</th><th>overall</th></tr>{rows}</table>"
    )


def render_report(
    name: str, hardware: str, stages: Sequence[StageReport], winners: Sequence[Winner]
) -> str:
    """The whole report as one HTML document; plotly.js (about 4.8 MB) is read from its wheel."""
    scripts = "".join(
        f"<script>{inline_script(path.read_text(encoding='utf-8'))}</script>"
        for path in (plotly_js(), drawing_script())
    )
    return (
        f"<!doctype html><html lang='en'><meta charset='utf-8'><title>{escape(name)}</title>"
        f"<style>{CSS}</style><h1>{escape(name)}</h1>"
        f"<p class='muted'>Task = its metric over its languages; each stage says how its overall "
        f"is made; "
        f"duration = median wall time of the test phase on {escape(hardware)!r}.</p>"
        f"{''.join(_stage(s) for s in stages)}{_fame(winners)}{scripts}</html>"
    )
